package calltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Relay sits between LiveKit and the server's webhook endpoint. It
// forwards every webhook untouched unless a test tells it to drop or hold
// some, or injects random faults (Inject).
type Relay struct {
	t      testing.TB
	target string
	srv    *http.Server
	ln     net.Listener

	mu        sync.Mutex
	drop      func(event string) bool
	hold      func(h Held) bool
	held      []Held
	forwarded []Delivery
	dropped   []string

	// Fault injection (faults.go): faults is nil while it is off; ctx ends
	// the deliveries in flight when the test ends.
	faults   *faultState
	ctx      context.Context
	stop     context.CancelFunc
	inflight sync.WaitGroup
}

// Held is a webhook the relay answered 200 for and kept, to forward later
// (out of order, or twice).
type Held struct {
	Event    string
	Identity string // the participant's identity, if the event names one
	SID      string
	body     []byte
	header   http.Header
}

// Delivery records one forwarded webhook and the server's answer.
type Delivery struct {
	Event    string
	Identity string // the participant's identity, if the event names one
	Status   int
}

// NewRelay starts a relay on loopback forwarding to target.
func NewRelay(t testing.TB, target string) *Relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{t: t, target: target, ln: ln}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// URL is where LiveKit should post.
func (r *Relay) URL() string { return "http://" + r.ln.Addr().String() + "/webhooks/livekit" }

// Drop makes the relay swallow (answer 200 without forwarding) webhooks
// whose event name matches; nil forwards everything again.
func (r *Relay) Drop(match func(event string) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop = match
}

// Dropped returns the event names swallowed so far.
func (r *Relay) Dropped() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.dropped...)
}

// Forwarded returns what was forwarded and how the server answered.
func (r *Relay) Forwarded() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.forwarded...)
}

// Hold makes the relay keep (answering 200) the webhooks match picks,
// until Release; nil holds nothing more.
func (r *Relay) Hold(match func(h Held) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold = match
}

// Held returns the webhooks held so far.
func (r *Relay) Held() []Held {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Held(nil), r.held...)
}

// Release forwards the held webhooks in the order arrange gives them
// (nil: as they came), one at a time, and returns the server's answers.
func (r *Relay) Release(arrange func([]Held) []Held) []int {
	r.mu.Lock()
	held := r.held
	r.held = nil
	r.mu.Unlock()
	if arrange != nil {
		held = arrange(held)
	}
	var out []int
	for _, h := range held {
		out = append(out, r.forward(context.Background(), h))
	}
	return out
}

func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev struct {
		Event       string `json:"event"`
		Participant struct {
			Identity string `json:"identity"`
			SID      string `json:"sid"`
		} `json:"participant"`
	}
	json.Unmarshal(body, &ev)
	h := Held{Event: ev.Event, Identity: ev.Participant.Identity, SID: ev.Participant.SID, body: body, header: req.Header.Clone()}
	r.mu.Lock()
	drop := r.drop != nil && r.drop(ev.Event)
	if drop {
		r.dropped = append(r.dropped, ev.Event)
	}
	hold := !drop && r.hold != nil && r.hold(h)
	if hold {
		r.held = append(r.held, h)
	}
	injected := !drop && !hold && r.inject(h)
	r.mu.Unlock()
	if drop || hold || injected {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(r.forward(req.Context(), h))
}

// forward posts one webhook to the server and records the answer.
func (r *Relay) forward(ctx context.Context, h Held) int {
	out, _ := http.NewRequestWithContext(ctx, "POST", r.target, bytes.NewReader(h.body))
	out.Header = h.header.Clone()
	status := http.StatusBadGateway // server down: LiveKit retries
	if resp, err := http.DefaultClient.Do(out); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	r.mu.Lock()
	r.forwarded = append(r.forwarded, Delivery{Event: h.Event, Identity: h.Identity, Status: status})
	r.mu.Unlock()
	return status
}

// String helps failure messages.
func (d Delivery) String() string { return fmt.Sprintf("%s→%d", d.Event, d.Status) }
