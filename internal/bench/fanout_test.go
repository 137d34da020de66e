package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// fanoutSubscribers is how many event streams the fan-out benchmarks
// hold open, one per member of one room. Each stream costs a descriptor
// at the server and one at the client (in a child process, see
// fanout.go); 10,000 fit in this machine's limit of 20,000 per process.
const fanoutSubscribers = 10_000

// fanoutRoom is the room every subscriber is a member of.
const fanoutRoom = "fanout"

// BenchmarkFanout is one call update reaching 10,000 open event streams
// (GET /api/events, Server-Sent Events on loopback), one per member of a
// room: each round a device of a member who holds no stream rejoins the
// room's running call, which publishes call.updated to every member. It
// reports the delivery latency from the join request going out to each
// stream reading the event (p50, p99), deliveries/s (streams over the
// time until the last one read it) and this process's resident memory
// with the streams open (the server; the clients run in a child process).
func BenchmarkFanout(b *testing.B) {
	freeMemory()
	if err := RaiseFileLimit(fanoutSubscribers + 1024); err != nil {
		b.Fatal(err)
	}
	env := calltest.Start(b, func(c *config.Config) {
		c.Webserver.MaxStreams = fanoutSubscribers + 64
		lk := &c.LiveKit
		lk.JoinBurst, lk.JoinInterval = 1<<30, time.Millisecond
		lk.MaxPendingDevices = 1 << 20
		lk.JoinGrace = time.Hour
	})
	h := env.Main.Host()
	ctx := context.Background()
	users := make([]string, fanoutSubscribers)
	for i := range users {
		users[i] = fmt.Sprintf("f%05d", i)
	}
	// About a minute: each AddUser reloads every user (host.Refresh), as
	// it would for an operator adding 10,000 users one by one.
	parallel(b, len(users), func(i int) error { return h.AddUser(ctx, users[i], users[i], benchPassword) })
	if err := h.AddUser(ctx, "caller", "Caller", benchPassword); err != nil {
		b.Fatal(err)
	}
	if err := h.AddRoom(ctx, fanoutRoom, "Fan-out", chatto.RoomGroup, append([]string{"caller"}, users...), nil); err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, len(users))
	parallel(b, len(users), func(i int) (err error) {
		tokens[i], err = h.Login(ctx, users[i], benchPassword, "127.0.0.1")
		return err
	})
	caller, err := h.Login(ctx, "caller", benchPassword, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	// The call runs before the streams open, so each round is the same
	// update: device "d" (re)joining a call of two devices.
	join := env.BaseURL + "/api/rooms/" + fanoutRoom + "/call/join"
	if err := post(httpClient(), join, caller, []byte(`{"device_id":"holder"}`)); err != nil {
		b.Fatal(err)
	}
	if err := post(httpClient(), join, caller, []byte(`{"device_id":"d"}`)); err != nil {
		b.Fatal(err)
	}
	fanout(b, FanoutSpec{
		Events: env.BaseURL + "/api/events", Tokens: tokens, Type: chatto.EventCallUpdated,
		Trigger: Request{URL: join, Token: caller, Body: `{"device_id":"d"}`},
		Timeout: time.Minute,
	})
}

// BenchmarkFanoutFloor is a minimal SSE server (a net/http handler per
// stream, a map of subscriber channels, a POST that writes the same
// call.updated bytes to every channel) holding 10,000 streams, driven by
// the same client the same way.
func BenchmarkFanoutFloor(b *testing.B) {
	freeMemory()
	if err := RaiseFileLimit(fanoutSubscribers + 1024); err != nil {
		b.Fatal(err)
	}
	tokens := make([]string, fanoutSubscribers)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("session-%05d-%s", i, strings.Repeat("x", 32))
	}
	data, err := json.Marshal(floorCallEvent())
	if err != nil {
		b.Fatal(err)
	}
	base := startSSEFloor(b, tokens, "caller-token", data)
	fanout(b, FanoutSpec{
		Events: base + "/api/events", Tokens: tokens, Type: chatto.EventCallUpdated,
		Trigger: Request{URL: base + "/publish", Token: "caller-token", Body: `{"device_id":"d"}`},
		Timeout: time.Minute,
	})
}

// fanout opens spec's streams in a child process and runs one round per
// iteration, then reports.
func fanout(b *testing.B, spec FanoutSpec) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := StartFanoutClient(clientCommand(ctx), spec)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if c.Streams != len(spec.Tokens) {
		b.Fatalf("client opened %d streams, want %d", c.Streams, len(spec.Tokens))
	}
	var lat Latencies
	var toLast time.Duration
	size := 0
	for b.Loop() {
		r, err := c.Round()
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range r.Latencies {
			lat.Add(d)
		}
		toLast += r.Latencies[len(r.Latencies)-1]
		size = r.DataBytes
	}
	rss := rssMB(b)
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.Len())/toLast.Seconds(), "deliveries/s")
	b.ReportMetric(Ms(lat.Quantile(0.5)), "p50-ms")
	b.ReportMetric(Ms(lat.Quantile(0.99)), "p99-ms")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(float64(size), "event-B")
}

