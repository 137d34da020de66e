package calltest

import (
	"bytes"
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
// forwards every webhook untouched unless a test tells it to drop some.
type Relay struct {
	t      testing.TB
	target string
	srv    *http.Server
	ln     net.Listener

	mu        sync.Mutex
	drop      func(event string) bool
	forwarded []Delivery
	dropped   []string
}

// Delivery records one forwarded webhook and the server's answer.
type Delivery struct {
	Event  string
	Status int
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

func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev struct {
		Event string `json:"event"`
	}
	json.Unmarshal(body, &ev)
	r.mu.Lock()
	drop := r.drop != nil && r.drop(ev.Event)
	if drop {
		r.dropped = append(r.dropped, ev.Event)
	}
	r.mu.Unlock()
	if drop {
		w.WriteHeader(http.StatusOK)
		return
	}
	out, _ := http.NewRequestWithContext(req.Context(), "POST", r.target, bytes.NewReader(body))
	out.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		// Server down: answer like a dead upstream so LiveKit retries.
		r.mu.Lock()
		r.forwarded = append(r.forwarded, Delivery{Event: ev.Event, Status: http.StatusBadGateway})
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	r.mu.Lock()
	r.forwarded = append(r.forwarded, Delivery{Event: ev.Event, Status: resp.StatusCode})
	r.mu.Unlock()
	w.WriteHeader(resp.StatusCode)
}

// String helps failure messages.
func (d Delivery) String() string { return fmt.Sprintf("%s→%d", d.Event, d.Status) }
