package host

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
)

// testClock is a time tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// site is a host with the demo data behind echo, wired as the server
// wires it (error shape, client address, same-origin check).
type site struct {
	t     *testing.T
	h     *Host
	e     *echo.Echo
	clock *testClock
}

const siteURL = "http://chat.test"

func newSite(t *testing.T, opts ...Option) *site {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	opts = append([]Option{WithDemoData(), WithBcryptCost(bcrypt.MinCost), WithClock(clock.Now)}, opts...)
	h, err := Open(context.Background(), filepath.Join(t.TempDir(), "chatto.db"), quiet(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) { chatto.WriteError(c, quiet(), err) }
	e.IPExtractor = echo.ExtractIPDirect()
	mw, err := SameOrigin(siteURL, "/api/rooms/:room/call/leave")
	if err != nil {
		t.Fatal(err)
	}
	e.Use(mw)
	h.Mount(e)
	e.POST("/api/rooms/:room/call/leave", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return &site{t: t, h: h, e: e, clock: clock}
}

// request is one HTTP request to the site; zero fields are left out.
type request struct {
	method, path, body string
	contentType        string
	origin, fetchSite  string
	host               string
	cookie, bearer     string
	addr               string
}

// do answers r and returns the status, the error code if any, and the
// recorder.
func (s *site) do(r request) (int, string, *httptest.ResponseRecorder) {
	s.t.Helper()
	req := httptest.NewRequest(r.method, siteURL+r.path, strings.NewReader(r.body))
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	if r.fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", r.fetchSite)
	}
	if r.host != "" {
		req.Host = r.host
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: r.cookie})
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.addr != "" {
		req.RemoteAddr = r.addr + ":40000"
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body.Error.Code, rec
}

// login signs in from this site's own page and returns the token.
func (s *site) login(user, password, addr string) (int, string, string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	st, code, rec := s.do(request{method: "POST", path: "/api/login", body: string(body),
		contentType: "application/json", origin: siteURL, addr: addr})
	var out struct{ Token string }
	json.Unmarshal(rec.Body.Bytes(), &out)
	return st, code, out.Token
}

func (s *site) mustLogin(user string) string {
	s.t.Helper()
	st, code, token := s.login(user, DemoPassword, "192.0.2.1")
	if st != 200 {
		s.t.Fatalf("login %s: %d %s", user, st, code)
	}
	return token
}

func (s *site) me(token string) int {
	s.t.Helper()
	st, _, _ := s.do(request{method: "GET", path: "/api/me", bearer: token})
	return st
}

func TestSessionsExpireWhenIdleAndAtTheirMaximumAge(t *testing.T) {
	s := newSite(t, WithSessionLifetimes(time.Hour, 3*time.Hour))

	idle := s.mustLogin("alice")
	s.clock.Advance(59 * time.Minute)
	if st := s.me(idle); st != 200 {
		t.Fatalf("59m idle: %d, want 200", st)
	}
	s.clock.Advance(59 * time.Minute) // 59m since the last request
	if st := s.me(idle); st != 200 {
		t.Fatalf("a request renews the idle limit: %d, want 200", st)
	}
	s.clock.Advance(time.Hour)
	if st := s.me(idle); st != 401 {
		t.Fatalf("after an hour idle: %d, want 401", st)
	}

	busy := s.mustLogin("bob")
	for range 5 {
		s.clock.Advance(35 * time.Minute)
		if st := s.me(busy); st != 200 {
			t.Fatalf("active session: %d", st)
		}
	}
	s.clock.Advance(6 * time.Minute) // 3h01m after sign-in
	if st := s.me(busy); st != 401 {
		t.Fatalf("3h after sign-in, however active: %d, want 401", st)
	}
	// The expired session is gone for good, also from the database.
	var n int
	if err := s.h.db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("sessions left in the database: %d, %v", n, err)
	}
}

