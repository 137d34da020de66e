package outgoing_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/outgoing"
	"github.com/chattocalls/chatto/outgoing/outgoingtest"
)

const wait = 5 * time.Second

// logBuffer collects a worker's log lines at every level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type harness struct {
	t     *testing.T
	path  string
	store *eventlog.Store
	logs  *logBuffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "chatto.db"), logs: &logBuffer{}}
	h.open()
	return h
}

func (h *harness) open() {
	h.t.Helper()
	s, err := eventlog.Open(context.Background(), h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { s.Close() })
	h.store = s
}

// options are fast settings for tests: retries after ~10-20 ms.
func options(eps ...outgoing.Endpoint) outgoing.Options {
	return outgoing.Options{
		Endpoints: eps, MaxAttempts: 3, Timeout: 2 * time.Second, Concurrency: 4,
		RetryBase: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond, PollInterval: time.Hour,
	}
}

// start runs a worker until the test ends or the returned stop is called;
// stop returns once Run has.
func (h *harness) start(opts outgoing.Options) (*outgoing.Worker, func()) {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := outgoing.New(h.store, opts, log)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			h.t.Fatal("worker did not stop")
		}
	}
	h.t.Cleanup(stop)
	return w, stop
}

// queue appends a fact with one delivery per endpoint, as the call
// service does, and returns the webhook id.
func (h *harness) queue(id string, endpoints ...string) {
	h.t.Helper()
	b := eventlog.Batch{Events: []eventlog.Event{{RoomID: "r", CallID: id, Kind: eventlog.CallStarted, Source: eventlog.SourceUser}}}
	for _, e := range endpoints {
		b.Outbox = append(b.Outbox, eventlog.OutboxItem{
			ID: id, Endpoint: e, Event: "call.started",
			Payload: []byte(`{"type":"call.started","timestamp":"2026-01-02T03:04:05Z","data":{"call_id":"` + id + `"}}`),
		})
	}
	if _, err := h.store.Append(context.Background(), b); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) entry(id string) eventlog.OutboxEntry {
	h.t.Helper()
	es, err := h.store.OutboxEntries(context.Background(), id)
	if err != nil || len(es) != 1 {
		h.t.Fatalf("outbox entries of %s = %+v, %v", id, es, err)
	}
	return es[0]
}

func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeliversTheSignedPayloadOnceAndMarksItDelivered(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	w, _ := h.start(options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}))
	h.queue("msg_1", rcv.URL)
	w.Notify()

	got := rcv.Wait(wait, "the delivery", func(all []outgoingtest.Delivery) bool { return len(all) == 1 })
	if d := got[0]; d.ID != "msg_1" || d.Type != "call.started" || !strings.Contains(string(d.Data), `"msg_1"`) {
		t.Fatalf("delivery = %+v", d)
	}
	h.eventually("delivered in the outbox", func() bool { return h.entry("msg_1").State == eventlog.OutboxDelivered })
	if e := h.entry("msg_1"); e.Attempts != 1 || e.Delivered.IsZero() {
		t.Fatalf("outbox row = %+v", e)
	}
	st, err := w.Stats(context.Background())
	if err != nil || st != (outgoing.Stats{Endpoints: 1, OutboxCounts: eventlog.OutboxCounts{Delivered: 1}}) {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rcv.All()); n != 1 {
		t.Fatalf("%d attempts for one delivery", n)
	}
}

func TestTwoServerErrorsThenSuccessDeliversOnceOnTheThirdAttempt(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	rcv.Answer(func(n int, _ outgoingtest.Delivery) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	opts := options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret})
	opts.MaxAttempts = 5
	w, _ := h.start(opts)
	h.queue("msg_1", rcv.URL)
	w.Notify()

	rcv.Wait(wait, "an accepted attempt", func(all []outgoingtest.Delivery) bool { return len(all) == 3 })
	h.eventually("delivered", func() bool { return h.entry("msg_1").State == eventlog.OutboxDelivered })
	time.Sleep(200 * time.Millisecond) // longer than any backoff: a fourth attempt would show
	all := rcv.All()
	if len(all) != 3 || len(rcv.Accepted()) != 1 || all[2].Answer != 200 {
		t.Fatalf("attempts = %s, want 500, 500, 200", outgoingtest.Summary(all))
	}
	if all[0].ID != all[2].ID || all[0].Signature == "" {
		t.Fatal("retries must repeat the webhook id")
	}
	if e := h.entry("msg_1"); e.Attempts != 3 || e.LastError != "" {
		t.Fatalf("outbox row = %+v", e)
	}
}

