package host

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
)

// FuzzRequestBodies posts arbitrary bodies to the host's JSON endpoints
// (sign-in, and a message as a signed-in member) through the real routes
// and the server's error rendering. Nothing answers 5xx or panics; every
// error is the JSON error shape with the code its status stands for; a
// body over the route's limit is 413 and one within it that is not JSON
// is 400.
func FuzzRequestBodies(f *testing.F) {
	h, err := Open(context.Background(), filepath.Join(f.TempDir(), "chatto.db"), quiet(), WithDemoData(), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Close() })
	log := quiet()
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if !c.Response().Committed {
			chatto.WriteError(c, log, err)
		}
	}
	h.Mount(e)
	token, err := h.Login(context.Background(), "alice", DemoPassword, "127.0.0.1")
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{
		`{"user":"alice","password":"demo"}`, `{"user":"alice","password":"wrong"}`, `{"user":"nobody","password":"demo"}`,
		`{"user":"alice","password":"` + strings.Repeat("x", 100) + `"}`, `{"text":"hello"}`, `{"text":"   "}`,
		`{"text":"` + strings.Repeat("y", 4001) + `"}`, `{"text":5}`, `{"extra":1}`, `{}`, ``, `null`, `[]`,
		`{"user":"alice"} {"x":1}`, `{"text":"\u0000\ud800"}`, "\xff", `{"user":"alice","password":"demo"`,
	} {
		f.Add(false, []byte(body))
		f.Add(true, []byte(body))
	}
	f.Add(true, append([]byte(`{"text":"`), bytes.Repeat([]byte("z"), 70<<10)...))
	f.Add(false, []byte(`{"user":"alice","password":"`+strings.Repeat("p", 5<<10)+`"}`))
	f.Fuzz(func(t *testing.T, message bool, body []byte) {
		path, limit := "/api/login", maxBody
		if message {
			path, limit = "/api/rooms/general/messages", maxMessageBody
		}
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://"+req.Host) // as the server's own page
		if message {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s: status %d %q", path, w.Code, w.Body)
		}
		if len(body) > limit && w.Code != 413 {
			t.Fatalf("%s: %d-byte body: status %d %q, want 413", path, len(body), w.Code, w.Body)
		}
		if len(body) <= limit && !json.Valid(body) && w.Code != 400 {
			t.Fatalf("%s: body that is not JSON: status %d %q, want 400", path, w.Code, w.Body)
		}
		if w.Code < 300 {
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s: status %d with a body that is not JSON: %q", path, w.Code, w.Body)
			}
			return
		}
		var shape struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &shape); err != nil || shape.Error.Code == "" || shape.Error.Message == "" {
			t.Fatalf("%s: status %d with a body that is not the error shape: %q", path, w.Code, w.Body)
		}
		if code := shape.Error.Code; (w.Code == 400) != (code == chatto.EINVALID) || (w.Code == 413) != (code == chatto.ETOOLARGE) {
			t.Fatalf("%s: status %d with code %q", path, w.Code, code)
		}
	})
}
