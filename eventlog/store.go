package eventlog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/chattocalls/chatto/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// columns is the select list every event query reads, in scan order.
const columns = `seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
	call_type, deadline_ms, outcome, detail, role, lk_joined_ms`

// Store is the SQLite-backed log plus the key table. It uses one
// connection so every write is serialised and secure_delete applies to it.
type Store struct {
	db *sql.DB
	// insert is prepared once: parsing the statement cost more than
	// running it.
	insert *sql.Stmt
	// checkpointDue is set while a shredded key may still sit in the WAL
	// because its checkpoint could not complete.
	checkpointDue atomic.Bool
}

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("eventlog: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("eventlog: migrate %s: %w", path, err)
	}
	insert, err := db.PrepareContext(ctx, `INSERT INTO events
		(at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
		 call_type, deadline_ms, outcome, detail, role, lk_joined_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("eventlog: prepare append: %w", err)
	}
	s := &Store{db: db, insert: insert}
	// A crash between a shred's commit and its checkpoint leaves the key
	// in old WAL frames, and the owed checkpoint was only remembered in
	// memory: finish it now. If another process holds a snapshot, the
	// timer loop retries it (CheckpointIfDue).
	if err := s.checkpoint(ctx); err != nil {
		s.checkpointDue.Store(true)
	}
	return s, nil
}

// Migrate brings the log's tables in db to this build's schema. A file
// written before migrations existed holds exactly migration 1 (its
// statements are idempotent), so it upgrades in place like any other.
func Migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	_, err = migrate.Apply(ctx, db, "eventlog", ms)
	return err
}

// DSN is the modernc data source name with the house pragmas. secure_delete
// makes SQLite overwrite deleted content, which key shredding relies on.
//
// SQLite reads the DSN as a URI, where '?' and '#' end the path and '%'
// starts an escape; unescaped, a path holding one of them silently opens
// another file (and loses the pragmas), so they are percent-encoded.
func DSN(path string) string {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)",
		"synchronous(NORMAL)", "secure_delete(1)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path) + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.insert.Close(), s.db.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Batch is what one Append writes atomically.
type Batch struct {
	Events []Event
	// PutKey stores Key for CallID (set when a call starts).
	PutKey *CallKey
	// RotateKey replaces the stored key of its call with Key and Index
	// (the call continues without someone who had the old key). Like a
	// shred, the old key's bytes are overwritten and the WAL checkpointed.
	RotateKey *CallKey
	// ShredKey deletes the key of this call id and checkpoints the WAL so
	// the bytes leave every file.
	ShredKey string
	// Outbox holds outgoing webhook deliveries the facts cause; they are
	// written in the same transaction, so no fact loses its delivery.
	Outbox []OutboxItem
}

// OutboxItem is one outgoing webhook delivery waiting in the outbox.
type OutboxItem struct {
	// ID is the delivery's stable id (the Standard Webhooks webhook-id).
	ID string
	// Endpoint names the configured receiver it goes to.
	Endpoint string
	// Event is the webhook type, e.g. "call.ended".
	Event string
	// Payload is the JSON body.
	Payload []byte
}

// CallKey is a call's E2EE key.
type CallKey struct {
	CallID string
	Key    []byte
	// Index counts the call's keys: 0 for the one it started with, one
	// more for each rotation.
	Index int
}

// Append writes the batch in one transaction and returns the events with
// their sequence numbers.
func (s *Store) Append(ctx context.Context, b Batch) ([]Event, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("eventlog: begin: %w", err)
	}
	defer tx.Rollback()

	insert := tx.StmtContext(ctx, s.insert)
	out := make([]Event, len(b.Events))
	for i, e := range b.Events {
		if e.At.IsZero() {
			e.At = time.Now()
		}
		res, err := insert.ExecContext(ctx, e.At.UnixMilli(), e.RoomID, e.CallID, string(e.Kind), e.Identity, e.UserID, e.Name,
			e.SID, string(e.Source), e.LiveKitEventID, e.Reason, e.CallType, unixMilli(e.Deadline), string(e.Outcome), e.Detail, e.Role, unixMilli(e.SessionStart))
		if err != nil {
			return nil, fmt.Errorf("eventlog: append %s: %w", e.Kind, err)
		}
		if e.Seq, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("eventlog: append %s: %w", e.Kind, err)
		}
		e.At = time.UnixMilli(e.At.UnixMilli())
		e.Deadline = fromMilli(unixMilli(e.Deadline))
		e.SessionStart = fromMilli(unixMilli(e.SessionStart))
		out[i] = e
	}
	if k := b.PutKey; k != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_keys (call_id, key, key_index) VALUES (?, ?, ?)`, k.CallID, k.Key, k.Index); err != nil {
			return nil, fmt.Errorf("eventlog: store key for call %s: %w", k.CallID, err)
		}
	}
	if k := b.RotateKey; k != nil {
		// Delete, then insert: secure_delete zeroes the old row's bytes.
		res, err := tx.ExecContext(ctx, `DELETE FROM call_keys WHERE call_id = ?`, k.CallID)
		if err != nil {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: %w", k.CallID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: the call has no key", k.CallID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_keys (call_id, key, key_index) VALUES (?, ?, ?)`, k.CallID, k.Key, k.Index); err != nil {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: %w", k.CallID, err)
		}
	}
	if b.ShredKey != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM call_keys WHERE call_id = ?`, b.ShredKey); err != nil {
			return nil, fmt.Errorf("eventlog: shred key for call %s: %w", b.ShredKey, err)
		}
	}
	if err := insertOutbox(ctx, tx, b.Outbox, time.Now()); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("eventlog: commit: %w", err)
	}
	if b.ShredKey != "" || b.RotateKey != nil {
		if err := s.checkpoint(ctx); err != nil {
			s.checkpointDue.Store(true)
			return out, err
		}
		s.checkpointDue.Store(false)
	}
	return out, nil
}

