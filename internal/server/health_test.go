package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/server"
)

type readiness struct {
	OK     bool           `json:"ok"`
	Checks []chatto.Check `json:"checks"`
}

// readyz GETs /readyz, signed in with token unless it is "".
func readyz(t *testing.T, e *calltest.Env, token string) (int, readiness, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.BaseURL+"/readyz", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	e.Observe("answer to GET /readyz", buf.String())
	var r readiness
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		t.Fatalf("readyz body %q: %v", buf.String(), err)
	}
	return resp.StatusCode, r, buf.String()
}

// failing lists the names of the failed checks.
func (r readiness) failing() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestReadyzChecksTheDatabaseLiveKitAndTheReconcile(t *testing.T) {
	e := calltest.Start(t)
	alice := e.Login("alice")
	calltest.Eventually(t, 10*time.Second, "ready after the startup reconcile", func() bool {
		st, _, _ := readyz(t, e, "")
		return st == 200
	})
	st, r, _ := readyz(t, e, "")
	var names []string
	for _, c := range r.Checks {
		names = append(names, c.Name)
	}
	if st != 200 || !r.OK || strings.Join(names, ",") != "database,livekit,reconcile" {
		t.Fatalf("readyz = %d %+v, want 200 with database, livekit and reconcile ok", st, r)
	}
	// /healthz is liveness: up, whatever readiness says.
	if st, _ := alice.Raw("GET", "/healthz", nil); st != 200 {
		t.Fatalf("healthz = %d", st)
	}

	// Probes within a second share one run of the checks.
	time.Sleep(1100 * time.Millisecond)
	// Another process holds the write lock past busy_timeout.
	db, err := sql.Open("sqlite", eventlog.DSN(e.Config.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	st, r, body := readyz(t, e, alice.Token)
	conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
	if st != 503 || strings.Join(r.failing(), ",") != server.CheckDatabase || r.Checks[0].Error == "" {
		t.Fatalf("readyz with the database locked = %d %s, want 503 naming the database and why", st, body)
	}
	if st, _, _ := readyz(t, e, ""); st != 503 {
		t.Fatalf("readyz right after (within a second of the last run) = %d, want the shared 503", st)
	}
	calltest.Eventually(t, 5*time.Second, "ready again once the lock is gone", func() bool {
		st, _, _ := readyz(t, e, "")
		return st == 200
	})

	// LiveKit is gone, and a server started meanwhile never reconciled.
	e.StopServer()
	if err := e.LK.Stop(); err != nil {
		t.Fatal(err)
	}
	e.StartServer()
	calltest.Eventually(t, 10*time.Second, "the startup reconcile has failed", func() bool {
		h := e.Main.Plugin().Health(context.Background())
		return h.LastReconcile != nil
	})
	st, r, body = readyz(t, e, "")
	if st != 503 || strings.Join(r.failing(), ",") != "livekit,reconcile" {
		t.Fatalf("readyz without LiveKit = %d %s, want 503 naming livekit and reconcile", st, body)
	}
	for _, c := range r.Checks {
		if c.Error != "" {
			t.Errorf("an anonymous caller is told why %s failed: %s", c.Name, c.Error)
		}
	}
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "http") {
		t.Errorf("anonymous readyz names an address: %s", body)
	}
	st, r, body = readyz(t, e, e.Login("alice").Token)
	if st != 503 || r.Checks[1].Error == "" || !strings.Contains(r.Checks[2].Error, "no successful reconcile") {
		t.Fatalf("signed-in readyz without LiveKit = %d %s, want the reasons", st, body)
	}
	if st, _ := e.Login("bob").Raw("GET", "/healthz", nil); st != 200 {
		t.Fatalf("healthz without LiveKit = %d, want 200 (the process is up)", st)
	}
}

func TestRequestIDsAreEchoedAndInEveryLogLineOfTheRequest(t *testing.T) {
	e := calltest.Start(t, func(c *config.Config) { c.Webserver.TrustedProxies = []string{"127.0.0.1/32"} })
	carol := e.Login("carol")

	// A trusted proxy on this machine names the request; LiveKit is
	// down, so the plugin logs a warning while serving it.
	if err := e.LK.Stop(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", e.BaseURL+"/api/rooms/design/call/join", strings.NewReader(`{"device_id":"c"}`))
	req.Header.Set("Authorization", "Bearer "+carol.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(server.RequestIDHeader, "proxy-1234.abcd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get(server.RequestIDHeader) != "proxy-1234.abcd" {
		t.Fatalf("join = %d with request id %q, want 503 echoing proxy-1234.abcd", resp.StatusCode, resp.Header.Get(server.RequestIDHeader))
	}
	var lines []string
	for _, l := range strings.Split(e.Logs(), "\n") {
		if strings.Contains(l, "request_id=proxy-1234.abcd") {
			lines = append(lines, l)
		}
	}
	joined := strings.Join(lines, "\n")
	if !strings.Contains(joined, `msg="livekit unreachable on call start"`) ||
		!regexp.MustCompile(`msg="http request" .*method=POST path=/api/rooms/design/call/join route=/api/rooms/:room/call/join status=503 bytes=\d+ duration_ms=[\d.]+ client=127.0.0.1`).MatchString(joined) {
		t.Fatalf("the request's log lines lack the plugin's warning or the access line:\n%s", joined)
	}

	// A request without an id, and one with an id no proxy would make, get
	// a fresh one.
	for _, given := range []string{"", "bad id; forged=1"} {
		req, _ := http.NewRequest("GET", e.BaseURL+"/api/calls/config", nil)
		if given != "" {
			req.Header.Set(server.RequestIDHeader, given)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if id := resp.Header.Get(server.RequestIDHeader); !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
			t.Errorf("request with id %q answered with id %q, want a generated one", given, id)
		}
	}

	// A client that is not a trusted proxy cannot name its request.
	rec := httptest.NewRecorder()
	in := httptest.NewRequest("GET", "/api/calls/config", nil)
	in.RemoteAddr = "203.0.113.9:40000"
	in.Header.Set(server.RequestIDHeader, "chosen-by-the-client")
	e.Main.Handler().ServeHTTP(rec, in)
	if id := rec.Header().Get(server.RequestIDHeader); id == "chosen-by-the-client" || id == "" {
		t.Fatalf("a remote client's request id was taken: %q", id)
	}
}
