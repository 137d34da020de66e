package calltest

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

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

	// Everything the server logged, at every level, what clients were
	// shown, and every E2EE key handed out, so the end of each test can
	// check that no secret leaked (see leaks.go).
	mu   sync.Mutex
	logs bytes.Buffer
	seen []observed
	keys []string
}

// Write collects server log output.
func (e *Env) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.logs.Write(p)
}

// Logs returns everything the server has logged so far, at every level.
func (e *Env) Logs() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.logs.String()
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
	t.Cleanup(e.checkNoSecrets)
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

// StartPeer boots a second server on its own database against this
// Env's LiveKit (LiveKit's webhooks keep going to the first server), as
// when two chat servers share one LiveKit project.
func (e *Env) StartPeer(t testing.TB, opts ...Option) *Env {
	t.Helper()
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config
	cfg.Webserver.Listen = "127.0.0.1:" + strconv.Itoa(port)
	cfg.Webserver.URL = "http://" + cfg.Webserver.Listen
	cfg.Database.Path = filepath.Join(t.TempDir(), "chatto.db")
	for _, o := range opts {
		o(&cfg)
	}
	p := &Env{t: t, Config: cfg, BaseURL: cfg.Webserver.URL, LK: e.LK, Relay: e.Relay, Clock: e.Clock}
	t.Cleanup(p.checkNoSecrets)
	p.StartServer()
	t.Cleanup(func() {
		if p.Main != nil {
			p.Main.Close()
		}
	})
	return p
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

// StartServer boots the server (again) on the same database.
func (e *Env) StartServer() {
	e.t.Helper()
	log := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewTextHandler(e, &slog.HandlerOptions{Level: slog.LevelDebug}),
	))
	m := server.New(e.Config, log)
	m.Clock = e.Clock
	// Tests sign in as the demo users, and sign in often: the cheapest
	// bcrypt cost keeps that fast.
	m.Demo, m.BcryptCost = true, bcrypt.MinCost
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
