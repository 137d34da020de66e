package eventlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// BackupInfo describes a backup Backup wrote.
type BackupInfo struct {
	Bytes int64
	// Events is how many facts the copy holds; RunningCalls how many of
	// its calls had started and not ended when it was taken.
	Events       int64
	RunningCalls int
}

// Backup writes a consistent copy of the whole database file (the log,
// the keys of running calls, the outbox, and the host's tables that
// share the file) to dst while the server keeps running. SQLite's VACUUM
// INTO reads one snapshot and writes only live rows into a new file, so
// nothing deleted is copied: no shredded key, no free page, no old WAL
// frame. dst must not exist; it is created readable by its owner only
// (it holds the keys of the calls running at the time), synced, and
// checked with PRAGMA integrity_check before Backup returns.
//
// The copy reads a snapshot for as long as it runs, which holds off the
// checkpoint that follows a key shred; the server retries that on its
// timer loop (Store.CheckpointIfDue), so a call that ends during a
// backup has its key out of the WAL shortly after the backup finishes.
func (s *Store) Backup(ctx context.Context, dst string) (BackupInfo, error) {
	// VACUUM INTO needs the file absent or empty; making it here first
	// sets its mode and refuses to overwrite anything.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: %w", err)
	}
	f.Close()
	info, err := s.backup(ctx, dst)
	if err != nil {
		// Half a backup must not be mistaken for one.
		return BackupInfo{}, errors.Join(err, os.Remove(dst))
	}
	return info, nil
}

func (s *Store) backup(ctx context.Context, dst string) (BackupInfo, error) {
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: vacuum into %s: %w", dst, err)
	}
	// VACUUM INTO does not sync what it wrote.
	f, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: %w", err)
	}
	serr := f.Sync()
	st, err := f.Stat()
	f.Close()
	if err = errors.Join(serr, err); err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: sync %s: %w", dst, err)
	}
	info := BackupInfo{Bytes: st.Size()}
	// Check the copy on its own connection, without touching its
	// journal mode or anything else in it.
	db, err := sql.Open("sqlite", "file:"+dsnPath(dst)+"?mode=ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: open the copy: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: the copy fails integrity_check: %q %v", res, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&info.Events); err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: read the copy: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT call_id FROM events WHERE kind = 'call_started'
		EXCEPT SELECT call_id FROM events WHERE kind = 'call_ended')`).Scan(&info.RunningCalls); err != nil {
		return BackupInfo{}, fmt.Errorf("eventlog: backup: read the copy: %w", err)
	}
	return info, nil
}

// dsnPath escapes a file path for a SQLite URI, as DSN does.
func dsnPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
}
