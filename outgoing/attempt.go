package outgoing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// errStopped marks an attempt cut short by the worker stopping.
var errStopped = errors.New("worker stopped")

// attempt sends one claimed delivery and records how it went.
func (w *Worker) attempt(ctx context.Context, it eventlog.OutboxEntry) {
	// The result is recorded even if the worker is stopping meanwhile: a
	// receiver that answered must not get the delivery again.
	record := context.WithoutCancel(ctx)
	a := w.send(ctx, w.endpoints[it.Endpoint], it)
	if errors.Is(a.err, errStopped) {
		if err := w.store.OutboxRelease(record, it.ID, it.Endpoint, time.Now()); err != nil {
			w.log.Warn("cannot hand back an outgoing webhook", "id", it.ID, "err", err)
		}
		return
	}
	now := time.Now()
	n := it.Attempts + 1
	log := w.log.With("endpoint", RedactURL(it.Endpoint), "id", it.ID, "event", it.Event, "attempt", n)
	var err error
	switch {
	case a.ok():
		err = w.store.OutboxDelivered(record, it.ID, it.Endpoint, now)
		log.Debug("outgoing webhook delivered", "status", a.status)
	case a.retryable() && n < w.opts.MaxAttempts:
		delay := max(backoff(n, w.opts.RetryBase, w.opts.RetryMax, rand.Float64()), min(a.retryAfter, w.opts.RetryMax))
		err = w.store.OutboxRetry(record, it.ID, it.Endpoint, a.String(), now.Add(delay))
		log.Warn("outgoing webhook attempt failed; will retry", "reason", a.String(), "retry_in", delay.Round(time.Millisecond).String())
	default:
		reason := a.String()
		if !a.retryable() {
			reason += " (not retried: only network errors, timeouts, 429 and 5xx are)"
		}
		err = w.store.OutboxDead(record, it.ID, it.Endpoint, reason, now)
		log.Error("outgoing webhook given up: dead letter", "reason", reason)
	}
	if err != nil {
		// The lease runs out and the delivery is tried again: at least
		// once, never lost.
		log.Error("cannot record an outgoing webhook attempt", "err", err)
	}
}

// answer is how one attempt went.
type answer struct {
	// status is the receiver's HTTP status, 0 if none came.
	status int
	// retryAfter is what a 429 or 503 asked for in Retry-After.
	retryAfter time.Duration
	// err is why no answer came: a network error, the attempt's timeout,
	// or errStopped.
	err     error
	timeout time.Duration
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// retryable: the receiver may take it later. Anything else it answered
// (other 4xx, 3xx, 1xx) will not change by asking again.
func (a answer) retryable() bool {
	return a.err != nil || a.status == http.StatusTooManyRequests || a.status >= 500
}

// String says why an attempt failed, for the outbox and the log: a status,
// a timeout or the network error, never the payload or headers.
func (a answer) String() string {
	switch {
	case a.err == nil:
		return fmt.Sprintf("status %d", a.status)
	case errors.Is(a.err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", a.timeout)
	}
	return a.err.Error()
}

// send POSTs the signed delivery.
func (w *Worker) send(ctx context.Context, ep *endpoint, it eventlog.OutboxEntry) answer {
	a := answer{timeout: w.opts.Timeout}
	if ep == nil {
		a.err = errStopped // not configured (claims never return these)
		return a
	}
	attemptCtx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, ep.url, bytes.NewReader(it.Payload))
	if err != nil {
		// url.Parse's error quotes the whole URL.
		a.err = fmt.Errorf("cannot build a request to %s", RedactURL(ep.url))
		return a
	}
	sent := time.Now()
	sig, err := ep.signer.Sign(it.ID, sent, it.Payload)
	if err != nil {
		a.err = errors.New("cannot sign") // never the library's words: they could hold key material
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chatto-webhooks")
	req.Header.Set(HeaderID, it.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(sent.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := w.client.Do(req)
	if err != nil {
		a.err = err
		// *url.Error repeats the URL; the cause is enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			a.err = ue.Err
		}
		if ctx.Err() != nil {
			a.err = errStopped
		}
		return a
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection can be reused; what a
	// receiver says is not kept.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.status = resp.StatusCode
	if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), sent)
	}
	return a
}

// backoff is the wait after the n-th failed attempt: base doubled n-1
// times, capped at limit, of which the second half is random (jitter), so
// deliveries that failed together spread out but none retries sooner
// than half its step. jitter is in [0, 1).
func backoff(n int, base, limit time.Duration, jitter float64) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}
