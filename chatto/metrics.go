package chatto

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/webhooks"
)

// metrics are the plugin's Prometheus metrics. They are counted whether
// or not anyone collects them; WithRegisterer registers them on the
// host's registry. No label carries a room, call, user or device: the
// values are aggregates an operator may see, never per-user data.
type metrics struct {
	joins       *prometheus.CounterVec // by result: "ok" or an error code
	joinSeconds prometheus.Histogram   // successful joins

	webhooksReceived  prometheus.Counter
	webhooksRejected  *prometheus.CounterVec // by reason
	webhooksDuplicate prometheus.Counter
	webhooksIgnored   prometheus.Counter
	webhooksApplied   prometheus.Counter
	webhooksFailed    prometheus.Counter
	webhookSeconds    prometheus.Histogram

	callsStarted prometheus.Counter
	callsEnded   *prometheus.CounterVec // by outcome
	ringsStarted prometheus.Counter
	rings        *prometheus.CounterVec // ring_stopped by outcome

	reconcileRuns        prometheus.Counter
	reconcileFailures    prometheus.Counter
	reconcileRepairs     prometheus.Counter
	reconcileLastSuccess prometheus.Gauge
}

// Reasons a webhook is rejected (chatto_webhooks_rejected_total).
const (
	rejectSignature = "signature"
	rejectTooLarge  = "too_large"
	rejectMalformed = "malformed"
)

// latencyBuckets cover a loopback request (about a millisecond) up to the
// five seconds a busy SQLite waits before it gives up.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newMetrics() *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	vec := func(name, help, label string, values ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
		// Known values start at 0, so a rate over them is defined from
		// the first scrape.
		for _, val := range values {
			v.WithLabelValues(val)
		}
		return v
	}
	histogram := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets})
	}
	outcomes := []string{
		string(eventlog.OutcomeCompleted), string(eventlog.OutcomeMissed), string(eventlog.OutcomeDeclined),
		string(eventlog.OutcomeBusy), string(eventlog.OutcomeCancelled), string(eventlog.OutcomeMerged),
	}
	return &metrics{
		joins: vec("chatto_joins_total", "Join requests (POST .../call/join) by result: ok or the error code answered.",
			"result", "ok", EFORBIDDEN, ERATELIMITED, ECALLFULL, EREMOVED, EUNAVAILABLE, EINTERNAL),
		joinSeconds: histogram("chatto_join_duration_seconds", "Time to answer a successful join request."),

		webhooksReceived: counter("chatto_webhooks_received_total", "LiveKit webhook requests received."),
		webhooksRejected: vec("chatto_webhooks_rejected_total", "LiveKit webhooks refused before they were applied, by reason.",
			"reason", rejectSignature, rejectTooLarge, rejectMalformed),
		webhooksDuplicate: counter("chatto_webhooks_duplicate_total", "Verified webhooks whose event id was already applied (no-ops)."),
		webhooksIgnored:   counter("chatto_webhooks_ignored_total", "Verified webhooks that changed nothing: not a running call of this server, or nothing new."),
		webhooksApplied:   counter("chatto_webhooks_applied_total", "Verified webhooks that recorded at least one fact."),
		webhooksFailed:    counter("chatto_webhooks_failed_total", "Verified webhooks that could not be applied (answered 5xx, so LiveKit retries)."),
		webhookSeconds:    histogram("chatto_webhook_duration_seconds", "Time to answer a LiveKit webhook request (verify, dedupe, apply)."),

		callsStarted: counter("chatto_calls_started_total", "Calls started."),
		callsEnded:   vec("chatto_calls_ended_total", "Calls ended, by outcome.", "outcome", outcomes...),
		ringsStarted: counter("chatto_rings_started_total", "Rings started (a direct call's first join, an invite)."),
		rings: vec("chatto_rings_total", "Rings that stopped, by outcome.", "outcome",
			eventlog.RingAccepted, eventlog.RingDeclined, eventlog.RingCancelled, eventlog.RingMissed, eventlog.RingMerged),

		reconcileRuns:     counter("chatto_reconcile_runs_total", "Reconcile passes over every active call."),
		reconcileFailures: counter("chatto_reconcile_failures_total", "Reconcile passes that failed (LiveKit unreachable, database error); calls are kept."),
		reconcileRepairs:  counter("chatto_reconcile_repairs_total", "Facts recorded by reconciling with LiveKit (reconcile passes and join-grace checks)."),
		reconcileLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chatto_reconcile_last_success_timestamp_seconds",
			Help: "Unix time of the last successful reconcile pass (0: none yet)."}),
	}
}

