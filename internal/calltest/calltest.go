// Package calltest boots the real product for tests: a real livekit-server
// on loopback, a webhook relay in front of the real server (the only fake,
// used to drop or hold webhooks), and the standalone server itself on a
// SQLite file in a temp dir.
package calltest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/lkserver"
	"github.com/chattocalls/chatto/internal/server"
)

// APIKey and APISecret are the test key pair.
const (
	APIKey    = "testkey"
	APISecret = "calltest-secret-0123456789abcdefghijklmnop"
)

// Env is one running product.
type Env struct {
	t      testing.TB
	Config config.Config
	LK     *lkserver.Server
	Relay  *Relay
	Main   *server.Main
	// Clock, if set before the server starts, is the call service's
	// clock; it survives restarts of the server, like the wall clock.
	Clock chatto.Clock
	// BaseURL is the server's http://127.0.0.1:port.
	BaseURL string

	// Everything the server logged, at every level, and every E2EE key
	// handed out, so the end of each test can check that no secret leaked
	// into the logs.
	mu   sync.Mutex
	logs bytes.Buffer
	keys []string
}

// Write collects server log output.
func (e *Env) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.logs.Write(p)
}

// checkLogsHoldNoSecrets fails the test if the API secret or any call key
// (base64 as handed out, or as hex) appears in what the server logged.
func (e *Env) checkLogsHoldNoSecrets() {
	e.mu.Lock()
	defer e.mu.Unlock()
	logs := e.logs.String()
	secrets := []string{APISecret}
	for _, k := range e.keys {
		raw, _ := base64.StdEncoding.DecodeString(k)
		secrets = append(secrets, k, hex.EncodeToString(raw), string(raw))
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			e.t.Errorf("the server logged a secret (API secret or call key)")
			return
		}
	}
}

// Option adjusts the configuration before boot.
type Option func(*config.Config)

// Start boots LiveKit, the relay and the server, and stops them when the
// test ends. By default reconciliation is slow (1h) so tests see what
// webhooks alone do; tests that need it set a short interval.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	return StartWithClock(t, nil, opts...)
}

// StartWithClock is Start with the call service reading time from clock
// (nil: the system clock), so a test can move ring deadlines and the join
// grace by hand.
func StartWithClock(t testing.TB, clock chatto.Clock, opts ...Option) *Env {
	t.Helper()
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.New()
	cfg.Webserver.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.Webserver.URL = "http://" + cfg.Webserver.Listen
	cfg.Database.Path = filepath.Join(t.TempDir(), "chatto.db")
	lk := &cfg.LiveKit
	lk.Enabled, lk.APIKey, lk.APISecret = true, APIKey, APISecret
	lk.ReconcileInterval = time.Hour
	lk.JoinGrace = 30 * time.Second
	for _, o := range opts {
		o(&cfg)
	}

	e := &Env{t: t, Config: cfg, BaseURL: cfg.Webserver.URL, Clock: clock}
	// Registered first, so it runs last: after the server has stopped and
	// logged its shutdown.
	t.Cleanup(e.checkLogsHoldNoSecrets)
	e.Relay = NewRelay(t, cfg.Webserver.URL+"/webhooks/livekit")
	e.startLiveKit(0)
	e.Config.LiveKit.URL, e.Config.LiveKit.InternalURL = e.LK.URL(), e.LK.HTTPURL()
	e.Config.LiveKit.WebhookURL = cfg.Webserver.URL + "/webhooks/livekit"
	e.StartServer()
	t.Cleanup(func() {
		if e.Main != nil {
			e.Main.Close()
		}
	})
	return e
}

// startLiveKit starts livekit-server on port (0: a free one) with its
// webhooks going through the relay, and stops it when the test ends.
func (e *Env) startLiveKit(port int) {
	e.t.Helper()
	// Start's context owns the process for its whole life; Stop ends it.
	srv, err := lkserver.Start(context.Background(), lkserver.Options{
		APIKey: APIKey, APISecret: APISecret, WebhookURLs: []string{e.Relay.URL()},
		Port: port, Stderr: testWriter{e.t},
	})
	if err != nil {
		e.t.Fatalf("start livekit-server: %v", err)
	}
	e.t.Cleanup(func() { srv.Stop() })
	e.LK = srv
}

