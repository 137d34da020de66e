package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chattocalls/chatto/chatto"
)

// newRegistry is the server's own Prometheus registry (never the global
// default, so several servers can run in one test process): the Go
// runtime and process, the server's state below, and whatever the plugin
// registers on it.
func (m *Main) newRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	err := errors.Join(
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
		reg.Register(newServerCollector(m)),
	)
	return reg, err
}

// metricsHandler serves the registry to the callers metricsAllowed lets
// through. Metrics are aggregates (no room, call, user or device in any
// label), but how busy a server is still is no business of the public.
func (m *Main) metricsHandler() echo.HandlerFunc {
	h := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		// A metric that cannot be read (the database is locked) is left
		// out; the rest still answer.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry,
		Timeout:       10 * time.Second,
	})
	return func(c echo.Context) error {
		if err := m.metricsAllowed(c); err != nil {
			return err
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// metricsAllowed lets through clients in webserver.metrics_allow (by the
// client address the sign-in limits use: the peer, or the client a
// trusted proxy names) and, from anywhere, a bearer token equal to
// webserver.metrics_token.
func (m *Main) metricsAllowed(c echo.Context) error {
	if a, err := netip.ParseAddr(c.RealIP()); err == nil && within(m.metricsAllow, a) {
		return nil
	}
	want := m.Config.Webserver.MetricsToken
	got, bearer := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	switch {
	case bearer && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1:
		return nil
	case bearer:
		return chatto.Errorf(chatto.EUNAUTHORIZED, "wrong metrics token")
	}
	return chatto.Errorf(chatto.EFORBIDDEN, "metrics are served to the addresses in webserver.metrics_allow, or with webserver.metrics_token")
}

// serverCollector reports, at scrape time, what the server holds beside
// the plugin: open event streams, the log's length, the database's size
// on disk and the outgoing webhook outbox.
type serverCollector struct {
	m                                  *Main
	streams, events, dbBytes, outgoing *prometheus.Desc
}

func newServerCollector(m *Main) *serverCollector {
	return &serverCollector{
		m:       m,
		streams: prometheus.NewDesc("chatto_event_streams", "Open realtime event streams (GET /api/events).", nil, nil),
		events:  prometheus.NewDesc("chatto_eventlog_events", "Facts in the event log (its newest sequence number).", nil, nil),
		dbBytes: prometheus.NewDesc("chatto_database_size_bytes", "Size of the SQLite database on disk, by file: db or wal.",
			[]string{"file"}, nil),
		outgoing: prometheus.NewDesc("chatto_outgoing_webhooks", "Outgoing webhook deliveries in the outbox, by state.",
			[]string{"state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.streams
	ch <- c.events
	ch <- c.dbBytes
	ch <- c.outgoing
}

// Collect implements prometheus.Collector.
func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch <- prometheus.MustNewConstMetric(c.streams, prometheus.GaugeValue, float64(c.m.host.Streams()))
	if seq, err := c.m.store.LastSeq(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.events, err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(seq))
	}
	path := c.m.Config.Database.Path
	for file, p := range map[string]string{"db": path, "wal": path + "-wal"} {
		var size int64
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			ch <- prometheus.NewInvalidMetric(c.dbBytes, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.dbBytes, prometheus.GaugeValue, float64(size), file)
	}
	st, err := c.m.outgoing.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.outgoing, err)
		return
	}
	for state, n := range map[string]int{"pending": st.Pending, "delivered": st.Delivered, "dead": st.Dead} {
		ch <- prometheus.MustNewConstMetric(c.outgoing, prometheus.GaugeValue, float64(n), state)
	}
}

// Registry is the server's Prometheus registry.
func (m *Main) Registry() *prometheus.Registry { return m.registry }