func TestAnswersDecideBetweenRetryAndDeadLetter(t *testing.T) {
	for _, tc := range []struct {
		status int
		retry  bool
	}{
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
		{http.StatusBadRequest, false},
		{http.StatusUnauthorized, false},
		{http.StatusNotFound, false},
		{http.StatusGone, false},
		{http.StatusFound, false}, // redirects are not followed
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			h := newHarness(t)
			rcv := outgoingtest.NewReceiver(t)
			rcv.Answer(func(int, outgoingtest.Delivery) int { return tc.status })
			w, _ := h.start(options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}))
			h.queue("msg_1", rcv.URL)
			w.Notify()
			h.eventually("a dead letter", func() bool { return h.entry("msg_1").State == eventlog.OutboxDead })
			e := h.entry("msg_1")
			want := 1
			if tc.retry {
				want = 3
			}
			if e.Attempts != want || len(rcv.All()) != want || !strings.HasPrefix(e.LastError, "status ") {
				t.Fatalf("%d answered: %d attempts (receiver saw %d), last error %q; want %d", tc.status, e.Attempts, len(rcv.All()), e.LastError, want)
			}
		})
	}
}

func TestUnreachableReceiverBecomesADeadLetterAfterMaxAttempts(t *testing.T) {
	h := newHarness(t)
	secret := outgoingtest.NewSecret()
	url := outgoingtest.DeadURL(t)
	w, _ := h.start(options(outgoing.Endpoint{URL: url, Secret: secret}))
	h.queue("msg_1", url)
	w.Notify()

	h.eventually("a dead letter", func() bool { return h.entry("msg_1").State == eventlog.OutboxDead })
	dead, err := h.store.DeadOutbox(context.Background(), 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "msg_1" || dead[0].Attempts != 3 ||
		!strings.Contains(dead[0].LastError, "connection refused") {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
	st, _ := w.Stats(context.Background())
	if st.Dead != 1 || st.Pending != 0 {
		t.Fatalf("stats = %+v", st)
	}
	// The worker logs the dead letter after recording it, so the line may
	// come a moment after the state.
	h.eventually("the dead letter logged at error level", func() bool {
		return strings.Contains(h.logs.String(), "level=ERROR msg=\"outgoing webhook given up: dead letter\"")
	})
	logs := h.logs.String()
	if !strings.Contains(logs, "msg_1") {
		t.Fatalf("the dead letter's log line does not name it:\n%s", logs)
	}
	if strings.Contains(logs, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatal("the log holds the secret")
	}
}

func TestAnAttemptWithoutAnswerWithinTheTimeoutIsRetried(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	// Counted as they arrive: the first is still being answered (late)
	// when the second comes.
	var arrived atomic.Int32
	rcv.Answer(func(int, outgoingtest.Delivery) int {
		if arrived.Add(1) == 1 {
			time.Sleep(400 * time.Millisecond)
		}
		return http.StatusOK
	})
	opts := options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret})
	opts.Timeout = 100 * time.Millisecond
	w, _ := h.start(opts)
	h.queue("msg_1", rcv.URL)
	w.Notify()
	h.eventually("delivered", func() bool { return h.entry("msg_1").State == eventlog.OutboxDelivered })
	if e := h.entry("msg_1"); e.Attempts != 2 {
		t.Fatalf("outbox row = %+v, want delivered on the second attempt", e)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "no answer within 100ms") {
		t.Fatalf("the timeout is not logged as such:\n%s", logs)
	}
}

func TestStoppingMidAttemptHandsTheDeliveryBackForTheNextRun(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var hang atomic.Bool
	hang.Store(true)
	rcv.Answer(func(int, outgoingtest.Delivery) int {
		if hang.Load() {
			entered <- struct{}{}
			<-release
		}
		return http.StatusOK
	})
	t.Cleanup(func() { close(release) })
	ep := outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}
	w, stop := h.start(options(ep))
	h.queue("msg_1", rcv.URL)
	w.Notify()
	<-entered
	began := time.Now()
	stop()
	if d := time.Since(began); d > time.Second {
		t.Fatalf("stopping took %s with an attempt in flight", d)
	}
	if e := h.entry("msg_1"); e.State != eventlog.OutboxPending || e.Attempts != 0 || e.NextAttempt.After(time.Now()) {
		t.Fatalf("after stopping mid-attempt the row is %+v; want pending, uncounted, due", e)
	}

	hang.Store(false)
	w, _ = h.start(options(ep))
	h.eventually("delivered by the next run", func() bool { return h.entry("msg_1").State == eventlog.OutboxDelivered })
}