// The idle limit holds after a restart: the last request's time is
// written, at most touchEvery late.
func TestIdleLimitSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chatto.db")
	clock := &testClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	open := func() *Host {
		h, err := Open(ctx, path, quiet(), WithDemoData(), WithBcryptCost(bcrypt.MinCost),
			WithClock(clock.Now), WithSessionLifetimes(time.Hour, 10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := open()
	token, err := h.Login(ctx, "alice", DemoPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	clock.Advance(50 * time.Minute)
	if _, err := h.Caller(req); err != nil {
		t.Fatal(err)
	}
	h.Close()
	h = open()
	defer h.Close()
	clock.Advance(50 * time.Minute) // 100m after sign-in, 50m after the last request
	if _, err := h.Caller(req); err != nil {
		t.Fatalf("session after a restart within the idle limit: %v", err)
	}
}

func TestLogoutEndsThatSessionsEventStreamsOnly(t *testing.T) {
	s := newSite(t)
	srv := httptest.NewServer(s.e)
	t.Cleanup(srv.Close) // first registered, so it runs after the streams are cancelled
	first, second := s.mustLogin("alice"), s.mustLogin("alice")

	open := func(token string) *bufio.Reader {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("open stream: %v %v", err, resp)
		}
		t.Cleanup(func() { resp.Body.Close() })
		r := bufio.NewReader(resp.Body)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == ": connected\n" {
				return r
			}
		}
	}
	a, b := open(first), open(second)

	st, _, _ := s.do(request{method: "POST", path: "/api/logout", bearer: first})
	if st != 204 {
		t.Fatalf("logout: %d", st)
	}
	// The logged-out session's stream ends...
	for {
		if _, err := a.ReadString('\n'); err != nil {
			break // EOF: the server closed it
		}
	}
	// ...and the other session's stream still carries events.
	s.h.hub.Send([]string{"alice"}, "room.removed", map[string]string{"type": "room.removed"})
	for {
		line, err := b.ReadString('\n')
		if err != nil {
			t.Fatalf("the other session's stream ended: %v", err)
		}
		if line == "event: room.removed\n" {
			break
		}
	}
	if st := s.me(first); st != 401 {
		t.Fatalf("logged-out session: %d, want 401", st)
	}
	if st := s.me(second); st != 200 {
		t.Fatalf("other session: %d, want 200", st)
	}
}

func TestFailedSignInsAreLimitedPerAccount(t *testing.T) {
	s := newSite(t)
	for i := range accountBurst {
		if st, code, _ := s.login("alice", "wrong", "192.0.2.1"); st != 401 || code != chatto.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %d %s, want 401", i+1, st, code)
		}
	}
	// The limit holds from another address, and for the right password.
	st, code, rec := s.do(request{method: "POST", path: "/api/login", body: `{"user":"alice","password":"demo"}`,
		contentType: "application/json", origin: siteURL, addr: "198.51.100.7"})
	if st != 429 || code != chatto.ERATELIMITED {
		t.Fatalf("attempt after the limit: %d %s, want 429 rate_limited", st, code)
	}
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After = %q, want 1..60 seconds", rec.Header().Get("Retry-After"))
	}
	// Other accounts are not affected.
	if st, _, _ := s.login("bob", DemoPassword, "192.0.2.1"); st != 200 {
		t.Fatalf("bob: %d", st)
	}
	s.clock.Advance(accountEvery)
	if st, _, _ := s.login("alice", DemoPassword, "192.0.2.1"); st != 200 {
		t.Fatalf("alice a minute later: %d, want 200", st)
	}
}

func TestFailedSignInsAreLimitedPerAddressWhateverTheAccount(t *testing.T) {
	s := newSite(t)
	for i := range addressBurst {
		// Unknown users count like known ones.
		if st, _, _ := s.login("nobody"+strconv.Itoa(i), "guess", "203.0.113.9"); st != 401 {
			t.Fatalf("attempt %d: %d", i+1, st)
		}
	}
	if st, code, _ := s.login("alice", DemoPassword, "203.0.113.9"); st != 429 || code != chatto.ERATELIMITED {
		t.Fatalf("from the spraying address: %d %s, want 429", st, code)
	}
	if st, _, _ := s.login("alice", DemoPassword, "192.0.2.1"); st != 200 {
		t.Fatalf("from another address: %d, want 200", st)
	}
	// An IPv6 client is one /64.
	for i := range addressBurst {
		s.login("nobody6"+strconv.Itoa(i), "guess", "2001:db8:1:2::"+strconv.Itoa(i+1))
	}
	if st, _, _ := s.login("alice", DemoPassword, "2001:db8:1:2::ffff"); st != 429 {
		t.Fatalf("another address in the same /64: %d, want 429", st)
	}
}

