package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/host"
)

// browserRequest sends what a browser would: the session cookie, and the
// Origin, Sec-Fetch-Site and Content-Type given ("" leaves one out).
func browserRequest(t *testing.T, env *calltest.Env, method, path, cookie, origin, fetchSite, contentType, body string) (int, string, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, env.BaseURL+path, bytes.NewBufferString(body))
	for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": fetchSite, "Content-Type": contentType} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: host.SessionCookie, Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e calltest.APIError
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code, resp
}

// The reproduction: a message POST riding alice's cookie from
// another site, as text/plain so no preflight asks first, was answered
// 200. Now it, a leave by another site's beacon, and a sign-in from
// another site are refused, while the client's own requests pass.
func TestCrossSiteRequestsWithTheCookieAreRefused(t *testing.T) {
	env := calltest.Start(t)
	const evil = "https://evil.example"
	self := env.BaseURL

	// Sign-in: another site cannot sign the visitor in (login CSRF).
	creds := `{"user":"alice","password":"demo"}`
	st, code, resp := browserRequest(t, env, "POST", "/api/login", "", evil, "cross-site", "application/json", creds)
	if st != 403 || code != chatto.ECROSSSITE || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-site sign-in: %d %s, cookies %v; want 403 cross_site and no cookie", st, code, resp.Cookies())
	}
	st, _, resp = browserRequest(t, env, "POST", "/api/login", "", self, "same-origin", "application/json", creds)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == host.SessionCookie {
			cookie = c.Value
		}
	}
	if st != 200 || cookie == "" {
		t.Fatalf("same-origin sign-in: %d, cookie %q", st, cookie)
	}

	msg := `{"text":"sent by evil.example"}`
	for _, tc := range []struct{ name, origin, fetchSite, contentType string }{
		{"the issue's text/plain POST", evil, "", "text/plain"},
		{"a JSON POST from another site", evil, "cross-site", "application/json"},
		{"a form POST from our own origin without JSON", self, "same-origin", "application/x-www-form-urlencoded"},
	} {
		if st, code, _ := browserRequest(t, env, "POST", "/api/rooms/general/messages", cookie, tc.origin, tc.fetchSite, tc.contentType, msg); st != 403 || code != chatto.ECROSSSITE {
			t.Errorf("%s: %d %s, want 403 cross_site", tc.name, st, code)
		}
	}
	if st, code, _ := browserRequest(t, env, "POST", "/api/rooms/general/messages", cookie, self, "same-origin", "application/json", `{"text":"hello"}`); st != 200 {
		t.Fatalf("the client's own message POST: %d %s", st, code)
	}
	bob := env.Login("bob")
	var msgs []struct{ Body string }
	bob.Do("GET", "/api/rooms/general/messages", nil, &msgs)
	if len(msgs) != 1 || msgs[0].Body != "hello" {
		t.Fatalf("timeline after the refused requests: %+v", msgs)
	}

	// The unload beacon (text/plain) leaves from our own pages only.
	alice := env.Login("alice")
	alice.Join("general", "a")
	leave := `{"device_id":"a"}`
	if st, code, _ := browserRequest(t, env, "POST", "/api/rooms/general/call/leave", cookie, evil, "cross-site", "text/plain;charset=UTF-8", leave); st != 403 || code != chatto.ECROSSSITE {
		t.Fatalf("cross-site beacon leave: %d %s, want 403 cross_site", st, code)
	}
	if got := calltest.Identities(alice.Call("general")); len(got) != 1 {
		t.Fatalf("a refused beacon changed the call: %v", got)
	}
	if st, code, _ := browserRequest(t, env, "POST", "/api/rooms/general/call/leave", cookie, self, "same-origin", "text/plain;charset=UTF-8", leave); st != 200 {
		t.Fatalf("same-origin beacon leave: %d %s", st, code)
	}
	if v := alice.Call("general"); v != nil {
		t.Fatalf("still in the call after the beacon: %v", calltest.Identities(v))
	}
}

// Sign-in limits through the real server: the answer is 429 with the
// code and a Retry-After in seconds.
func TestRepeatedFailedSignInsGet429WithRetryAfter(t *testing.T) {
	env := calltest.Start(t)
	var last *http.Response
	var code string
	st := 0
	for range 6 {
		st, code, last = browserRequest(t, env, "POST", "/api/login", "", env.BaseURL, "same-origin", "application/json", `{"user":"bob","password":"guess"}`)
	}
	if st != 429 || code != chatto.ERATELIMITED {
		t.Fatalf("sixth failed sign-in: %d %s, want 429 rate_limited", st, code)
	}
	if s, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}
}