func TestPendingDeliveryIsSentAfterARestart(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	var up atomic.Bool
	rcv.Answer(func(int, outgoingtest.Delivery) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	ep := outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}
	opts := options(ep)
	opts.MaxAttempts, opts.RetryBase, opts.RetryMax = 5, 50*time.Millisecond, 50*time.Millisecond
	w, stop := h.start(opts)
	h.queue("msg_1", rcv.URL)
	w.Notify()
	h.eventually("a failed attempt", func() bool { return h.entry("msg_1").Attempts == 1 })
	stop()
	h.store.Close()

	up.Store(true)
	h.open()
	h.start(opts)
	h.eventually("delivered after the restart", func() bool { return h.entry("msg_1").State == eventlog.OutboxDelivered })
	if n := len(rcv.Accepted()); n != 1 {
		t.Fatalf("accepted %d times", n)
	}
}

func TestNotifySendsAtOnceWithoutWaitingForThePoll(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	w, _ := h.start(options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret})) // polls hourly
	time.Sleep(50 * time.Millisecond)                                             // the first look found nothing
	h.queue("msg_1", rcv.URL)
	w.Notify()
	rcv.Wait(time.Second, "the delivery after Notify", func(all []outgoingtest.Delivery) bool { return len(all) == 1 })
}

func TestAtMostConcurrencyDeliveriesAreInFlight(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	var now, peak atomic.Int32
	rcv.Answer(func(int, outgoingtest.Delivery) int {
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		now.Add(-1)
		return http.StatusOK
	})
	opts := options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret})
	opts.Concurrency = 2
	for _, id := range []string{"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"} {
		h.queue(id, rcv.URL)
	}
	h.start(opts)
	rcv.Wait(wait, "all eight", func(all []outgoingtest.Delivery) bool { return len(all) == 8 })
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want 2", p)
	}
}

func TestDeliveriesOfUnconfiguredEndpointsWaitPending(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	h.queue("msg_1", rcv.URL, "https://gone.example/hooks")
	h.start(options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}))
	rcv.Wait(wait, "the configured endpoint's delivery", func(all []outgoingtest.Delivery) bool { return len(all) == 1 })
	es, _ := h.store.OutboxEntries(context.Background(), "msg_1")
	for _, e := range es {
		if e.Endpoint == "https://gone.example/hooks" && (e.State != eventlog.OutboxPending || e.Attempts != 0) {
			t.Fatalf("delivery to an unconfigured endpoint = %+v; want untouched", e)
		}
	}
	if !strings.Contains(h.logs.String(), "gone.example") {
		t.Fatal("the waiting deliveries are not logged")
	}
}

func TestNewRefusesBadOptionsWithoutShowingTheSecret(t *testing.T) {
	secret := "whsec_" + strings.Repeat("A", 30) + "!!"
	for name, opts := range map[string]outgoing.Options{
		"bad secret":  options(outgoing.Endpoint{URL: "http://127.0.0.1:1/", Secret: secret}),
		"no secret":   options(outgoing.Endpoint{URL: "http://127.0.0.1:1/"}),
		"no url":      options(outgoing.Endpoint{Secret: outgoingtest.NewSecret()}),
		"same url":    options(outgoing.Endpoint{URL: "http://a/", Secret: outgoingtest.NewSecret()}, outgoing.Endpoint{URL: "http://a/", Secret: outgoingtest.NewSecret()}),
		"no attempts": {MaxAttempts: 0, Timeout: time.Second, Concurrency: 1, RetryBase: time.Second, RetryMax: time.Second},
		"no timeout":  {MaxAttempts: 1, Concurrency: 1, RetryBase: time.Second, RetryMax: time.Second},
		"no workers":  {MaxAttempts: 1, Timeout: time.Second, RetryBase: time.Second, RetryMax: time.Second},
		"max < base":  {MaxAttempts: 1, Timeout: time.Second, Concurrency: 1, RetryBase: time.Second, RetryMax: time.Millisecond},
	} {
		_, err := outgoing.New(nil, opts, nil)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), strings.Repeat("A", 30)) {
			t.Errorf("%s: error shows the secret: %v", name, err)
		}
	}
}

