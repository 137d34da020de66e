// Package chatto is the calls plugin: the call domain (implicit calls,
// per-call E2EE keys, participants), the Host interface a chat server
// implements, and the HTTP routes the plugin mounts on the host's echo.
package chatto

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/webhooks"
)

// Plugin is what a host constructs and mounts.
type Plugin struct {
	cfg   Config
	host  Host
	svc   *Service // nil when calls are disabled
	hooks *webhooks.Handler
	log   *slog.Logger
}

// New builds the plugin. With cfg.Enabled false it only answers the call
// endpoints with null; store may then be nil.
func New(ctx context.Context, cfg Config, host Host, store *eventlog.Store, log *slog.Logger, opts ...Option) (*Plugin, error) {
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Plugin{cfg: cfg, host: host, log: log}
	if !cfg.Enabled {
		return p, nil
	}
	if store == nil {
		return nil, errors.New("chatto: calls are enabled but no event log store was given")
	}
	svc, err := NewService(ctx, cfg, host, store, log, opts...)
	if err != nil {
		return nil, err
	}
	p.svc = svc
	hookKey, hookSecret := cfg.webhookKey()
	p.hooks = webhooks.NewHandler(hookKey, hookSecret, cfg.WebhookMaxBytes, svc)
	return p, nil
}

// Service returns the call service, or nil when calls are disabled.
func (p *Plugin) Service() *Service { return p.svc }

// Run keeps calls in step with LiveKit until ctx ends. It returns at once
// when calls are disabled.
func (p *Plugin) Run(ctx context.Context) {
	if p.svc != nil {
		p.svc.Run(ctx)
	}
}

// Health reports the plugin's state; disabled calls are healthy.
func (p *Plugin) Health(ctx context.Context) Health {
	if p.svc == nil {
		return Health{OK: true}
	}
	return p.svc.Health(ctx)
}

// Ready runs the plugin's readiness checks (see Service.Ready); none when
// calls are disabled.
func (p *Plugin) Ready(ctx context.Context) []Check {
	if p.svc == nil {
		return nil
	}
	return p.svc.Ready(ctx)
}

// ClientConfig tells the web client whether to show call controls.
type ClientConfig struct {
	Enabled    bool   `json:"enabled"`
	LiveKitURL string `json:"livekit_url,omitempty"`
	// E2EE is always true when enabled: clients must not join unencrypted.
	E2EE             bool  `json:"e2ee"`
	TokenTTLSeconds  int64 `json:"token_ttl_seconds,omitempty"`
	MaxParticipants  int   `json:"max_participants,omitempty"`
	JoinGraceSeconds int64 `json:"join_grace_seconds,omitempty"`
	// DefaultType is the type of a call started without one.
	DefaultType        string `json:"default_type,omitempty"`
	RingTimeoutSeconds int64  `json:"ring_timeout_seconds,omitempty"`
	DefaultRole        string `json:"default_role,omitempty"`
	// ForceRelay tells clients to use iceTransportPolicy "relay".
	ForceRelay bool `json:"force_relay"`
}