// collectors lists every metric for registration.
func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.joins, m.joinSeconds,
		m.webhooksReceived, m.webhooksRejected, m.webhooksDuplicate, m.webhooksIgnored, m.webhooksApplied,
		m.webhooksFailed, m.webhookSeconds,
		m.callsStarted, m.callsEnded, m.ringsStarted, m.rings,
		m.reconcileRuns, m.reconcileFailures, m.reconcileRepairs, m.reconcileLastSuccess,
	}
}

// join counts one answered join request.
func (m *metrics) join(err error, took time.Duration) {
	if err != nil {
		m.joins.WithLabelValues(ErrorCode(err)).Inc()
		return
	}
	m.joins.WithLabelValues("ok").Inc()
	m.joinSeconds.Observe(took.Seconds())
}

// webhookAnswered counts one webhook request by how the edge answered it;
// applied, duplicate and ignored are counted by the service.
func (m *metrics) webhookAnswered(err error, took time.Duration) {
	m.webhooksReceived.Inc()
	m.webhookSeconds.Observe(took.Seconds())
	switch {
	case err == nil:
	case errors.Is(err, webhooks.ErrUnauthorized):
		m.webhooksRejected.WithLabelValues(rejectSignature).Inc()
	case errors.Is(err, webhooks.ErrTooLarge):
		m.webhooksRejected.WithLabelValues(rejectTooLarge).Inc()
	case errors.Is(err, webhooks.ErrMalformed):
		m.webhooksRejected.WithLabelValues(rejectMalformed).Inc()
	default:
		m.webhooksFailed.Inc()
	}
}

// webhookResult is what applying a verified webhook did.
type webhookResult int

const (
	webhookIgnored webhookResult = iota
	webhookDuplicate
	webhookApplied
)

func (m *metrics) webhookApplied(r webhookResult) {
	switch r {
	case webhookApplied:
		m.webhooksApplied.Inc()
	case webhookDuplicate:
		m.webhooksDuplicate.Inc()
	default:
		m.webhooksIgnored.Inc()
	}
}

// facts counts the committed facts that operators follow.
func (m *metrics) facts(evs []eventlog.Event) {
	for _, e := range evs {
		switch e.Kind {
		case eventlog.CallStarted:
			m.callsStarted.Inc()
		case eventlog.CallEnded:
			m.callsEnded.WithLabelValues(string(e.Outcome)).Inc()
		case eventlog.RingStarted:
			m.ringsStarted.Inc()
		case eventlog.RingStopped:
			m.rings.WithLabelValues(e.Reason).Inc()
		}
	}
}

// reconciled counts one reconcile pass.
func (m *metrics) reconciled(err error, at time.Time) {
	m.reconcileRuns.Inc()
	if err != nil {
		m.reconcileFailures.Inc()
		return
	}
	m.reconcileLastSuccess.Set(float64(at.UnixNano()) / 1e9)
}

// stateCollector reports the live call state at scrape time, read from
// the projection.
type stateCollector struct {
	s            *Service
	calls        *prometheus.Desc
	participants *prometheus.Desc
	ringing      *prometheus.Desc
}

func newStateCollector(s *Service) *stateCollector {
	return &stateCollector{
		s:     s,
		calls: prometheus.NewDesc("chatto_active_calls", "Calls running now.", nil, nil),
		participants: prometheus.NewDesc("chatto_call_participants",
			"Devices in running calls, by state: connected (LiveKit confirmed the session) or pending (holds a token LiveKit has not confirmed).",
			[]string{"state"}, nil),
		ringing: prometheus.NewDesc("chatto_rings_active", "Users being rung now.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.calls
	ch <- c.participants
	ch <- c.ringing
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	var calls, connected, pending, ringing int
	c.s.mu.RLock()
	for _, call := range c.s.proj.Calls() {
		calls++
		ringing += len(call.Rings)
		for _, p := range call.Participants {
			if p.Pending() {
				pending++
			} else {
				connected++
			}
		}
	}
	c.s.mu.RUnlock()
	ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(calls))
	ch <- prometheus.MustNewConstMetric(c.participants, prometheus.GaugeValue, float64(connected), "connected")
	ch <- prometheus.MustNewConstMetric(c.participants, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(c.ringing, prometheus.GaugeValue, float64(ringing))
}

// register adds the service's metrics to reg.
func (s *Service) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range append(s.metrics.collectors(), newStateCollector(s)) {
		errs = append(errs, reg.Register(c))
	}
	return errors.Join(errs...)
}
