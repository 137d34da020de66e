package host

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/chatto"
)

// SameOrigin refuses cross-site requests that would act with a user's
// session cookie. A cookie goes with every request the browser makes to
// this server, whoever's page asks, so a change (POST, PUT, PATCH,
// DELETE) that the cookie authenticates must come from this site's own
// pages: the browser says so with an Origin equal to base's origin (or,
// on a loopback host, to the Host the request was sent to, so
// http://localhost:8080 works as well as 127.0.0.1:8080), or with
// Sec-Fetch-Site: same-origin; and its body must be declared JSON, which
// another site's page cannot send without a CORS preflight that this
// server never grants. Requests to beacon routes (sendBeacon cannot set a
// content type) only need the origin. Sign-in needs both too, so no site
// can sign a visitor into an account of its choosing (login CSRF).
// Requests with an Authorization bearer token are not cookie-authenticated
// and pass: a page can only send that header to another origin through a
// preflight.
func SameOrigin(base string, beaconRoutes ...string) (echo.MiddlewareFunc, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("host: base url %q: %v", base, err)
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	beacon := make(map[string]bool)
	for _, r := range beaconRoutes {
		beacon[r] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			login := c.Path() == "/api/login"
			if !login && !cookieAuthenticated(r) {
				return next(c)
			}
			if !fromSameOrigin(r, origin) {
				return chatto.Errorf(chatto.ECROSSSITE, "this request must come from this site's own pages (same-origin Origin or Sec-Fetch-Site)")
			}
			if !beacon[c.Path()] && !isJSON(r.Header.Get("Content-Type")) {
				return chatto.Errorf(chatto.ECROSSSITE, "this request must send Content-Type: application/json")
			}
			return next(c)
		}
	}, nil
}

// cookieAuthenticated reports whether the request's session, if any,
// comes from the cookie rather than a bearer token.
func cookieAuthenticated(r *http.Request) bool {
	token, bearer := tokenOf(r)
	return token != "" && !bearer
}

func fromSameOrigin(r *http.Request, origin string) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	o := strings.ToLower(r.Header.Get("Origin"))
	if o == "" || o == "null" {
		return false
	}
	if o == origin {
		return true
	}
	// Loopback development: the page was loaded from the address the
	// request went to, whatever webserver.url says.
	ou, err := url.Parse(o)
	if err != nil || (ou.Scheme != "http" && ou.Scheme != "https") {
		return false
	}
	return strings.EqualFold(ou.Host, r.Host) && isLoopback(r.Host)
}

func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
