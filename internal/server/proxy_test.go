package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/internal/server"
)

// trust sets webserver.trusted_proxies; calls are off, these tests need
// no LiveKit.
func trust(cidrs ...string) calltest.Option {
	return func(c *config.Config) {
		c.Webserver.TrustedProxies = cidrs
		c.LiveKit.Enabled = false
	}
}

// addressBurst is the failed sign-ins one client address may make at
// once (host's per-address bucket).
const addressBurst = 20

// viaProxy sends a request to e with the given headers (each value of
// X-Forwarded-For as its own header line, as a chain of proxies may) and
// returns the answer, its body closed, and its error code if any.
func viaProxy(t *testing.T, e *calltest.Env, method, path, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, "http://"+e.Config.Webserver.Listen+path, bytes.NewBufferString(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var apiErr calltest.APIError
	json.NewDecoder(resp.Body).Decode(&apiErr)
	return resp, apiErr.Error.Code
}

// signIn signs user in from the site's own page, through a proxy that
// names the client in X-Forwarded-For (none if xff is "").
func signIn(t *testing.T, e *calltest.Env, user, password, xff string) (int, string) {
	t.Helper()
	h := http.Header{"Origin": {e.Config.Webserver.URL}, "Content-Type": {"application/json"}}
	if xff != "" {
		h.Set("X-Forwarded-For", xff)
	}
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	resp, code := viaProxy(t, e, "POST", "/api/login", string(body), h)
	return resp.StatusCode, code
}

// loggedClient is the client address on the access line of the request
// whose answer carried the request id id.
func loggedClient(t *testing.T, e *calltest.Env, id string) string {
	t.Helper()
	line := regexp.MustCompile(`msg="http request" .* client=(\S+) request_id=` + regexp.QuoteMeta(id) + `\n`)
	var client string
	calltest.Eventually(t, 5*time.Second, "the access line of request "+id, func() bool {
		m := line.FindStringSubmatch(e.Logs())
		if m != nil {
			client = m[1]
		}
		return m != nil
	})
	return client
}

func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	direct := calltest.Start(t, trust())
	proxyElsewhere := calltest.Start(t, trust("192.0.2.0/24"))
	// nginx on this machine, and a load balancer in the private network
	// in front of it.
	proxied := calltest.Start(t, trust("127.0.0.1/32", "10.0.0.0/8"))
	for _, tc := range []struct {
		name string
		env  *calltest.Env
		xff  []string
		want string
	}{
		{"no trusted proxy: the peer, whatever it forwards", direct, []string{"203.0.113.7"}, "127.0.0.1"},
		{"a peer that is not a trusted proxy: the peer", proxyElsewhere, []string{"203.0.113.7"}, "127.0.0.1"},
		{"a trusted proxy naming no client: the proxy", proxied, nil, "127.0.0.1"},
		{"the client a trusted proxy names", proxied, []string{"203.0.113.7"}, "203.0.113.7"},
		{"not what the client wrote before it", proxied, []string{"127.0.0.1, 198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"through a chain of trusted proxies", proxied, []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"a chain over several header lines", proxied, []string{"198.51.100.1", "203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"an IPv6 client", proxied, []string{"2001:db8::7"}, "2001:db8::7"},
		{"an IPv4-mapped client as IPv4", proxied, []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"only trusted proxies: the furthest", proxied, []string{"10.1.2.3, 10.4.5.6"}, "10.1.2.3"},
		{"junk the client wrote", proxied, []string{"not-an-address, 203.0.113.7"}, "203.0.113.7"},
		{"junk a trusted proxy wrote: that proxy", proxied, []string{"203.0.113.7, not-an-address"}, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := viaProxy(t, tc.env, "GET", "/api/calls/config", "", http.Header{"X-Forwarded-For": tc.xff})
			if resp.StatusCode != 200 {
				t.Fatalf("GET /api/calls/config: %d", resp.StatusCode)
			}
			if got := loggedClient(t, tc.env, resp.Header.Get(server.RequestIDHeader)); got != tc.want {
				t.Fatalf("access log client=%s, want %s", got, tc.want)
			}
		})
	}

	// The request id is a proxy's header too.
	for _, tc := range []struct {
		env     *calltest.Env
		trusted bool
	}{{direct, false}, {proxyElsewhere, false}, {proxied, true}} {
		resp, _ := viaProxy(t, tc.env, "GET", "/api/calls/config", "", http.Header{server.RequestIDHeader: {"proxy-1234.abcd"}})
		if got := resp.Header.Get(server.RequestIDHeader) == "proxy-1234.abcd"; got != tc.trusted {
			t.Errorf("trusted proxies %v: request id %q taken: %v, want %v",
				tc.env.Config.Webserver.TrustedProxies, "proxy-1234.abcd", got, tc.trusted)
		}
	}
}

