package eventlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The outbox holds outgoing webhook deliveries. Append writes them with
// the facts that cause them; a delivery worker claims the due ones, tries
// them and records each attempt's result here, so a restart resumes every
// delivery that was not done.

// OutboxState is where a delivery stands.
type OutboxState string

// The states of a delivery.
const (
	OutboxPending   OutboxState = "pending"
	OutboxDelivered OutboxState = "delivered"
	// OutboxDead: given up on (attempts used up, or refused by the
	// receiver); kept for an operator to look at.
	OutboxDead OutboxState = "dead"
)

// OutboxEntry is a delivery as the outbox holds it.
type OutboxEntry struct {
	OutboxItem
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	State       OutboxState
	LastError   string
	// Delivered is when a receiver accepted it; zero until then.
	Delivered time.Time
}

// OutboxCounts is how many deliveries are in each state.
type OutboxCounts struct {
	Pending   int `json:"pending"`
	Delivered int `json:"delivered"`
	Dead      int `json:"dead"`
}

// ErrNotPending is returned when an attempt's result is recorded for a
// delivery that is no longer pending (or does not exist).
var ErrNotPending = errors.New("outbox item is not pending")

const outboxColumns = `id, endpoint, event, payload, created_ms, attempts, next_attempt_ms, state, last_error, delivered_ms`

// insertOutbox writes a batch's deliveries inside its transaction; each is
// due at once.
func insertOutbox(ctx context.Context, tx *sql.Tx, items []OutboxItem, now time.Time) error {
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, endpoint, event, payload, created_ms, next_attempt_ms)
			VALUES (?, ?, ?, ?, ?, ?)`, it.ID, it.Endpoint, it.Event, it.Payload, now.UnixMilli(), now.UnixMilli()); err != nil {
			return fmt.Errorf("eventlog: outbox %s %s: %w", it.Event, it.ID, err)
		}
	}
	return nil
}

// ClaimOutbox returns up to limit pending deliveries to the given
// endpoints that are due at now, oldest due first, and leases them: they
// are not due again until now+lease, so a worker that dies mid-attempt
// gets them back after the lease instead of never. Deliveries to other
// endpoints (no longer configured) stay pending, untouched.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, endpoints []string, limit int) ([]OutboxEntry, error) {
	if len(endpoints) == 0 || limit <= 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("eventlog: claim outbox: %w", err)
	}
	defer tx.Rollback()
	args := make([]any, 0, len(endpoints)+2)
	args = append(args, now.UnixMilli())
	for _, e := range endpoints {
		args = append(args, e)
	}
	args = append(args, limit)
	out, err := queryOutbox(ctx, tx, `SELECT `+outboxColumns+` FROM outbox
		WHERE state = 'pending' AND next_attempt_ms <= ? AND endpoint IN (?`+strings.Repeat(", ?", len(endpoints)-1)+`)
		ORDER BY next_attempt_ms, created_ms LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	until := now.Add(lease).UnixMilli()
	for i := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_ms = ? WHERE id = ? AND endpoint = ?`,
			until, out[i].ID, out[i].Endpoint); err != nil {
			return nil, fmt.Errorf("eventlog: claim outbox: %w", err)
		}
		out[i].NextAttempt = time.UnixMilli(until)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("eventlog: claim outbox: %w", err)
	}
	return out, nil
}

// NextOutboxAttempt returns when the earliest pending delivery to one of
// the endpoints is due (possibly already), and false if there is none.
func (s *Store) NextOutboxAttempt(ctx context.Context, endpoints []string) (time.Time, bool, error) {
	if len(endpoints) == 0 {
		return time.Time{}, false, nil
	}
	args := make([]any, len(endpoints))
	for i, e := range endpoints {
		args[i] = e
	}
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT min(next_attempt_ms) FROM outbox
		WHERE state = 'pending' AND endpoint IN (?`+strings.Repeat(", ?", len(endpoints)-1)+`)`, args...).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("eventlog: next outbox attempt: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next.Int64), true, nil
}

// OutboxDelivered records a successful attempt.
func (s *Store) OutboxDelivered(ctx context.Context, id, endpoint string, at time.Time) error {
	return s.updatePending(ctx, "delivered", `UPDATE outbox
		SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?, last_error = ''
		WHERE id = ? AND endpoint = ? AND state = 'pending'`, at.UnixMilli(), id, endpoint)
}