// Receivers often authenticate by their URL (a Slack-style secret path, a
// token in the query, a user and password): a failing delivery, a dead
// letter, a delivery waiting for an unconfigured receiver and a refused
// configuration name the receiver by scheme and host only.
func TestLogsNameReceiversBySchemeAndHostOnly(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	rcv.Answer(func(n int, _ outgoingtest.Delivery) int {
		if n == 1 {
			return http.StatusInternalServerError // retried: a warning
		}
		return http.StatusBadRequest // dead at once: an error
	})
	const secretPath, secretQuery = "/services/T0AAA/B0BBB/s3cr3tPath", "token=s3cr3tQuery"
	withSecrets := func(base string) string {
		return strings.Replace(strings.TrimSuffix(base, "/hooks"), "://", "://hook:s3cr3tPassword@", 1) + secretPath + "?" + secretQuery
	}
	dead := outgoingtest.DeadURL(t)
	answering, refusing := withSecrets(rcv.URL), withSecrets(dead)
	gone := "https://gone.example" + secretPath + "?" + secretQuery
	h.queue("msg_1", answering, refusing, gone)
	h.start(options(outgoing.Endpoint{URL: answering, Secret: rcv.Secret}, outgoing.Endpoint{URL: refusing, Secret: rcv.Secret}))
	rcv.Wait(wait, "two attempts", func(all []outgoingtest.Delivery) bool { return len(all) == 2 })
	h.eventually("both dead", func() bool {
		es, _ := h.store.OutboxEntries(context.Background(), "msg_1")
		n := 0
		for _, e := range es {
			if e.State == eventlog.OutboxDead {
				n++
			}
		}
		return n == 2
	})
	_, err := outgoing.New(nil, options(outgoing.Endpoint{URL: answering, Secret: rcv.Secret}, outgoing.Endpoint{URL: answering, Secret: rcv.Secret}), nil)
	if err == nil {
		t.Fatal("the same url twice was accepted")
	}
	logs := h.logs.String() + err.Error()
	for _, want := range []string{"will retry", "dead letter", "connection refused", "not configured", "configured twice"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs do not say %q", want)
		}
	}
	for _, secret := range []string{"s3cr3t", "T0AAA", "B0BBB", "hook:"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show %q of a receiver's URL", secret)
		}
	}
	for _, host := range []string{strings.TrimSuffix(rcv.URL, "/hooks"), strings.TrimSuffix(dead, "/hooks"), "https://gone.example"} {
		if !strings.Contains(logs, host) {
			t.Errorf("the logs do not name the receiver %s", host)
		}
	}
	if t.Failed() {
		t.Log(logs)
	}
}

func TestEndpointLogValueRedactsTheSecret(t *testing.T) {
	var buf bytes.Buffer
	ep := outgoing.Endpoint{URL: "https://u:pw@push.example/", Secret: "whsec_c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzISE="}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "endpoint", ep)
	if s := buf.String(); strings.Contains(s, "c2VjcmV0") || strings.Contains(s, ":pw@") || !strings.Contains(s, "[redacted]") {
		t.Fatalf("logged %s", s)
	}
}

// A claim that keeps failing (here the database refuses writes) is
// reported once, not on every retry, and so is its end.
func TestClaimsThatKeepFailingAreReportedOnce(t *testing.T) {
	h := newHarness(t)
	rcv := outgoingtest.NewReceiver(t)
	h.queue("msg_1", rcv.URL)
	readOnly := func(on bool) {
		t.Helper()
		// The store has one connection, so the pragma holds for every
		// statement it runs.
		if _, err := h.store.DB().Exec(fmt.Sprintf(`PRAGMA query_only = %t`, on)); err != nil {
			t.Fatal(err)
		}
	}
	readOnly(true)
	h.start(options(outgoing.Endpoint{URL: rcv.URL, Secret: rcv.Secret}))
	h.eventually("three failed claims", func() bool { return strings.Count(h.logs.String(), "cannot claim") >= 3 })
	if n := strings.Count(h.logs.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings for three failed claims, want 1:\n%s", n, h.logs.String())
	}
	readOnly(false)
	rcv.Wait(wait, "the delivery once claims work", func(all []outgoingtest.Delivery) bool { return len(all) == 1 })
	h.eventually("the recovery told", func() bool { return strings.Contains(h.logs.String(), "claiming outgoing webhooks works again") })
}
