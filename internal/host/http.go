package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/chatto"
)

// Mount registers the host's own routes: sign-in, rooms, timeline and the
// realtime stream. Handlers return their errors to echo; the server's
// HTTPErrorHandler renders them in the plugin's error shape. Sign-in
// limits count per c.RealIP(), so e needs an IPExtractor: without one,
// echo believes any client's X-Forwarded-For.
func (h *Host) Mount(e *echo.Echo) {
	e.POST("/api/login", h.login)
	e.POST("/api/logout", h.logout)
	e.GET("/api/me", h.authed(h.me))
	e.GET("/api/rooms", h.authed(h.rooms))
	e.GET("/api/rooms/:room/messages", h.authed(h.messages))
	e.POST("/api/rooms/:room/messages", h.authed(h.postMessage))
	e.GET("/api/events", h.events)
	e.POST("/api/rooms/:room/leave", h.authed(h.leaveRoom))
	e.DELETE("/api/rooms/:room/members/:user", h.authed(h.removeMember))
}

func (h *Host) leaveRoom(c echo.Context, caller chatto.Caller) error {
	if err := noArguments(c); err != nil {
		return err
	}
	if err := h.RemoveMember(c.Request().Context(), c.Param("room"), caller.UserID, caller.UserID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Host) removeMember(c echo.Context, caller chatto.Caller) error {
	if err := noArguments(c); err != nil {
		return err
	}
	if err := h.RemoveMember(c.Request().Context(), c.Param("room"), c.Param("user"), caller.UserID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Host) authed(fn func(echo.Context, chatto.Caller) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		caller, err := h.Caller(c.Request())
		if err != nil {
			return err
		}
		return fn(c, caller)
	}
}

// Body limits: 4 KiB, as the calls plugin's, since nothing the host
// reads comes near it but a message, whose 4000 characters JSON may
// escape to up to six bytes each.
const (
	maxBody        = 4 << 10
	maxMessageBody = 64 << 10
)

// readBody reads the request body; one over limit bytes is refused as
// too large, not cut short and then found malformed.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		return nil, chatto.Errorf(chatto.EINVALID, "cannot read the request body")
	}
	if int64(len(raw)) > limit {
		return nil, chatto.Errorf(chatto.ETOOLARGE, "request body is over %d bytes", limit)
	}
	return raw, nil
}

// decodeJSON reads the body, one JSON object of at most limit bytes with
// none but v's fields, into v.
func decodeJSON(c echo.Context, limit int64, v any) error {
	raw, err := readBody(c, limit)
	if err != nil {
		return err
	}
	return decodeObject(raw, v)
}

// noArguments accepts the body of a route that takes none: empty, or an
// empty JSON object. Anything else is refused rather than ignored, so a
// client whose request is not what it meant (a truncated body, fields
// this server does not know) is told so before anything changes.
func noArguments(c echo.Context) error {
	raw, err := readBody(c, maxBody)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return err
	}
	return decodeObject(raw, &struct{}{})
}

func decodeObject(raw []byte, v any) error {
	// Decode takes null for an empty object and leaves v as it was; the
	// routes ask for an object.
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return chatto.Errorf(chatto.EINVALID, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return chatto.Errorf(chatto.EINVALID, "request body must be valid JSON: %v", err)
	}
	// Decode stops after the first value; anything but space after it
	// makes the body something other than the one object asked for.
	if _, err := dec.Token(); err != io.EOF {
		return chatto.Errorf(chatto.EINVALID, "request body must be one JSON object")
	}
	return nil
}

func (h *Host) login(c echo.Context) error {
	var req struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, maxBody, &req); err != nil {
		return err
	}
	// No account has a longer id, so a longer one is refused before it
	// becomes a rate-limit key.
	if len(req.User) > 64 {
		return errBadLogin
	}
	token, err := h.Login(c.Request().Context(), req.User, req.Password, c.RealIP())
	var le *limitedError
	if errors.As(err, &le) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(le.wait.Seconds()))))
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		// Strict keeps other sites from riding the cookie; SameOrigin
		// also refuses same-site pages of other origins.
		SameSite: http.SameSiteStrictMode, Secure: h.opt.secureCookie,
		MaxAge: int(h.opt.sessionMax.Seconds()),
	})
	return c.JSON(http.StatusOK, map[string]string{"token": token, "user_id": req.User})
}

func (h *Host) logout(c echo.Context) error {
	if err := noArguments(c); err != nil {
		return err
	}
	if t, _ := tokenOf(c.Request()); t != "" {
		if err := h.Logout(c.Request().Context(), t); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.opt.secureCookie})
	return c.NoContent(http.StatusNoContent)
}

func (h *Host) me(c echo.Context, caller chatto.Caller) error {
	return c.JSON(http.StatusOK, map[string]string{"id": caller.UserID, "name": caller.Name, "device_id": caller.DeviceID})
}

func (h *Host) rooms(c echo.Context, caller chatto.Caller) error {
	rooms, err := h.RoomsOf(c.Request().Context(), caller.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rooms)
}

func (h *Host) member(c echo.Context, caller chatto.Caller) error {
	ok, err := h.IsMember(c.Request().Context(), c.Param("room"), caller.UserID)
	if err != nil {
		return err
	}
	if !ok {
		return chatto.Errorf(chatto.EFORBIDDEN, "you are not a member of this room")
	}
	return nil
}

func (h *Host) messages(c echo.Context, caller chatto.Caller) error {
	if err := h.member(c, caller); err != nil {
		return err
	}
	msgs, err := h.Messages(c.Request().Context(), c.Param("room"), 200)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, msgs)
}

func (h *Host) postMessage(c echo.Context, caller chatto.Caller) error {
	if err := h.member(c, caller); err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(c, maxMessageBody, &req); err != nil {
		return err
	}
	text := strings.TrimSpace(req.Text)
	if text == "" || len(text) > 4000 {
		return chatto.Errorf(chatto.EINVALID, "text must be 1-4000 characters")
	}
	m, err := h.PostText(c.Request().Context(), c.Param("room"), caller.UserID, text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// events streams realtime events as Server-Sent Events until the client
// goes away, the session ends (logout, expiry) or the server shuts down.
// streamWriteTimeout bounds each write to an event stream.
const streamWriteTimeout = 10 * time.Second

func (h *Host) events(c echo.Context) error {
	s, err := h.session(c.Request())
	if err != nil {
		return err
	}
	ch, cancel, err := h.hub.Subscribe(s.caller.UserID, s.hash)
	if err != nil {
		e := chatto.Errorf(chatto.ERATELIMITED, "too many open event streams; close a tab or try again later")
		e.RetryAfter = 30 * time.Second
		return e
	}
	defer cancel()
	w := c.Response()
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary requests; a stream lives
	// as long as the page, but each write must finish within
	// streamWriteTimeout, so a client that stops reading is dropped
	// instead of holding its goroutine and buffers forever.
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) }
	deadline()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	w.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-c.Request().Context().Done():
			return nil
		case f, ok := <-ch:
			if !ok {
				return nil
			}
			deadline()
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", f.Type, f.Data); err != nil {
				return nil
			}
			if rc.Flush() != nil {
				return nil
			}
		case <-ping.C:
			// A session that expired while its page stayed open ends
			// here; the page's reconnect then gets 401.
			if !h.alive(c.Request().Context(), s.hash) {
				return nil
			}
			deadline()
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}