// CheckpointIfDue retries the checkpoint of a shred that could not
// complete, so a deleted key leaves the WAL without waiting for the next
// call to end. It does nothing when no checkpoint is owed.
func (s *Store) CheckpointIfDue(ctx context.Context) error {
	if !s.checkpointDue.Load() {
		return nil
	}
	if err := s.checkpoint(ctx); err != nil {
		return err
	}
	s.checkpointDue.Store(false)
	return nil
}

// checkpoint copies the WAL into the database and truncates it, so a
// deleted key survives neither in old WAL frames nor in the file. A reader
// holding an old snapshot makes SQLite report busy; it is retried for
// about a second. Each attempt must not wait out busy_timeout (5 s) on
// its own, so the attempts run on the store's connection with the busy
// timeout off, restored afterwards.
func (s *Store) checkpoint(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("eventlog: checkpoint: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return fmt.Errorf("eventlog: checkpoint: %w", err)
	}
	defer func() {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = 5000`); rerr != nil {
			err = errors.Join(err, fmt.Errorf("eventlog: restore busy_timeout: %w", rerr))
		}
	}()
	var busy, logFrames, done int
	for attempt := 0; attempt < 50; attempt++ {
		err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
		if err != nil && !strings.Contains(err.Error(), "SQLITE_BUSY") && !strings.Contains(err.Error(), "database is locked") {
			return fmt.Errorf("eventlog: checkpoint: %w", err)
		}
		if err == nil && busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("eventlog: checkpoint: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("eventlog: checkpoint stayed busy; WAL not truncated")
}

// Key returns the stored key of a call, or nil if there is none.
func (s *Store) Key(ctx context.Context, callID string) ([]byte, error) {
	k, err := s.CallKey(ctx, callID)
	if k == nil {
		return nil, err
	}
	return k.Key, nil
}

// CallKey returns the stored key of a call with its index, or nil if
// there is none.
func (s *Store) CallKey(ctx context.Context, callID string) (*CallKey, error) {
	k := CallKey{CallID: callID}
	err := s.db.QueryRowContext(ctx, `SELECT key, key_index FROM call_keys WHERE call_id = ?`, callID).Scan(&k.Key, &k.Index)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: key for call %s: %w", callID, err)
	}
	return &k, nil
}

// ActiveEvents returns, in log order, every event of every call that has
// started and not ended: exactly what the projection needs at boot.
func (s *Store) ActiveEvents(ctx context.Context) ([]Event, error) {
	return s.query(ctx, `SELECT `+columns+`
		FROM events WHERE call_id IN (
			SELECT call_id FROM events WHERE kind = 'call_started'
			EXCEPT SELECT call_id FROM events WHERE kind = 'call_ended')
		ORDER BY seq`)
}

// RecentBoundaries returns the call_started and call_ended events among
// the last n events of the log, in log order. It reads only the tail of
// the primary key, however long the log is.
func (s *Store) RecentBoundaries(ctx context.Context, n int) ([]Event, error) {
	return s.query(ctx, `SELECT `+columns+`
		FROM events WHERE seq > (SELECT coalesce(max(seq), 0) FROM events) - ?
			AND kind IN ('call_started', 'call_ended')
		ORDER BY seq`, n)
}

// CallEvents returns the events of one call in log order.
func (s *Store) CallEvents(ctx context.Context, callID string) ([]Event, error) {
	return s.query(ctx, `SELECT `+columns+`
		FROM events WHERE call_id = ? ORDER BY seq`, callID)
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("eventlog: query: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var atMS, deadlineMS, sessionMS int64
		var kind, source, outcome string
		if err := rows.Scan(&e.Seq, &atMS, &e.RoomID, &e.CallID, &kind, &e.Identity, &e.UserID,
			&e.Name, &e.SID, &source, &e.LiveKitEventID, &e.Reason,
			&e.CallType, &deadlineMS, &outcome, &e.Detail, &e.Role, &sessionMS); err != nil {
			return nil, fmt.Errorf("eventlog: scan: %w", err)
		}
		e.At, e.Kind, e.Source = time.UnixMilli(atMS), Kind(kind), Source(source)
		e.Deadline, e.Outcome, e.SessionStart = fromMilli(deadlineMS), Outcome(outcome), fromMilli(sessionMS)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventlog: query: %w", err)
	}
	return out, nil
}

// unixMilli stores the zero time as 0, so "no deadline" reads back as the
// zero time rather than 1970.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// EndedCalls returns the call_ended events of the given rooms, newest
// first: at most limit of them, and only those before seq before (0
// means from the end of the log). Call history pages with it.
func (s *Store) EndedCalls(ctx context.Context, rooms []string, before int64, limit int) ([]Event, error) {
	if len(rooms) == 0 || limit <= 0 {
		return nil, nil
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	args := make([]any, 0, len(rooms)+2)
	for _, r := range rooms {
		args = append(args, r)
	}
	args = append(args, before, limit)
	return s.query(ctx, `SELECT `+columns+`
		FROM events WHERE kind = 'call_ended' AND room_id IN (?`+strings.Repeat(", ?", len(rooms)-1)+`) AND seq < ?
		ORDER BY seq DESC LIMIT ?`, args...)
}

// EventsOfCalls returns the events of the given calls in log order.
func (s *Store) EventsOfCalls(ctx context.Context, callIDs []string) ([]Event, error) {
	if len(callIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(callIDs))
	for i, id := range callIDs {
		args[i] = id
	}
	return s.query(ctx, `SELECT `+columns+`
		FROM events WHERE call_id IN (?`+strings.Repeat(", ?", len(callIDs)-1)+`) ORDER BY seq`, args...)
}

// ServerID returns this installation's server id, choosing a random one
// the first time and keeping it in the database, so it is stable across
// restarts without configuration.
func (s *Store) ServerID(ctx context.Context) (string, error) {
	raw := make([]byte, 6)
	rand.Read(raw)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO server_settings (name, value) VALUES ('server_id', ?)
		ON CONFLICT (name) DO NOTHING`, "chatto-"+hex.EncodeToString(raw)); err != nil {
		return "", fmt.Errorf("eventlog: choose server id: %w", err)
	}
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM server_settings WHERE name = 'server_id'`).Scan(&id); err != nil {
		return "", fmt.Errorf("eventlog: read server id: %w", err)
	}
	return id, nil
}

// HasCall reports whether a call with this id ever started in this log.
func (s *Store) HasCall(ctx context.Context, callID string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE call_id = ? AND kind = 'call_started'`,
		callID).Scan(&n); err != nil {
		return false, fmt.Errorf("eventlog: look up call %s: %w", callID, err)
	}
	return n > 0, nil
}
