// Package outgoingtest is a webhook receiver for tests: an HTTP server on
// loopback that verifies Standard Webhooks signatures the way the spec
// describes them (written here from the spec, independently of the
// library that signs), records every attempt and answers as the test
// says.
package outgoingtest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Delivery is one attempt the receiver got, with a valid signature.
type Delivery struct {
	ID        string
	Timestamp time.Time
	Signature string
	Type      string
	// Time is the payload's timestamp.
	Time time.Time
	Data json.RawMessage
	Body []byte
	// Answer is the status the receiver answered with.
	Answer int
}

// Receiver is a running test receiver.
type Receiver struct {
	// URL is where to send; Secret verifies ("whsec_" + base64).
	URL, Secret string

	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	got     []Delivery
	answer  func(attempt int, d Delivery) int
	changed chan struct{}
}

// NewReceiver starts a receiver on 127.0.0.1 with a fresh secret that
// answers 200; it stops when the test ends, and the test fails if a
// request without a valid signature ever came.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{t: t, Secret: NewSecret(), changed: make(chan struct{})}
	r.answer = func(int, Delivery) int { return http.StatusOK }
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL + "/hooks"
	t.Cleanup(r.srv.Close)
	return r
}

// NewSecret returns a random signing secret with a 32-byte key.
func NewSecret() string {
	key := make([]byte, 32)
	rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// DeadURL is a loopback URL where nothing listens: every attempt to it
// fails with a refused connection.
func DeadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hooks"
}

// Answer makes the receiver answer with f(n, d), n being the attempt
// number of d's webhook id (1 for the first).
func (r *Receiver) Answer(f func(attempt int, d Delivery) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	d, err := parse(r.Secret, req.Header, body)
	if err != nil {
		r.t.Errorf("outgoingtest: a delivery failed verification: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	n := 1
	for _, g := range r.got {
		if g.ID == d.ID {
			n++
		}
	}
	answer := r.answer
	r.mu.Unlock()
	// Unlocked: an answer may take its time (a slow receiver) while other
	// requests come in.
	d.Answer = answer(n, d)
	r.mu.Lock()
	r.got = append(r.got, d)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.WriteHeader(d.Answer)
}

// parse verifies a request and decodes its body.
func parse(secret string, h http.Header, body []byte) (Delivery, error) {
	if err := Verify(secret, h, body, time.Now()); err != nil {
		return Delivery{}, err
	}
	ts, _ := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	d := Delivery{ID: h.Get("webhook-id"), Timestamp: time.Unix(ts, 0), Signature: h.Get("webhook-signature"), Body: body}
	var p struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Delivery{}, fmt.Errorf("body is not a webhook payload: %w", err)
	}
	if p.Type == "" || p.Timestamp.IsZero() || len(p.Data) == 0 || p.Data[0] != '{' {
		return Delivery{}, fmt.Errorf("payload lacks type, timestamp or data: %s", body)
	}
	if h.Get("Content-Type") != "application/json" {
		return Delivery{}, fmt.Errorf("content type %q", h.Get("Content-Type"))
	}
	d.Type, d.Time, d.Data = p.Type, p.Timestamp, p.Data
	return d, nil
}

// Tolerance is how far a webhook-timestamp may be from now, as the spec
// recommends, against replays.
const Tolerance = 5 * time.Minute

// Verify checks a request's Standard Webhooks signature: one of the
// space-separated "v1,<base64>" signatures in webhook-signature must be
// the HMAC-SHA256, keyed with the secret's base64-decoded key, of
// "{webhook-id}.{webhook-timestamp}.{body}", and the timestamp must be
// within Tolerance of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not unix seconds", ts)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("webhook-timestamp is %s away from now", d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return errors.New("secret is not whsec_ + base64")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if v, sig, ok := strings.Cut(s, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// All returns every attempt received so far, in order.
func (r *Receiver) All() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Accepted returns the attempts answered with 2xx, in order.
func (r *Receiver) Accepted() []Delivery {
	var out []Delivery
	for _, d := range r.All() {
		if d.Answer >= 200 && d.Answer < 300 {
			out = append(out, d)
		}
	}
	return out
}

// Wait waits up to timeout for cond to hold over every attempt received
// so far, and fails the test if it does not.
func (r *Receiver) Wait(timeout time.Duration, what string, cond func(all []Delivery) bool) []Delivery {
	r.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		all, changed := append([]Delivery(nil), r.got...), r.changed
		r.mu.Unlock()
		if cond(all) {
			return all
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.t.Fatalf("outgoingtest: after %s still waiting for %s; received %s", timeout, what, Summary(all))
			return nil
		}
	}
}

// Summary lists deliveries briefly for failure messages.
func Summary(ds []Delivery) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s %s→%d %s", d.ID, d.Type, d.Answer, d.Data)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
