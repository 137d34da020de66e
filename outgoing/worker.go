// Package outgoing delivers outgoing webhooks from the event log's outbox.
// The call service queues deliveries in the transaction of the facts that
// cause them; the Worker claims the due ones, signs each per Standard
// Webhooks, POSTs it, and records the result: delivered on 2xx, tried
// again later (exponential backoff with jitter) on a network error, a
// timeout, 429 or 5xx, dead once attempts run out or on any other answer.
// Every state lives in the outbox, so a restart resumes where it stopped.
package outgoing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chattocalls/chatto/eventlog"
)

// Endpoint is one receiver.
type Endpoint struct {
	// URL receives the POSTs; it also names the endpoint in the outbox.
	URL string
	// Secret is the Standard Webhooks signing secret, "whsec_" + base64.
	Secret string
}

// LogValue keeps the secret out of logs.
func (e Endpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", RedactURL(e.URL)), slog.String("secret", "[redacted]"))
}

// Options are the worker's settings (the [webhooks] section).
type Options struct {
	Endpoints   []Endpoint
	MaxAttempts int
	// Timeout bounds one attempt, connection and answer included.
	Timeout     time.Duration
	Concurrency int
	// RetryBase is the wait after the first failure; it doubles after
	// each further one, up to RetryMax, with jitter.
	RetryBase, RetryMax time.Duration
	// PollInterval is how often the worker looks at the outbox without
	// being notified, as a safety net; 0 means 30s.
	PollInterval time.Duration
}

// Worker delivers the outbox. Run it in one goroutine; Notify wakes it.
type Worker struct {
	store     *eventlog.Store
	opts      Options
	log       *slog.Logger
	client    *http.Client
	endpoints map[string]*endpoint
	// names are the configured endpoints as the outbox names them; only
	// their deliveries are claimed.
	names []string
	// lease is how long a claimed delivery stays out of other claims:
	// long enough for any attempt to finish and record its result.
	lease time.Duration
	wake  chan struct{}
}

type endpoint struct {
	url    string
	signer *standardwebhooks.Webhook
}

// New checks the options and returns a worker; it does not start it.
func New(store *eventlog.Store, opts Options, log *slog.Logger) (*Worker, error) {
	switch {
	case opts.MaxAttempts < 1:
		return nil, fmt.Errorf("outgoing: max attempts %d is less than 1", opts.MaxAttempts)
	case opts.Timeout <= 0:
		return nil, fmt.Errorf("outgoing: timeout %s is not positive", opts.Timeout)
	case opts.Concurrency < 1:
		return nil, fmt.Errorf("outgoing: concurrency %d is less than 1", opts.Concurrency)
	case opts.RetryBase <= 0 || opts.RetryMax < opts.RetryBase:
		return nil, fmt.Errorf("outgoing: retry base %s and max %s: want 0 < base <= max", opts.RetryBase, opts.RetryMax)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 30 * time.Second
	}
	w := &Worker{
		store: store, opts: opts, log: log,
		endpoints: make(map[string]*endpoint, len(opts.Endpoints)),
		lease:     2*opts.Timeout + 10*time.Second,
		wake:      make(chan struct{}, 1),
	}
	for i, e := range opts.Endpoints {
		if e.URL == "" {
			return nil, fmt.Errorf("outgoing: endpoint %d has no url", i)
		}
		if _, dup := w.endpoints[e.URL]; dup {
			return nil, fmt.Errorf("outgoing: endpoint %d: url %s is configured twice", i, RedactURL(e.URL))
		}
		signer, err := standardwebhooks.NewWebhook(e.Secret)
		if err != nil || e.Secret == "" {
			// The library's error may describe the secret; say only which.
			return nil, fmt.Errorf("outgoing: endpoint %d: the secret is not whsec_ followed by base64", i)
		}
		w.endpoints[e.URL] = &endpoint{url: e.URL, signer: signer}
		w.names = append(w.names, e.URL)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = opts.Concurrency
	w.client = &http.Client{
		Transport: transport,
		// A receiver that moved must be configured with its new url: a
		// redirect could carry a signed payload anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return w, nil
}

// Notify wakes the worker to look for due deliveries now. It never
// blocks, so the call service may call it under its locks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight
// (cancelled with ctx; their deliveries are handed back, uncounted).
func (w *Worker) Run(ctx context.Context) {
	defer w.client.CloseIdleConnections()
	w.warnOrphans(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	// Buffered for every attempt in flight, so none blocks on it after
	// Run has stopped reading.
	done := make(chan struct{}, w.opts.Concurrency)
	inflight := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	// Claims that fail keep failing until something outside changes (a
	// full disk, a lock): say so when it starts and when it ends, not on
	// every retry.
	failing := 0
	for {
		wait := w.opts.PollInterval
		if free := w.opts.Concurrency - inflight; free > 0 {
			items, err := w.store.ClaimOutbox(ctx, time.Now(), w.lease, w.names, free)
			switch {
			case err != nil && ctx.Err() == nil:
				level := slog.LevelDebug
				if failing == 0 {
					level = slog.LevelWarn
				}
				failing++
				w.log.Log(ctx, level, "cannot claim outgoing webhooks; retrying every second", "err", err)
			case err == nil && failing > 0:
				w.log.Info("claiming outgoing webhooks works again", "failed_claims", failing)
				failing = 0
			}
			for _, it := range items {
				inflight++
				wg.Go(func() {
					w.attempt(ctx, it)
					done <- struct{}{}
				})
			}
			if err != nil {
				wait = time.Second
			} else if inflight < w.opts.Concurrency {
				wait = w.untilNext(ctx, wait)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-done:
			inflight--
		case <-timer.C:
		}
	}
}

// untilNext is how long to sleep before the next pending delivery is due,
// at most poll.
func (w *Worker) untilNext(ctx context.Context, poll time.Duration) time.Duration {
	next, ok, err := w.store.NextOutboxAttempt(ctx, w.names)
	if err != nil || !ok {
		return poll
	}
	return min(max(time.Until(next), 0), poll)
}

// warnOrphans says when deliveries wait for an endpoint that is no longer
// configured: they stay pending, and go out if it is configured again.
func (w *Worker) warnOrphans(ctx context.Context) {
	pending, err := w.store.PendingOutboxEndpoints(ctx)
	if err != nil {
		w.log.Warn("cannot count pending outgoing webhooks", "err", err)
		return
	}
	for name, n := range pending {
		if w.endpoints[name] == nil {
			w.log.Warn("outgoing webhooks wait for an endpoint that is not configured", "endpoint", RedactURL(name), "pending", n)
		}
	}
}

// Stats is the outbox as /healthz shows it.
type Stats struct {
	// Endpoints is how many receivers are configured.
	Endpoints int `json:"endpoints"`
	eventlog.OutboxCounts
}

// Stats counts the outbox's deliveries by state.
func (w *Worker) Stats(ctx context.Context) (Stats, error) {
	c, err := w.store.CountOutbox(ctx)
	if err != nil {
		return Stats{}, err
	}
	return Stats{Endpoints: len(w.endpoints), OutboxCounts: c}, nil
}

// RedactURL is what logs and errors may show of a receiver's URL: its
// scheme and host. Receivers often authenticate by the URL itself (a
// Slack-style /services/T…/B…/secret path, a ?token= query, a user and
// password), so the rest never leaves the configuration and the outbox.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		// Without a host there is nothing safe to show: the whole string
		// may be the secret part.
		return "[unparsable url]"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}
