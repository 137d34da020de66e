package server

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/chatto"
)

// healthz answers 200 while the process serves: it is the liveness probe,
// and a LiveKit outage or a locked database must not get the process
// restarted (readyz says whether it should get traffic). Signed-in
// callers also see the calls plugin's state and the outbox; anonymous
// probes learn nothing but that the server is up.
func (m *Main) healthz(c echo.Context) error {
	if _, err := m.host.Caller(c.Request()); err != nil {
		return c.JSON(http.StatusOK, map[string]any{"ok": true})
	}
	ctx := c.Request().Context()
	body := map[string]any{"ok": true, "calls": m.plugin.Health(ctx)}
	if st, err := m.outgoing.Stats(ctx); err != nil {
		m.log.WarnContext(ctx, "healthz: cannot count outgoing webhooks", "err", err)
		body["webhooks"] = map[string]string{"error": "cannot read the outbox"}
	} else {
		// Dead letters are receivers' failures, listed for an operator.
		body["webhooks"] = st
	}
	return c.JSON(http.StatusOK, body)
}

// CheckDatabase is the readiness check that the database takes a write.
const CheckDatabase = "database"

// readiness is /readyz's answer.
type readiness struct {
	OK     bool           `json:"ok"`
	Checks []chatto.Check `json:"checks"`
}

// readyz answers 200 when the server can do its job: the database takes
// a write and, with calls enabled, LiveKit answers and the last
// reconcile is recent; else 503. Every caller learns which checks failed;
// only signed-in callers why, since the reasons may name internal URLs.
func (m *Main) readyz(c echo.Context) error {
	r := readiness{OK: true, Checks: m.readiness(c.Request().Context())}
	for _, ch := range r.Checks {
		r.OK = r.OK && ch.OK
	}
	if _, err := m.host.Caller(c.Request()); err != nil {
		for i := range r.Checks {
			r.Checks[i].Error = ""
		}
	}
	status := http.StatusOK
	if !r.OK {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, r)
}

// readyEvery bounds how often /readyz runs its checks: anyone may ask, and
// a flood of probes must cost at most one database write and one LiveKit
// request per interval. Probes in between get the last result.
const readyEvery = time.Second

// readyCache is the last result of the readiness checks.
type readyCache struct {
	mu     sync.Mutex
	at     time.Time
	checks []chatto.Check
}

// readiness runs the checks, or returns the result of a run less than
// readyEvery ago. Concurrent probes wait for one run.
func (m *Main) readiness(ctx context.Context) []chatto.Check {
	m.ready.mu.Lock()
	defer m.ready.mu.Unlock()
	if m.ready.checks != nil && time.Since(m.ready.at) < readyEvery {
		return slices.Clone(m.ready.checks)
	}
	// The result is shared, so one caller hanging up must not cut it
	// short; the checks bound themselves (busy_timeout, the LiveKit
	// probe's timeout).
	ctx = context.WithoutCancel(ctx)
	db := chatto.Check{Name: CheckDatabase, OK: true}
	if err := m.store.CheckWritable(ctx); err != nil {
		// The answer carries it; a probe every few seconds must not turn
		// one outage (which the service reports once) into a log flood.
		m.log.DebugContext(ctx, "readyz: the database does not take writes", "err", err)
		db.OK, db.Error = false, "the database does not take writes: "+err.Error()
	}
	m.ready.checks = append([]chatto.Check{db}, m.plugin.Ready(ctx)...)
	m.ready.at = time.Now()
	return slices.Clone(m.ready.checks)
}