// RestartLiveKit starts LiveKit again on the same port after LK.Stop, like
// an SFU back from a crash: reachable at the same URL, with no rooms.
func (e *Env) RestartLiveKit() {
	e.t.Helper()
	port, err := strconv.Atoi(e.LK.URL()[strings.LastIndex(e.LK.URL(), ":")+1:])
	if err != nil {
		e.t.Fatal(err)
	}
	e.startLiveKit(port)
}

// Attach returns an Env for a server someone else started (the dev
// command), good for Login and API calls.
func Attach(t testing.TB, baseURL string) *Env { return &Env{t: t, BaseURL: baseURL} }

// LogWriter sends output to the test log.
func LogWriter(t testing.TB) io.Writer { return testWriter{t} }

// StartServer boots the server (again) on the same database.
func (e *Env) StartServer() {
	e.t.Helper()
	log := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewTextHandler(e, &slog.HandlerOptions{Level: slog.LevelDebug}),
	))
	m := server.New(e.Config, log)
	m.Clock = e.Clock
	if err := m.Run(context.Background()); err != nil {
		e.t.Fatalf("start server: %v", err)
	}
	e.Main = m
}

// StopServer stops the server, as a crash or deploy would.
func (e *Env) StopServer() {
	e.t.Helper()
	if err := e.Main.Close(); err != nil {
		e.t.Fatalf("stop server: %v", err)
	}
	e.Main = nil
}

// Service is the running call service.
func (e *Env) Service() *chatto.Service { return e.Main.Plugin().Service() }

// Login signs a demo user in and returns their API client.
func (e *Env) Login(user string) *Client {
	e.t.Helper()
	c := &Client{t: e.t, env: e, User: user}
	var out struct {
		Token string `json:"token"`
	}
	if st := c.Do("POST", "/api/login", map[string]string{"user": user, "password": "demo"}, &out); st != 200 {
		e.t.Fatalf("login %s: status %d", user, st)
	}
	c.Token = out.Token
	return c
}

// Client is a signed-in user talking to the HTTP API.
type Client struct {
	t     testing.TB
	env   *Env
	User  string
	Token string
}

// APIError is the error body shape.
type APIError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Do sends a request (body as JSON unless it is []byte) and decodes a 2xx
// answer into out. It returns the status.
func (c *Client) Do(method, path string, body, out any) int {
	c.t.Helper()
	st, raw := c.Raw(method, path, body)
	if st < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return st
}