// Mount registers the plugin's routes on the host's echo.
func (p *Plugin) Mount(e *echo.Echo) {
	h := func(fn echo.HandlerFunc) echo.HandlerFunc { return handle(p.log, fn) }
	e.GET("/api/calls/config", h(p.clientConfig))
	e.GET("/api/calls", h(p.authed(p.listCalls)))
	e.GET("/api/rooms/:room/call", h(p.authed(p.roomCall)))
	e.POST("/api/rooms/:room/call/join", h(p.authed(p.join)))
	e.POST("/api/rooms/:room/call/leave", h(p.authed(p.leave)))
	e.POST("/api/rooms/:room/call/token", h(p.authed(p.refresh)))
	e.POST("/api/rooms/:room/call/key", h(p.authed(p.key)))
	e.POST("/api/rooms/:room/call/decline", h(p.authed(p.decline)))
	e.POST("/api/rooms/:room/call/end", h(p.authed(p.end)))
	e.POST("/api/rooms/:room/call/invite", h(p.authed(p.invite)))
	e.POST("/api/rooms/:room/call/merge", h(p.authed(p.merge)))
	e.GET("/api/rooms/:room/calls", h(p.authed(p.roomHistory)))
	e.POST("/api/rooms/:room/call/participants/:identity", h(p.authed(p.setRole)))
	e.POST("/api/rooms/:room/call/participants/:identity/mute", h(p.authed(p.mute)))
	e.DELETE("/api/rooms/:room/call/participants/:identity", h(p.authed(p.remove)))
	e.POST("/api/rooms/:room/call/hand", h(p.authed(p.hand)))
	e.GET("/api/calls/history", h(p.authed(p.userHistory)))
	e.POST("/webhooks/livekit", h(p.webhook))
	e.POST("/api/admin/rooms/:room/call/end", h(p.operatorEnd))
}

func (p *Plugin) clientConfig(c echo.Context) error {
	if p.svc == nil {
		return c.JSON(http.StatusOK, ClientConfig{})
	}
	return c.JSON(http.StatusOK, ClientConfig{
		Enabled: true, LiveKitURL: p.cfg.URL, E2EE: true,
		TokenTTLSeconds: int64(p.cfg.TokenTTL.Seconds()), MaxParticipants: p.cfg.MaxParticipants,
		JoinGraceSeconds: int64(p.cfg.JoinGrace.Seconds()),
		DefaultType:      p.cfg.DefaultType, RingTimeoutSeconds: int64(p.cfg.RingTimeout.Seconds()),
		DefaultRole: p.cfg.DefaultRole, ForceRelay: p.cfg.ForceRelay,
	})
}

// authed resolves the caller; with calls disabled every call endpoint
// answers 200 null, as documented, before any other check.
func (p *Plugin) authed(fn func(echo.Context, Caller) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p.svc == nil {
			return c.JSON(http.StatusOK, nil)
		}
		caller, err := p.host.Caller(c.Request())
		if err != nil {
			return err
		}
		return fn(c, caller)
	}
}

func (p *Plugin) listCalls(c echo.Context, caller Caller) error {
	calls, err := p.svc.ActiveCalls(c.Request().Context(), caller.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, calls)
}

func (p *Plugin) roomCall(c echo.Context, caller Caller) error {
	v, err := p.svc.RoomCall(c.Request().Context(), caller.UserID, c.Param("room"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// callRequest is the optional body of every call action; each reads the
// fields it needs.
type callRequest struct {
	DeviceID string `json:"device_id"`
	Type     string `json:"type"`
	Reason   string `json:"reason"`
	UserID   string `json:"user_id"`
	IntoRoom string `json:"into_room"`
	Role     string `json:"role"`
	Source   string `json:"source"`
	Identity string `json:"identity"`
	Raised   *bool  `json:"raised"`
}

// maxBody bounds the JSON body of a call action.
const maxBody = 4096

// readBody accepts an empty body, JSON, or the text/plain JSON that
// navigator.sendBeacon sends on tab close.
func readBody(c echo.Context) (callRequest, error) {
	var req callRequest
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return req, Errorf(EINVALID, "cannot read request body")
	}
	if len(raw) > maxBody {
		return req, Errorf(ETOOLARGE, "request body too large")
	}
	if strings.TrimSpace(string(raw)) == "" {
		return req, nil
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return req, Errorf(EINVALID, "request body must be a JSON object")
	}
	return req, nil
}

func (p *Plugin) join(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := p.svc.Join(c.Request().Context(), caller, c.Param("room"), JoinRequest{DeviceID: req.DeviceID, Type: req.Type, Role: req.Role})
	p.svc.metrics.join(err, time.Since(start))
	if err != nil {
		return err
	}
	return secretJSON(c, res)
}

// secretJSON answers with a token and a call key, which no cache may keep.
func secretJSON(c echo.Context, v any) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, v)
}