// clientCommand runs this test binary as the fan-out client.
func clientCommand(ctx context.Context) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fanoutClientEnv+"=1")
	return cmd
}

// parallel runs fn(0..n-1) on every CPU and fails b on the first error.
func parallel(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// freeMemory returns what earlier benchmarks left on the heap to the
// system, so rss-MB is this benchmark's.
func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// startSSEFloor serves the minimal event stream: GET /api/events for the
// holders of tokens, POST /publish for publisher, which writes one
// call.updated frame of data to every stream. It returns the base URL.
func startSSEFloor(tb testing.TB, tokens []string, publisher string, data []byte) string {
	f := &sseFloor{tokens: make(map[string]bool, len(tokens)), publisher: publisher, subs: map[chan []byte]struct{}{}}
	for _, t := range tokens {
		f.tokens[t] = true
	}
	f.frame = fmt.Appendf(nil, "event: %s\ndata: %s\n\n", chatto.EventCallUpdated, data)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

type sseFloor struct {
	tokens    map[string]bool
	publisher string
	frame     []byte

	mu   sync.Mutex
	subs map[chan []byte]struct{}
}

func (f *sseFloor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/events" && f.tokens[token]:
		f.stream(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/publish" && token == f.publisher:
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		for ch := range f.subs {
			select {
			case ch <- f.frame:
			default:
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	default:
		http.Error(w, "no", http.StatusUnauthorized)
	}
}

// stream is the product's stream loop without sessions or pings: a
// channel, a write deadline per frame, a flush.
func (f *sseFloor) stream(w http.ResponseWriter, r *http.Request) {
	ch := make(chan []byte, 64)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "retry: 2000\n: connected\n\n")
	if rc.Flush() != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case frame := <-ch:
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write(frame); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// floorCallEvent is the update the product sends in BenchmarkFanout: a
// call of two devices of one user, built from the product's own types.
func floorCallEvent() chatto.CallEvent {
	at := time.Now().UTC()
	dev := func(id string) chatto.ParticipantView {
		return chatto.ParticipantView{Identity: "caller#" + id, UserID: "caller", Name: "Caller", JoinedAt: at, Role: "speaker"}
	}
	return chatto.CallEvent{Type: chatto.EventCallUpdated, RoomID: fanoutRoom, Call: &chatto.CallView{
		ID: "c_0123456789abcdef", RoomID: fanoutRoom, Type: "video", State: "active", CreatedBy: "caller",
		StartedAt: at, StartedBy: "caller", Seq: 12345, Participants: []chatto.ParticipantView{dev("holder"), dev("d")},
		Ringing: []chatto.RingView{},
	}}
}

func TestFanoutClientTimesEveryStream(t *testing.T) {
	tokens := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	// Longer than the client's read buffer, so it arrives in pieces.
	data := fmt.Appendf(nil, `{"pad":%q}`, strings.Repeat("x", 10_000))
	base := startSSEFloor(t, tokens, "pub", data)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := StartFanoutClient(clientCommand(ctx), FanoutSpec{
		Events: base + "/api/events", Tokens: tokens, Type: chatto.EventCallUpdated,
		Trigger: Request{URL: base + "/publish", Token: "pub"}, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Streams != len(tokens) {
		t.Fatalf("%d streams open, want %d", c.Streams, len(tokens))
	}
	for range 3 {
		r, err := c.Round()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Latencies) != len(tokens) || r.DataBytes != len(data) {
			t.Fatalf("round = %d latencies, %d bytes; want %d, %d", len(r.Latencies), r.DataBytes, len(tokens), len(data))
		}
		for _, d := range r.Latencies {
			if d <= 0 || d > 10*time.Second {
				t.Fatalf("latency %v", d)
			}
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFanoutClientReportsAFailedTrigger(t *testing.T) {
	base := startSSEFloor(t, []string{"a"}, "pub", []byte("{}"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := clientCommand(ctx)
	cmd.Stderr = io.Discard
	c, err := StartFanoutClient(cmd, FanoutSpec{
		Events: base + "/api/events", Tokens: []string{"a"}, Type: chatto.EventCallUpdated,
		Trigger: Request{URL: base + "/publish", Token: "not the publisher"}, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Round(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Round = %v, want the trigger's 401", err)
	}
}

func TestFanoutClientFailsOnARefusedStream(t *testing.T) {
	base := startSSEFloor(t, []string{"a"}, "pub", []byte("{}"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := clientCommand(ctx)
	cmd.Stderr = io.Discard
	_, err := StartFanoutClient(cmd, FanoutSpec{
		Events: base + "/api/events", Tokens: []string{"a", "stranger"}, Type: chatto.EventCallUpdated,
		Trigger: Request{URL: base + "/publish", Token: "pub"}, Timeout: 10 * time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("StartFanoutClient = %v, want the stream's 401", err)
	}
}
