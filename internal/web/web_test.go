package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// The client's files are served with JavaScript and CSS types (a module
// worker with another type does not run), revalidate by ETag, and unknown
// paths are 404s.
func TestServesTheEmbeddedClient(t *testing.T) {
	e := echo.New()
	Mount(e)
	get := func(path, etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/static/app.js">`},
		{"/static/app.js", "text/javascript; charset=utf-8", "/api/events"},
		{"/static/livekit-client.e2ee.worker.mjs", "text/javascript; charset=utf-8", "encode"},
		{"/static/app.css", "text/css; charset=utf-8", ".tile"},
	} {
		rec := get(tc.path, "")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %q, want 200 %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.contentType)
			continue
		}
		if !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
		}
		etag := rec.Header().Get("ETag")
		if again := get(tc.path, etag); etag == "" || again.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %q: %d, want 304", tc.path, etag, again.Code)
		}
	}
	if csp := get("/", "").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("index CSP = %q", csp)
	}
	for _, p := range []string{"/static/nope.js", "/static/../web.go", "/static/"} {
		if rec := get(p, ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
}