// The issue: nginx sent no X-Forwarded-For, so every client was the
// proxy's 127.0.0.1, and failed sign-ins under made-up names locked
// alice out. Behind a trusted proxy that names its clients, each client
// has its own limit, also through a second trusted proxy in front.
func TestSignInLimitsCountEachClientBehindATrustedProxy(t *testing.T) {
	e := calltest.Start(t, trust("127.0.0.1/32", "10.0.0.0/8"))
	for _, tc := range []struct{ name, attacker, alice string }{
		{"nginx on this machine", "203.0.113.7", "198.51.100.9"},
		{"a load balancer in front of nginx", "203.0.113.8, 10.0.0.5", "198.51.100.10, 10.0.0.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range addressBurst {
				if st, code := signIn(t, e, "nobody"+strconv.Itoa(i), "guess", tc.attacker); st != 401 {
					t.Fatalf("failed sign-in %d: %d %s, want 401", i+1, st, code)
				}
			}
			if st, code := signIn(t, e, "mallory", "guess", tc.attacker); st != 429 || code != "rate_limited" {
				t.Fatalf("the attacker's next sign-in: %d %s, want 429 rate_limited", st, code)
			}
			if st, code := signIn(t, e, "alice", "demo", tc.alice); st != 200 {
				t.Fatalf("alice, another client behind the same proxy: %d %s, want 200", st, code)
			}
		})
	}
	if !regexp.MustCompile(`path=/api/login .*status=429 .*client=203\.0\.113\.7 `).MatchString(e.Logs()) {
		t.Error("no access line names the limited client 203.0.113.7")
	}
}

// Without trusted proxies, or from a peer that is not one, a client
// cannot pick the address its failures count against by writing
// X-Forwarded-For: they count against the peer.
func TestAPeerThatIsNotATrustedProxyCannotPickItsAddress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
	}{
		{"no trusted proxies", nil},
		{"a proxy elsewhere is trusted", []string{"192.0.2.0/24"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := calltest.Start(t, trust(tc.trusted...))
			for i := range addressBurst {
				xff := "203.0.113." + strconv.Itoa(i+1)
				if st, code := signIn(t, e, "nobody"+strconv.Itoa(i), "guess", xff); st != 401 {
					t.Fatalf("failed sign-in %d: %d %s, want 401", i+1, st, code)
				}
			}
			if st, code := signIn(t, e, "alice", "demo", "198.51.100.9"); st != 429 || code != "rate_limited" {
				t.Fatalf("a sign-in from the same peer naming another address: %d %s, want 429 rate_limited", st, code)
			}
			if regexp.MustCompile(`path=/api/login .*client=(203\.0\.113|198\.51\.100)\.`).MatchString(e.Logs()) {
				t.Error("the access log names an address the client wrote")
			}
		})
	}
}

// The session cookie is Secure when the site is served over https, which
// webserver.url says: behind a proxy that terminates TLS the request
// itself is plain http, and the scheme a client claims proves nothing.
func TestSessionCookieIsSecureWhenTheSiteIsHTTPS(t *testing.T) {
	httpsSite := func(c *config.Config) { c.Webserver.URL = "https://chat.example.org" }
	claimsHTTPS := http.Header{"X-Forwarded-Proto": {"https"}}
	for _, tc := range []struct {
		name   string
		opts   []calltest.Option
		header http.Header
		secure bool
	}{
		{"https site, plain http from its proxy", []calltest.Option{trust("127.0.0.1/32"), httpsSite}, nil, true},
		{"https site, no trusted proxy", []calltest.Option{trust(), httpsSite}, nil, true},
		{"http site", []calltest.Option{trust()}, nil, false},
		{"http site, a client claiming https", []calltest.Option{trust()}, claimsHTTPS, false},
		{"http site, a trusted proxy claiming https", []calltest.Option{trust("127.0.0.1/32")}, claimsHTTPS, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := calltest.Start(t, tc.opts...)
			h := http.Header{"Origin": {e.Config.Webserver.URL}, "Content-Type": {"application/json"}}
			for k, vs := range tc.header {
				h[k] = vs
			}
			resp, code := viaProxy(t, e, "POST", "/api/login", `{"user":"alice","password":"demo"}`, h)
			session := sessionCookie(resp)
			if resp.StatusCode != 200 || session == nil {
				t.Fatalf("sign-in: %d %s, cookie %v", resp.StatusCode, code, session)
			}
			if session.Secure != tc.secure {
				t.Errorf("sign-in cookie Secure = %v, want %v", session.Secure, tc.secure)
			}
			h.Set("Cookie", host.SessionCookie+"="+session.Value)
			resp, code = viaProxy(t, e, "POST", "/api/logout", "", h)
			cleared := sessionCookie(resp)
			if resp.StatusCode != 204 || cleared == nil || cleared.MaxAge >= 0 {
				t.Fatalf("sign-out: %d %s, cookie %v", resp.StatusCode, code, cleared)
			}
			if cleared.Secure != tc.secure {
				t.Errorf("sign-out cookie Secure = %v, want %v", cleared.Secure, tc.secure)
			}
		})
	}
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == host.SessionCookie {
			return c
		}
	}
	return nil
}
