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
