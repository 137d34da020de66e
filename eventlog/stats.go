package eventlog

import (
	"context"
	"fmt"
	"time"
)

// LastSeq is the sequence number of the newest fact (0 for an empty log):
// how many facts the log holds, since rows are never deleted.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("eventlog: last seq: %w", err)
	}
	return seq, nil
}

// CheckWritable commits a small write (the time of the probe, kept in
// server_settings), proving the file takes writes: not read-only, not
// locked by another process past busy_timeout, not on a full disk.
func (s *Store) CheckWritable(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO server_settings (name, value) VALUES ('write_probe', ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("eventlog: write probe: %w", err)
	}
	return nil
}