func TestSuccessfulSignInsAreNotLimited(t *testing.T) {
	s := newSite(t)
	for i := range 3 * addressBurst {
		if st, _, _ := s.login("carol", DemoPassword, "192.0.2.1"); st != 200 {
			t.Fatalf("sign-in %d: %d", i+1, st)
		}
	}
}

// An unknown user's sign-in costs a bcrypt comparison too, so its timing
// does not tell which accounts exist.
func TestUnknownUserTakesAsLongAsAWrongPassword(t *testing.T) {
	ctx := context.Background()
	const cost = 8 // long enough to dwarf everything else in Login
	clock := &testClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	h, err := Open(ctx, filepath.Join(t.TempDir(), "chatto.db"), quiet(), WithBcryptCost(cost), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.AddUser(ctx, "alice", "Alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	h.dummyHash()
	// Samples alternate between the two, so load from elsewhere falls on
	// both alike, and the fastest of each is compared: noise only adds.
	fastest := map[string]time.Duration{}
	for i := range 7 {
		clock.Advance(accountEvery) // keeps the account limit out of it
		for _, user := range []string{"alice", "mallory"} {
			start := time.Now()
			_, err := h.Login(ctx, user, "wrong password", "192.0.2."+strconv.Itoa(i+1))
			d := time.Since(start)
			if chatto.ErrorCode(err) != chatto.EUNAUTHORIZED {
				t.Fatalf("login %s: %v", user, err)
			}
			if f, ok := fastest[user]; !ok || d < f {
				fastest[user] = d
			}
		}
	}
	known, unknown := fastest["alice"], fastest["mallory"]
	t.Logf("fastest sign-in with a wrong password: known user %s, unknown user %s", known, unknown)
	if ratio := float64(unknown) / float64(known); ratio < 0.6 || ratio > 1.6 {
		t.Fatalf("unknown user %s vs known user %s: timing tells them apart", unknown, known)
	}
}

func TestChangesByAnotherProcessReachARunningHost(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "chatto.db")
	srv, err := Open(ctx, path, quiet(), WithDemoData(), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	var removed []string
	srv.OnMemberRemoved(func(_ context.Context, room, user string) {
		mu.Lock()
		defer mu.Unlock()
		removed = append(removed, room+"/"+user)
	})
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	token, err := srv.Login(ctx, "carol", DemoPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if _, err := srv.Caller(req); err != nil {
		t.Fatal(err)
	}

	// The admin command's process.
	admin, err := Open(ctx, path, quiet(), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.AddUser(ctx, "erin", "Erin", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if err := admin.ChangeMembers(ctx, "general", []string{"erin"}, []string{"carol"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetPassword(ctx, "carol", "a new password"); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(3 * watchEvery)
	for {
		inErin, _ := srv.IsMember(ctx, "general", "erin")
		inCarol, _ := srv.IsMember(ctx, "general", "carol")
		_, callerErr := srv.Caller(req)
		mu.Lock()
		got := slices.Clone(removed)
		mu.Unlock()
		if inErin && !inCarol && slices.Equal(got, []string{"general/carol"}) && chatto.ErrorCode(callerErr) == chatto.EUNAUTHORIZED {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: erin member %v, carol member %v, removals told %v, carol's old session %v",
				3*watchEvery, inErin, inCarol, got, callerErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := srv.User(ctx, "erin"); err != nil {
		t.Fatalf("new user unknown to the running host: %v", err)
	}
}

func TestSameOriginRefusesCrossSiteUseOfTheCookie(t *testing.T) {
	s := newSite(t)
	token := s.mustLogin("alice")
	const msg = `{"text":"hi"}`
	post := "/api/rooms/general/messages"
	tests := []struct {
		name string
		r    request
		want int
	}{
		{"cross-site text/plain post with the cookie", request{origin: "https://evil.example", contentType: "text/plain"}, 403},
		{"cross-site JSON post with the cookie", request{origin: "https://evil.example", contentType: "application/json"}, 403},
		{"same-site sibling origin", request{origin: "http://evil.chat.test", fetchSite: "same-site", contentType: "application/json"}, 403},
		{"no Origin and no Sec-Fetch-Site", request{contentType: "application/json"}, 403},
		{"Origin null", request{origin: "null", contentType: "application/json"}, 403},
		{"same origin but text/plain", request{origin: siteURL, contentType: "text/plain"}, 403},
		{"same origin but form encoded", request{origin: siteURL, contentType: "application/x-www-form-urlencoded"}, 403},
		{"same origin but no content type", request{origin: siteURL}, 403},
		{"same origin JSON", request{origin: siteURL, contentType: "application/json"}, 200},
		{"same origin JSON with charset", request{origin: siteURL, contentType: "application/json; charset=utf-8"}, 200},
		{"Sec-Fetch-Site same-origin", request{fetchSite: "same-origin", contentType: "application/json"}, 200},
		{"loopback host the page came from", request{host: "localhost:8080", origin: "http://localhost:8080", contentType: "application/json"}, 200},
		{"non-loopback host echoed in Origin", request{host: "evil.example", origin: "http://evil.example", contentType: "application/json"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			r.method, r.path, r.body, r.cookie = "POST", post, msg, token
			st, code, _ := s.do(r)
			if st != tt.want {
				t.Fatalf("status %d (%s), want %d", st, code, tt.want)
			}
			if st == 403 && code != chatto.ECROSSSITE {
				t.Fatalf("code %s, want %s", code, chatto.ECROSSSITE)
			}
		})
	}

	t.Run("bearer tokens are exempt", func(t *testing.T) {
		st, code, _ := s.do(request{method: "POST", path: post, body: msg, bearer: token, origin: "https://evil.example", contentType: "text/plain"})
		if st != 200 {
			t.Fatalf("bearer request: %d %s, want 200", st, code)
		}
	})
	t.Run("reads are not changes", func(t *testing.T) {
		st, _, _ := s.do(request{method: "GET", path: post, cookie: token, origin: "https://evil.example"})
		if st != 200 {
			t.Fatalf("cross-site GET: %d, want 200", st)
		}
	})
	t.Run("DELETE and bodiless POST need the same", func(t *testing.T) {
		for _, r := range []request{
			{method: "DELETE", path: "/api/rooms/general/members/carol", origin: "https://evil.example"},
			{method: "POST", path: "/api/logout", origin: "https://evil.example"},
			{method: "POST", path: "/api/logout", origin: siteURL},
		} {
			r.cookie = token
			if st, code, _ := s.do(r); st != 403 || code != chatto.ECROSSSITE {
				t.Fatalf("%s %s from %s without JSON: %d %s, want 403 cross_site", r.method, r.path, r.origin, st, code)
			}
		}
		if inCarol, _ := s.h.IsMember(context.Background(), "general", "carol"); !inCarol {
			t.Fatal("a refused removal removed carol")
		}
	})
	t.Run("the beacon leave needs the origin but not JSON", func(t *testing.T) {
		leave := request{method: "POST", path: "/api/rooms/general/call/leave", body: `{"device_id":"a"}`, contentType: "text/plain;charset=UTF-8", cookie: token}
		same, cross := leave, leave
		same.origin, cross.origin = siteURL, "https://evil.example"
		if st, code, _ := s.do(same); st != 200 {
			t.Fatalf("same-origin beacon: %d %s", st, code)
		}
		if st, code, _ := s.do(cross); st != 403 || code != chatto.ECROSSSITE {
			t.Fatalf("cross-site beacon: %d %s, want 403 cross_site", st, code)
		}
	})
	t.Run("sign-in needs the same (login CSRF)", func(t *testing.T) {
		body := `{"user":"alice","password":"demo"}`
		for _, r := range []request{
			{origin: "https://evil.example", contentType: "application/json"},
			{contentType: "application/json"},
			{origin: siteURL, contentType: "text/plain"},
		} {
			r.method, r.path, r.body = "POST", "/api/login", body
			if st, code, rec := s.do(r); st != 403 || code != chatto.ECROSSSITE || len(rec.Result().Cookies()) != 0 {
				t.Fatalf("sign-in from %q as %q: %d %s, cookies %v", r.origin, r.contentType, st, code, rec.Result().Cookies())
			}
		}
	})
}
