package server

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// proxies decides who a request comes from (webserver.trusted_proxies).
// The TCP peer is the client unless it is a trusted proxy; then the
// client is the right-most X-Forwarded-For entry that is not itself a
// trusted proxy. Each proxy appends the address it was reached from, so
// everything left of that entry was written by the client or by proxies
// nobody vouches for, and proves nothing.
type proxies struct {
	trusted []netip.Prefix
}

// forwardedHeaders describe the client to the server: its address and
// the scheme it used. Only a trusted proxy may send them.
var forwardedHeaders = []string{
	"Forwarded",
	echo.HeaderXForwardedFor,
	echo.HeaderXRealIP,
	// c.Scheme() believes any of these, from anyone.
	echo.HeaderXForwardedProto,
	echo.HeaderXForwardedProtocol,
	echo.HeaderXForwardedSsl,
	echo.HeaderXUrlScheme,
}

// dropUntrusted removes forwardedHeaders from requests whose peer is not
// a trusted proxy, before anything reads them: echo's c.Scheme() takes
// X-Forwarded-Proto from anyone, and no handler should have to know
// which of these headers it may believe.
func (p proxies) dropUntrusted(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); !p.fromTrustedProxy(r) {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
		}
		return next(c)
	}
}

// fromTrustedProxy reports whether r's TCP peer is a trusted proxy.
func (p proxies) fromTrustedProxy(r *http.Request) bool {
	a, ok := peer(r)
	return ok && within(p.trusted, a)
}

// clientIP is the server's echo.IPExtractor, so c.RealIP() is the
// client address everything keys on: the sign-in limits, /metrics and
// the access log.
func (p proxies) clientIP(r *http.Request) string {
	client, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if !within(p.trusted, client) {
		return client.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values(echo.HeaderXForwardedFor), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(hops[i]), "[]"))
		if err != nil {
			// No header, or a trusted proxy wrote something that is not
			// an address: the nearest address known is the best there is.
			return client.String()
		}
		client = hop.Unmap().WithZone("")
		if !within(p.trusted, client) {
			return client.String()
		}
	}
	// Every hop is a trusted proxy: the request started at one of them
	// (say, a probe on the proxy's machine).
	return client.String()
}

// peer is r's TCP peer, an IPv4 client of a dual-stack listener as IPv4.
func peer(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap().WithZone(""), true
}

// within reports whether a is in one of the prefixes.
func within(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
