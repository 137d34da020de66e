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
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/chattocalls/chatto/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// columns is the select list every event query reads, in scan order.
const columns = `seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
	call_type, deadline_ms, outcome, detail, role, lk_joined_ms, generation`

// Store is the SQLite-backed log plus the key table. It uses one
// connection so every write is serialised and secure_delete applies to it.
type Store struct {
	db *sql.DB
	// insert is prepared once: parsing the statement cost more than
	// running it. So are the writer's other statements (prepared).
	insert *sql.Stmt
	prepared
	// checkpointDue is set while a shredded key may still sit in the WAL
	// because its checkpoint could not complete.
	checkpointDue atomic.Bool
	// Concurrent shreds share checkpoints: shreds counts commits that
	// deleted or replaced a key, covered how many of them a completed
	// checkpoint flushed, and ckMu lets one checkpoint run at a time. A
	// shred that waited while another checkpoint flushed its commit has
	// nothing left to do.
	shreds  atomic.Uint64
	covered atomic.Uint64
	ckMu    sync.Mutex
	// shredWake tells the shredder goroutine a shred was committed;
	// shredderDone closes when it has stopped (Close).
	shredWake    chan struct{}
	shredderDone chan struct{}

	// queue feeds Append's batches to the writer goroutine (group
	// commit); closeMu and closed keep Append from sending on it after
	// Close, and writerDone closes when the writer has drained it.
	queue      chan *appendReq
	closeMu    sync.RWMutex
	closed     bool
	writerDone chan struct{}
	// shared counts batches committed in a transaction with others.
	shared atomic.Int64
	// beforeGroup, set only by tests, runs before the writer gathers a
	// group, so a test can let batches pile up.
	beforeGroup func()
}

// Open opens (creating if needed) the database file at path and brings
// its schema up to this build's.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, Migrate)
}

// OpenCurrent opens the database file at path, whose schema must already
// be exactly this build's: the admin commands use it on a database a
// running server may own, which they must neither upgrade under that
// server nor misread.
func OpenCurrent(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, CheckSchema)
}

