package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestIDHeader carries a request's id: taken from a trusted proxy
// (webserver.trusted_proxies) that sets it, otherwise made here, and
// always echoed in the answer.
const RequestIDHeader = "X-Request-Id"

// requestIDPattern is what an incoming request id may look like: what
// proxies make (hex, UUIDs, base64-ish tokens), nothing that could break
// a log line.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:+/=-]{1,128}$`)

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDHandler adds the request id of the record's context to every
// log record, so each line a request causes, wherever it is logged, can
// be found by the id its answer carried.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// quietPaths are probed every few seconds; their successful requests are
// logged at debug level only.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLog gives every request an id (see RequestIDHeader) and logs one
// line when it is answered: method, path (never the query), route,
// status, bytes, duration and client address. Event streams are logged
// when they end.
func (m *Main) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		id := req.Header.Get(RequestIDHeader)
		if !requestIDPattern.MatchString(id) || !m.proxies.fromTrustedProxy(req) {
			id = newRequestID()
		}
		c.Response().Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(req.Context(), requestIDKey{}, id)
		c.SetRequest(req.WithContext(ctx))
		if err := next(c); err != nil {
			// Render it now, so the line below has its status.
			c.Error(err)
		}
		status := c.Response().Status
		level := m.RequestLogLevel
		if quietPaths[req.URL.Path] && status < 400 {
			level = slog.LevelDebug
		}
		m.log.LogAttrs(ctx, level, "http request",
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client", c.RealIP()),
		)
		return nil
	}
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
