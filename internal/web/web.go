// Package web serves the browser client embedded in the binary.
package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed static
var static embed.FS

// Mount serves the client at / (index.html) and /static/*.
func Mount(e *echo.Echo) {
	sub, _ := fs.Sub(static, "static")
	files := http.FileServer(http.FS(sub))
	e.GET("/", echo.WrapHandler(files))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", files)))
}
