package chatto

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// healthState remembers how the last reconcile went.
type healthState struct {
	mu      sync.Mutex
	lastOK  time.Time
	lastErr error
	lastAt  time.Time
}

func (h *healthState) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastAt, h.lastErr = time.Now(), err
	if err == nil {
		h.lastOK = h.lastAt
	}
}

// Health is the plugin's state for /healthz.
type Health struct {
	OK              bool       `json:"ok"`
	ActiveCalls     int        `json:"active_calls"`
	LastReconcile   *time.Time `json:"last_reconcile,omitempty"`
	LastReconcileOK *time.Time `json:"last_reconcile_ok,omitempty"`
	ReconcileError  string     `json:"reconcile_error,omitempty"`
}

// Health reports the database and the last reconcile. A failed reconcile
// means LiveKit is unreachable (calls are kept but may be stale) or the
// log's disk is full (what LiveKit reported is not recorded yet).
func (s *Service) Health(ctx context.Context) Health {
	s.mu.RLock()
	h := Health{ActiveCalls: len(s.keys)}
	s.mu.RUnlock()
	s.health.mu.Lock()
	if !s.health.lastAt.IsZero() {
		at := s.health.lastAt
		h.LastReconcile = &at
	}
	if !s.health.lastOK.IsZero() {
		ok := s.health.lastOK
		h.LastReconcileOK = &ok
	}
	switch err := s.health.lastErr; {
	case storageFull(err):
		// LiveKit answered; the log could not record what it said.
		h.ReconcileError = "event log: its disk is full, so what LiveKit reports cannot be recorded"
	case err != nil:
		h.ReconcileError = fmt.Sprintf("livekit: %s", errorSummary(err))
	}
	s.health.mu.Unlock()
	h.OK = h.ReconcileError == "" && s.store.Ping(ctx) == nil
	return h
}

// errorSummary shortens an error for health output. LiveKit client errors
// never include the API secret, only URLs and status text.
func errorSummary(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// Check is one readiness check: Name is what was checked, Error (for
// operators only: it may name internal URLs) why it failed.
type Check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// The readiness checks the plugin runs.
const (
	CheckLiveKit   = "livekit"   // LiveKit's RoomService answers
	CheckReconcile = "reconcile" // the last successful reconcile is recent
)

// readyProbeTimeout bounds the LiveKit probe of a readiness check, so a
// LiveKit that hangs makes the server unready instead of the probe slow.
const readyProbeTimeout = 2 * time.Second

// ReconcileMaxAge is how old the last successful reconcile may be for the
// server to be ready: two intervals (one missed pass) and 30 s for a pass
// over many calls.
func (c Config) ReconcileMaxAge() time.Duration { return 2*c.ReconcileInterval + 30*time.Second }

// Ready runs the plugin's readiness checks: LiveKit answers a RoomService
// request now, and the last successful reconcile is at most
// ReconcileMaxAge old (a server that cannot keep its calls in step with
// LiveKit should not get new ones).
func (s *Service) Ready(ctx context.Context) []Check {
	lk := Check{Name: CheckLiveKit, OK: true}
	pctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	defer cancel()
	if err := s.lk.Ping(pctx); err != nil {
		lk.OK, lk.Error = false, errorSummary(err)
	}
	rec := Check{Name: CheckReconcile, OK: true}
	s.health.mu.Lock()
	last := s.health.lastOK
	s.health.mu.Unlock()
	switch age, bound := time.Since(last), s.cfg.ReconcileMaxAge(); {
	case last.IsZero():
		rec.OK, rec.Error = false, "no successful reconcile with LiveKit yet"
	case age > bound:
		rec.OK, rec.Error = false, fmt.Sprintf("the last successful reconcile was %s ago (at most %s)", age.Round(time.Second), bound)
	}
	return []Check{lk, rec}
}