func open(ctx context.Context, path string, schema func(context.Context, *sql.DB) error) (*Store, error) {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("eventlog: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := schema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("eventlog: schema of %s: %w", path, err)
	}
	insert, err := db.PrepareContext(ctx, `INSERT INTO events
		(at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
		 call_type, deadline_ms, outcome, detail, role, lk_joined_ms, generation)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("eventlog: prepare append: %w", err)
	}
	p, err := prepare(ctx, db)
	if err != nil {
		insert.Close()
		db.Close()
		return nil, err
	}
	s := &Store{db: db, insert: insert, prepared: p, queue: make(chan *appendReq, maxGroup), writerDone: make(chan struct{}),
		shredWake: make(chan struct{}, 1), shredderDone: make(chan struct{})}
	go s.writer()
	go s.shredder()
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

// CheckSchema reports whether the log's tables in db are exactly this
// build's schema, writing nothing (migrate.Check).
func CheckSchema(ctx context.Context, db *sql.DB) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	return migrate.Check(ctx, db, "eventlog", ms)
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

// DB is the store's database handle, with its single connection, for a
// host that keeps its own tables in the same file: sharing the connection
// queues their writes in the process instead of in SQLite's busy handler,
// which sleeps.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	first := !s.closed
	if first {
		s.closed = true
		close(s.queue)
	}
	s.closeMu.Unlock()
	<-s.writerDone
	if first {
		close(s.shredWake) // the writer, its only sender, has stopped
	}
	<-s.shredderDone
	// The last shreds leave the WAL before the file is closed.
	werr := s.WaitShreds(context.Background())
	return errors.Join(werr, s.insert.Close(), s.prepared.close(), s.db.Close())
}

// prepared are the writer's statements besides insert, parsed once at
// Open: the writer runs each of them several times per group, and the
// connection is the transaction's while it does, so they cannot be
// prepared on demand.
type prepared struct {
	savepoint, release, rollbackTo *sql.Stmt
	putKey, deleteKey              *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB) (prepared, error) {
	var p prepared
	for _, st := range []struct {
		to *(*sql.Stmt)
		q  string
	}{
		{&p.savepoint, `SAVEPOINT batch`},
		{&p.release, `RELEASE batch`},
		{&p.rollbackTo, `ROLLBACK TO batch`},
		{&p.putKey, `INSERT INTO call_keys (call_id, key, key_index) VALUES (?, ?, ?)`},
		{&p.deleteKey, `DELETE FROM call_keys WHERE call_id = ?`},
	} {
		var err error
		if *st.to, err = db.PrepareContext(ctx, st.q); err != nil {
			p.close()
			return prepared{}, fmt.Errorf("eventlog: prepare %q: %w", st.q, err)
		}
	}
	return p, nil
}

func (p prepared) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{p.savepoint, p.release, p.rollbackTo, p.putKey, p.deleteKey} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
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

// Append writes the batch atomically and returns the events with their
// sequence numbers. Batches appended at the same time share one
// transaction (group commit): one writer goroutine takes whatever is
// queued, gives each batch a savepoint so a failing one is rolled back
// alone, commits once, and answers each caller only after that commit.
// Batches are written in the order they were appended. A shred or key
// rotation returns once committed; its checkpoint follows moments later
// (see shredder, WaitShreds). On a full disk the error is ErrFull and
// nothing of the batch was written.
func (s *Store) Append(ctx context.Context, b Batch) ([]Event, error) {
	return s.enqueue(&appendReq{ctx: ctx, b: b, done: make(chan appendRes, 1)})
}

// enqueue hands req to the writer and waits for its answer.
func (s *Store) enqueue(req *appendReq) ([]Event, error) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return nil, errors.New("eventlog: append to a closed store")
	}
	s.queue <- req
	s.closeMu.RUnlock()
	// Once queued the batch may be written whatever ctx does, so the
	// answer is awaited: the caller must learn what became a fact.
	res := <-req.done
	return res.evs, classify(res.err)
}

// Write runs fn in the writer's next group transaction, beside the
// appended batches (a savepoint of its own, like each batch), and returns
// once that transaction committed: the writes of another component of
// the same database file (the embedded host's timeline) share the log's
// commits instead of queueing for the connection with their own. fn's
// error, or the commit's, is returned, ErrFull on a full disk; either way
// nothing fn wrote was kept.
func (s *Store) Write(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	_, err := s.enqueue(&appendReq{ctx: ctx, write: fn, done: make(chan appendRes, 1)})
	return err
}

// appendReq is one Append (or Write) waiting for the writer.
type appendReq struct {
	ctx   context.Context
	b     Batch
	write func(context.Context, *sql.Tx) error
	done  chan appendRes
}

type appendRes struct {
	evs []Event
	err error
}

// maxGroup bounds how many batches one transaction takes.
const maxGroup = 128

// writer commits queued batches in groups until the queue closes.
func (s *Store) writer() {
	defer close(s.writerDone)
	for first := range s.queue {
		if s.beforeGroup != nil {
			s.beforeGroup()
		}
		group := []*appendReq{first}
	more:
		for len(group) < maxGroup {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes a group of batches in one transaction and answers
// each of them.
func (s *Store) commitGroup(group []*appendReq) {
	res := make([]appendRes, len(group))
	answer := func() {
		for i, r := range group {
			r.done <- res[i]
		}
	}
	// failAll fails every batch not failed already (their events were
	// never committed) with err, and answers all.
	failAll := func(err error) {
		for i := range res {
			if res[i].err == nil {
				res[i] = appendRes{err: err}
			}
		}
		answer()
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("eventlog: begin: %w", err))
		return
	}
	defer tx.Rollback()
	single := len(group) == 1
	for i, r := range group {
		if !single {
			if _, err := tx.StmtContext(ctx, s.savepoint).ExecContext(ctx); err != nil {
				failAll(fmt.Errorf("eventlog: savepoint: %w", err))
				return
			}
		}
		var evs []Event
		var err error
		if r.write != nil {
			err = r.write(r.ctx, tx)
		} else {
			evs, err = s.writeBatch(r.ctx, tx, r.b)
		}
		if err != nil {
			res[i].err = err
			if single {
				answer()
				return
			}
			if _, rerr := tx.StmtContext(ctx, s.rollbackTo).ExecContext(ctx); rerr != nil {
				failAll(fmt.Errorf("eventlog: roll back a failed batch: %w", rerr))
				return
			}
		} else {
			res[i].evs = evs
		}
		if !single {
			if _, err := tx.StmtContext(ctx, s.release).ExecContext(ctx); err != nil {
				failAll(fmt.Errorf("eventlog: release savepoint: %w", err))
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("eventlog: commit: %w", err))
		return
	}
	if !single {
		s.shared.Add(int64(len(group)))
	}
	shredded := false
	for i, r := range group {
		shredded = shredded || (res[i].err == nil && (r.b.ShredKey != "" || r.b.RotateKey != nil))
	}
	if shredded {
		// The key's row is gone (zeroed) in the committed state; its old
		// bytes stay in earlier WAL frames until the shredder's checkpoint,
		// which no caller waits for.
		s.shreds.Add(1)
		select {
		case s.shredWake <- struct{}{}:
		default:
		}
	}
	answer()
}

// shredDelay is how long the shredder lets shreds gather before one
// checkpoint takes all of their keys out of the WAL.
const shredDelay = 5 * time.Millisecond

// shredder checkpoints after shreds, a few milliseconds after the first
// of a burst, so a key of an ended call (or a rotated-out key) leaves
// every file moments after its commit without any request waiting for
// the fsync. A failed checkpoint is owed (CheckpointIfDue), and a restart
// checkpoints before anything else.
func (s *Store) shredder() {
	defer close(s.shredderDone)
	for range s.shredWake {
		time.Sleep(shredDelay)
		// An error is remembered in checkpointDue for the timer loop.
		s.flushShred(context.Background(), s.shreds.Load())
	}
}

// WaitShreds returns once every shred committed before the call has left
// the WAL (running the checkpoint itself if the shredder has not yet),
// or with the checkpoint's error (ErrFull when the disk had no room).
func (s *Store) WaitShreds(ctx context.Context) error {
	return classify(s.flushShred(ctx, s.shreds.Load()))
}

// writeBatch writes one batch inside the group's transaction.
func (s *Store) writeBatch(ctx context.Context, tx *sql.Tx, b Batch) ([]Event, error) {
	insert := tx.StmtContext(ctx, s.insert)
	out := make([]Event, len(b.Events))
	for i, e := range b.Events {
		if e.At.IsZero() {
			e.At = time.Now()
		}
		res, err := insert.ExecContext(ctx, e.At.UnixMilli(), e.RoomID, e.CallID, string(e.Kind), e.Identity, e.UserID, e.Name,
			e.SID, string(e.Source), e.LiveKitEventID, e.Reason, e.CallType, unixMilli(e.Deadline), string(e.Outcome), e.Detail, e.Role, unixMilli(e.SessionStart), e.Generation)
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
		if _, err := tx.StmtContext(ctx, s.putKey).ExecContext(ctx, k.CallID, k.Key, k.Index); err != nil {
			return nil, fmt.Errorf("eventlog: store key for call %s: %w", k.CallID, err)
		}
	}
	if k := b.RotateKey; k != nil {
		// Delete, then insert: secure_delete zeroes the old row's bytes.
		res, err := tx.StmtContext(ctx, s.deleteKey).ExecContext(ctx, k.CallID)
		if err != nil {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: %w", k.CallID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: the call has no key", k.CallID)
		}
		if _, err := tx.StmtContext(ctx, s.putKey).ExecContext(ctx, k.CallID, k.Key, k.Index); err != nil {
			return nil, fmt.Errorf("eventlog: rotate key of call %s: %w", k.CallID, err)
		}
	}
	if b.ShredKey != "" {
		if _, err := tx.StmtContext(ctx, s.deleteKey).ExecContext(ctx, b.ShredKey); err != nil {
			return nil, fmt.Errorf("eventlog: shred key for call %s: %w", b.ShredKey, err)
		}
	}
	if err := insertOutbox(ctx, tx, b.Outbox, time.Now()); err != nil {
		return nil, err
	}
	return out, nil
}

// flushShred returns once a checkpoint that began after shred number n
// committed has completed, running one unless another already did.
func (s *Store) flushShred(ctx context.Context, n uint64) error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	if s.covered.Load() >= n {
		return nil
	}
	upto := s.shreds.Load()
	if err := s.checkpoint(ctx); err != nil {
		s.checkpointDue.Store(true)
		return err
	}
	s.covered.Store(upto)
	s.checkpointDue.Store(false)
	return nil
}

// CheckpointIfDue retries the checkpoint of a shred that could not
// complete, so a deleted key leaves the WAL without waiting for the next
// call to end. It does nothing when no checkpoint is owed.
func (s *Store) CheckpointIfDue(ctx context.Context) error {
	if !s.checkpointDue.Load() {
		return nil
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	if err := s.checkpoint(ctx); err != nil {
		return classify(err)
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

// CallKeys returns every stored key (those of the active calls) by call
// id, in one query: what a boot needs.
func (s *Store) CallKeys(ctx context.Context) (map[string]*CallKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT call_id, key, key_index FROM call_keys`)
	if err != nil {
		return nil, fmt.Errorf("eventlog: keys: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*CallKey)
	for rows.Next() {
		var k CallKey
		if err := rows.Scan(&k.CallID, &k.Key, &k.Index); err != nil {
			return nil, fmt.Errorf("eventlog: keys: %w", err)
		}
		out[k.CallID] = &k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventlog: keys: %w", err)
	}
	return out, nil
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
			&e.CallType, &deadlineMS, &outcome, &e.Detail, &e.Role, &sessionMS, &e.Generation); err != nil {
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