func (p *Plugin) refresh(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	res, err := p.svc.RefreshToken(c.Request().Context(), caller, c.Param("room"), req.DeviceID)
	if err != nil {
		return err
	}
	return secretJSON(c, res)
}

func (p *Plugin) key(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	res, err := p.svc.CallKey(c.Request().Context(), caller, c.Param("room"), req.DeviceID)
	if err != nil {
		return err
	}
	return secretJSON(c, res)
}

func (p *Plugin) leave(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	left, err := p.svc.Leave(c.Request().Context(), caller, c.Param("room"), req.DeviceID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"left": left})
}

func (p *Plugin) decline(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	if err := p.svc.Decline(c.Request().Context(), caller, c.Param("room"), req.Reason); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"declined": true})
}

func (p *Plugin) end(c echo.Context, caller Caller) error {
	if err := p.svc.End(c.Request().Context(), caller, c.Param("room")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"ended": true})
}

func (p *Plugin) invite(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	v, err := p.svc.Invite(c.Request().Context(), caller, c.Param("room"), req.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]*CallView{"call": v})
}

func (p *Plugin) merge(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	if err := p.svc.Merge(c.Request().Context(), caller, c.Param("room"), req.IntoRoom); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"merged": true, "into_room": req.IntoRoom})
}

func (p *Plugin) setRole(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	v, err := p.svc.SetRole(c.Request().Context(), caller, c.Param("room"), c.Param("identity"), req.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]*CallView{"call": v})
}

func (p *Plugin) mute(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	if err := p.svc.Mute(c.Request().Context(), caller, c.Param("room"), c.Param("identity"), req.Source); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"muted": true})
}

func (p *Plugin) remove(c echo.Context, caller Caller) error {
	if err := p.svc.Remove(c.Request().Context(), caller, c.Param("room"), c.Param("identity")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"removed": true})
}

func (p *Plugin) hand(c echo.Context, caller Caller) error {
	req, err := readBody(c)
	if err != nil {
		return err
	}
	if req.Raised == nil {
		return Errorf(EINVALID, "raised (true or false) is required")
	}
	v, err := p.svc.SetHand(c.Request().Context(), caller, c.Param("room"), req.DeviceID, req.Identity, *req.Raised)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]*CallView{"call": v})
}

// MemberRemoved is how a host tells the plugin that a user left or was
// removed from a room: their devices leave the room's call at once. It is
// a no-op with calls disabled.
func (p *Plugin) MemberRemoved(ctx context.Context, roomID, userID string) error {
	if p.svc == nil {
		return nil
	}
	return p.svc.Revoke(ctx, roomID, userID)
}

// pageParams reads ?limit= and ?before= of a history request.
func pageParams(c echo.Context) (int, string, error) {
	limit := 0
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return 0, "", Errorf(EINVALID, "limit must be a positive number")
		}
		limit = n
	}
	return limit, c.QueryParam("before"), nil
}

func (p *Plugin) roomHistory(c echo.Context, caller Caller) error {
	limit, before, err := pageParams(c)
	if err != nil {
		return err
	}
	page, err := p.svc.RoomHistory(c.Request().Context(), caller.UserID, c.Param("room"), limit, before)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (p *Plugin) userHistory(c echo.Context, caller Caller) error {
	limit, before, err := pageParams(c)
	if err != nil {
		return err
	}
	page, err := p.svc.UserHistory(c.Request().Context(), caller.UserID, limit, before)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (p *Plugin) webhook(c echo.Context) error {
	if p.svc == nil {
		return Errorf(EDISABLED, "calls are disabled on this server")
	}
	start := time.Now()
	err := p.hooks.Handle(c)
	p.svc.metrics.webhookAnswered(err, time.Since(start))
	return err
}