// OutboxRetry records a failed attempt that will be tried again at next.
func (s *Store) OutboxRetry(ctx context.Context, id, endpoint, lastError string, next time.Time) error {
	return s.updatePending(ctx, "retry", `UPDATE outbox
		SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ?
		WHERE id = ? AND endpoint = ? AND state = 'pending'`, next.UnixMilli(), lastError, id, endpoint)
}

// OutboxDead records a failed attempt after which the delivery is given
// up on.
func (s *Store) OutboxDead(ctx context.Context, id, endpoint, lastError string, at time.Time) error {
	return s.updatePending(ctx, "dead", `UPDATE outbox
		SET state = 'dead', attempts = attempts + 1, next_attempt_ms = ?, last_error = ?
		WHERE id = ? AND endpoint = ? AND state = 'pending'`, at.UnixMilli(), lastError, id, endpoint)
}

// OutboxRelease hands a claimed delivery back without counting an attempt
// (the worker stopped before it got an answer), due again at at.
func (s *Store) OutboxRelease(ctx context.Context, id, endpoint string, at time.Time) error {
	return s.updatePending(ctx, "release", `UPDATE outbox SET next_attempt_ms = ?
		WHERE id = ? AND endpoint = ? AND state = 'pending'`, at.UnixMilli(), id, endpoint)
}

func (s *Store) updatePending(ctx context.Context, what, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("eventlog: outbox %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("eventlog: outbox %s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("eventlog: outbox %s: %w", what, ErrNotPending)
	}
	return nil
}

// DeadOutbox returns the dead deliveries, most recently given up first, at
// most limit of them.
func (s *Store) DeadOutbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	return queryOutbox(ctx, s.db, `SELECT `+outboxColumns+` FROM outbox
		WHERE state = 'dead' ORDER BY next_attempt_ms DESC, created_ms DESC LIMIT ?`, limit)
}

// OutboxEntries returns every delivery of the given webhook id (one per
// endpoint it went to).
func (s *Store) OutboxEntries(ctx context.Context, id string) ([]OutboxEntry, error) {
	return queryOutbox(ctx, s.db, `SELECT `+outboxColumns+` FROM outbox WHERE id = ? ORDER BY endpoint`, id)
}

// PendingOutboxEndpoints returns the endpoints that have pending
// deliveries, with how many each.
func (s *Store) PendingOutboxEndpoints(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT endpoint, count(*) FROM outbox WHERE state = 'pending' GROUP BY endpoint`)
	if err != nil {
		return nil, fmt.Errorf("eventlog: pending outbox endpoints: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			return nil, fmt.Errorf("eventlog: pending outbox endpoints: %w", err)
		}
		out[e] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventlog: pending outbox endpoints: %w", err)
	}
	return out, nil
}

// CountOutbox counts the deliveries in each state.
func (s *Store) CountOutbox(ctx context.Context) (OutboxCounts, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return OutboxCounts{}, fmt.Errorf("eventlog: count outbox: %w", err)
	}
	defer rows.Close()
	var c OutboxCounts
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return OutboxCounts{}, fmt.Errorf("eventlog: count outbox: %w", err)
		}
		switch OutboxState(state) {
		case OutboxPending:
			c.Pending = n
		case OutboxDelivered:
			c.Delivered = n
		case OutboxDead:
			c.Dead = n
		}
	}
	if err := rows.Err(); err != nil {
		return OutboxCounts{}, fmt.Errorf("eventlog: count outbox: %w", err)
	}
	return c, nil
}

// querier is what outbox reads need from a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryOutbox(ctx context.Context, db querier, q string, args ...any) ([]OutboxEntry, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("eventlog: query outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var createdMS, nextMS, deliveredMS int64
		var state string
		if err := rows.Scan(&e.ID, &e.Endpoint, &e.Event, &e.Payload, &createdMS, &e.Attempts, &nextMS,
			&state, &e.LastError, &deliveredMS); err != nil {
			return nil, fmt.Errorf("eventlog: scan outbox: %w", err)
		}
		e.Created, e.NextAttempt, e.State = time.UnixMilli(createdMS), time.UnixMilli(nextMS), OutboxState(state)
		e.Delivered = fromMilli(deliveredMS)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventlog: query outbox: %w", err)
	}
	return out, nil
}