// Raw sends a request and returns status and body.
func (c *Client) Raw(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.env.BaseURL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// Join joins a room's call from a device and fails the test on error.
func (c *Client) Join(room, device string) *chatto.JoinResult {
	c.t.Helper()
	var res chatto.JoinResult
	st, raw := c.Raw("POST", "/api/rooms/"+room+"/call/join", map[string]string{"device_id": device})
	if st != 200 {
		c.t.Fatalf("%s joins %s: status %d: %s", c.User, room, st, raw)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		c.t.Fatal(err)
	}
	c.env.mu.Lock()
	c.env.keys = append(c.env.keys, res.E2EEKey)
	c.env.mu.Unlock()
	return &res
}

// Leave leaves a room's call from a device.
func (c *Client) Leave(room, device string) {
	c.t.Helper()
	if st, raw := c.Raw("POST", "/api/rooms/"+room+"/call/leave", map[string]string{"device_id": device}); st != 200 {
		c.t.Fatalf("%s leaves %s: status %d: %s", c.User, room, st, raw)
	}
}

// Call returns the room's active call, or nil.
func (c *Client) Call(room string) *chatto.CallView {
	c.t.Helper()
	var v *chatto.CallView
	st, raw := c.Raw("GET", "/api/rooms/"+room+"/call", nil)
	if st != 200 {
		c.t.Fatalf("get call of %s: status %d: %s", room, st, raw)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatalf("get call of %s: %v in %s", room, err, raw)
	}
	return v
}

// Connect joins LiveKit with a join result, as a client would.
func Connect(t testing.TB, j *chatto.JoinResult) *lksdk.Room {
	t.Helper()
	// The SDK logs every ICE state change to stdout; tests assert instead.
	quietSDK.Do(func() { lksdk.SetLogger(protologger.GetDiscardLogger()) })
	r, err := lksdk.ConnectToRoomWithToken(j.LiveKitURL, j.Token, lksdk.NewRoomCallback(),
		lksdk.WithConnectTimeout(15*time.Second),
		lksdk.WithDisableRegionDiscovery(),
		lksdk.WithAutoSubscribe(false),
	)
	if err != nil {
		t.Fatalf("connect %s to LiveKit: %v", j.Identity, err)
	}
	t.Cleanup(r.Disconnect)
	return r
}

var quietSDK sync.Once

// Eventually polls cond until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Identities lists the participants of a call view ("" for nil).
func Identities(v *chatto.CallView) map[string]bool {
	out := map[string]bool{}
	if v != nil {
		for _, p := range v.Participants {
			out[p.Identity] = p.Connected
		}
	}
	return out
}

// testWriter sends output to the test log, quietly after the test ended.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // logging after the test finished panics
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

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

// FileContains reports whether any of the SQLite files of db (the file,
// its -wal and -shm) contains needle.
func FileContains(t testing.TB, db string, needle []byte) bool {
	t.Helper()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read %s: %v", p, err)
		}
		if bytes.Contains(raw, needle) {
			return true
		}
	}
	return false
}

// String helps failure messages.
func (d Delivery) String() string { return fmt.Sprintf("%s→%d", d.Event, d.Status) }

// StreamEvent is one Server-Sent Event.
type StreamEvent struct {
	Type string
	Data string
}

// Stream opens the user's /api/events stream and delivers its events
// until the test ends.
func Stream(t testing.TB, e *Env, c *Client) <-chan StreamEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.BaseURL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("open event stream: %v %v", err, resp)
	}
	out := make(chan StreamEvent, 64)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev StreamEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Type = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.Type != "":
				select {
				case out <- ev:
				default:
				}
				ev = StreamEvent{}
			}
		}
	}()
	return out
}

// JoinAs joins a room's call from a device asking for a call type ("" for
// the default) and fails the test on error.
func (c *Client) JoinAs(room, device, typ string) *chatto.JoinResult {
	c.t.Helper()
	var res chatto.JoinResult
	st, raw := c.Raw("POST", "/api/rooms/"+room+"/call/join", map[string]string{"device_id": device, "type": typ})
	if st != 200 {
		c.t.Fatalf("%s joins %s: status %d: %s", c.User, room, st, raw)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		c.t.Fatal(err)
	}
	c.env.mu.Lock()
	c.env.keys = append(c.env.keys, res.E2EEKey)
	c.env.mu.Unlock()
	return &res
}

// Post sends a JSON POST and returns the status and, for an error answer,
// its code.
func (c *Client) Post(path string, body any) (int, string) {
	c.t.Helper()
	st, raw := c.Raw("POST", path, body)
	if st < 300 {
		return st, ""
	}
	var e APIError
	if err := json.Unmarshal(raw, &e); err != nil {
		c.t.Fatalf("POST %s: %d with a body that is not an error: %s", path, st, raw)
	}
	return st, e.Error.Code
}

// Next waits for the next stream event of type typ whose data satisfies
// match (nil: any), skipping others, and fails the test after timeout.
func Next(t testing.TB, events <-chan StreamEvent, timeout time.Duration, typ string, match func(data string) bool) StreamEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-events:
			if ev.Type == typ && (match == nil || match(ev.Data)) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, timeout)
			return StreamEvent{}
		}
	}
}

// None fails the test if an event of type typ arrives within d.
func None(t testing.TB, events <-chan StreamEvent, d time.Duration, typ string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-events:
			if ev.Type == typ {
				t.Fatalf("unexpected %s event: %s", typ, ev.Data)
			}
		case <-deadline:
			return
		}
	}
}
