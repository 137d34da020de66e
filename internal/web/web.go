// Package web serves the browser client embedded in the binary.
//
// The client's source lives in client/ (plain JavaScript on livekit-client,
// bundled with esbuild); scripts/web.sh builds it into static/, which is
// committed so the server builds with the Go toolchain alone.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed static
var static embed.FS

// contentTypes are set explicitly: the E2EE worker is an .mjs module, which
// browsers only run when served with a JavaScript type, and the system MIME
// table may not know the extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// asset is one embedded file, with a content hash as its ETag so browsers
// revalidate cheaply and never run a stale bundle after an upgrade.
type asset struct {
	body        []byte
	etag        string
	contentType string
}

// Mount serves the client at / (index.html) and its files at /static/*.
func Mount(e *echo.Echo) {
	assets := load()
	serve := func(name string) echo.HandlerFunc {
		return func(c echo.Context) error {
			a, ok := assets[name]
			if !ok {
				return echo.NewHTTPError(http.StatusNotFound)
			}
			h := c.Response().Header()
			h.Set("Content-Type", a.contentType)
			h.Set("ETag", a.etag)
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			if name == "index.html" {
				// Scripts only from this origin; media and signalling go
				// to the LiveKit URL the API hands out, so connect-src
				// stays open.
				h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; worker-src 'self'; "+
					"style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "+
					"connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
			}
			http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(a.body))
			return nil
		}
	}
	e.GET("/", serve("index.html"))
	e.GET("/static/*", func(c echo.Context) error {
		return serve(path.Clean(c.Param("*")))(c)
	})
}

func load() map[string]asset {
	out := map[string]asset{}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := contentTypes[strings.ToLower(path.Ext(name))]
		if ct == "" {
			ct = http.DetectContentType(body)
		}
		out[name] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: ct}
		return nil
	})
	return out
}
