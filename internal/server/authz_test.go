package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// The roles a request can be made in, toward one group room whose admin
// is alice and whose members are bob and frank; carol was a member and
// was removed through the API, dave is a member of another room (design)
// only, erin is a user in no room at all.
type role int

const (
	anonymous role = iota
	nonMember
	otherRoom
	removed
	member
	roomAdmin
	roleCount
)

var roleNames = [roleCount]string{"anonymous", "non-member", "member of another room", "removed member", "member", "room admin"}
var roleUsers = [roleCount]string{"", "erin", "dave", "carol", "bob", "alice"}

// statuses lists the expected status per role, in role order.
type statuses [roleCount]int

// Shorthands for the common shapes.
var (
	// everyone: no authorization at all.
	everyone = func(st int) statuses { return statuses{st, st, st, st, st, st} }
	// signedIn: any session, no room involved.
	signedIn = func(st int) statuses { return statuses{401, st, st, st, st, st} }
	// members: the room's members (admin included) get memberSt, others 403.
	members = func(memberSt, adminSt int) statuses { return statuses{401, 403, 403, 403, memberSt, adminSt} }
)

// setup prepares a cell's fresh room before the request.
type setup int

const (
	noCall setup = iota
	// withCall: alice (who thereby creates the call) and then bob join
	// from device "d".
	withCall
)

// authzRow is one route's expectations. path has {room} where the route
// has :room; the rest of its parameters are filled in.
type authzRow struct {
	path  string
	body  any
	setup setup
	// fresh signs the role's user in anew for this request (logout).
	fresh bool
	want  statuses
}

// authzTable has a row for every route the server answers, keyed
// "METHOD pattern" as echo lists it. A route without a row fails the test.
var authzTable = map[string]authzRow{
	// The web client and health.
	"GET /":         {path: "/", want: everyone(200)},
	"GET /static/*": {path: "/static/app.js", want: everyone(200)},
	"GET /healthz":  {path: "/healthz", want: everyone(200)},
	// From this machine (as the test is); elsewhere needs the metrics
	// token (metrics_test.go).
	"GET /metrics": {path: "/metrics", want: everyone(200)},
	"GET /readyz":  {path: "/readyz", want: everyone(200)},
	// Operators' orders need a token signed with the LiveKit API secret
	// (cmd/chatto's calls tests); no session is one.
	"POST /api/admin/rooms/:room/call/end": {path: "/api/admin/rooms/{room}/call/end", setup: withCall, want: everyone(401)},

	// The embedded host.
	"POST /api/login":               {path: "/api/login", body: map[string]string{"user": "dave", "password": "demo"}, want: everyone(200)},
	"POST /api/logout":              {path: "/api/logout", fresh: true, want: everyone(204)},
	"GET /api/me":                   {path: "/api/me", want: signedIn(200)},
	"GET /api/rooms":                {path: "/api/rooms", want: signedIn(200)},
	"GET /api/events":               {path: "/api/events", want: signedIn(200)},
	"GET /api/rooms/:room/messages": {path: "/api/rooms/{room}/messages", want: members(200, 200)},
	"POST /api/rooms/:room/messages": {path: "/api/rooms/{room}/messages", body: map[string]string{"text": "hi"},
		want: members(200, 200)},
	"POST /api/rooms/:room/leave": {path: "/api/rooms/{room}/leave", want: members(204, 204)},
	// Only an admin removes someone else.
	"DELETE /api/rooms/:room/members/:user": {path: "/api/rooms/{room}/members/frank", want: members(403, 204)},

	// The calls plugin.
	"GET /api/calls/config":  {path: "/api/calls/config", want: everyone(200)},
	"GET /api/calls":         {path: "/api/calls", want: signedIn(200)},
	"GET /api/calls/history": {path: "/api/calls/history", want: signedIn(200)},
	"GET /api/rooms/:room/call": {path: "/api/rooms/{room}/call", setup: withCall,
		want: members(200, 200)},
	"GET /api/rooms/:room/calls": {path: "/api/rooms/{room}/calls", want: members(200, 200)},
	"POST /api/rooms/:room/call/join": {path: "/api/rooms/{room}/call/join", body: map[string]string{"device_id": "x"},
		want: members(200, 200)},
	// Leaving only ever takes the caller's own devices out, and a page
	// whose user was just removed must still be able to leave quietly
	// (the unload beacon), so it is open to any session: {"left": false}.
	"POST /api/rooms/:room/call/leave": {path: "/api/rooms/{room}/call/leave", body: map[string]string{"device_id": "d"},
		setup: withCall, want: signedIn(200)},
	"POST /api/rooms/:room/call/token": {path: "/api/rooms/{room}/call/token", body: map[string]string{"device_id": "d"},
		setup: withCall, want: members(200, 200)},
	"POST /api/rooms/:room/call/key": {path: "/api/rooms/{room}/call/key", body: map[string]string{"device_id": "d"},
		setup: withCall, want: members(200, 200)},
	// Nobody is being rung: a member gets past authorization to 409.
	"POST /api/rooms/:room/call/decline": {path: "/api/rooms/{room}/call/decline", setup: withCall,
		want: members(409, 409)},
	// Ending for everyone: the call's creator (alice) and room admins.
	"POST /api/rooms/:room/call/end": {path: "/api/rooms/{room}/call/end", setup: withCall,
		want: members(403, 200)},
	"POST /api/rooms/:room/call/invite": {path: "/api/rooms/{room}/call/invite", body: map[string]string{"user_id": "frank"},
		setup: withCall, want: members(200, 200)},
	"POST /api/rooms/:room/call/merge": {path: "/api/rooms/{room}/call/merge", body: map[string]string{"into_room": "general"},
		setup: withCall, want: members(409, 409)},
	// Moderation: room admins only.
	"POST /api/rooms/:room/call/participants/:identity": {path: "/api/rooms/{room}/call/participants/bob%23d",
		body: map[string]string{"role": "listener"}, setup: withCall, want: members(403, 200)},
	// bob#d holds a token but is not connected, so an admin gets past
	// authorization to LiveKit's "no such track".
	"POST /api/rooms/:room/call/participants/:identity/mute": {path: "/api/rooms/{room}/call/participants/bob%23d/mute",
		body: map[string]string{"source": "microphone"}, setup: withCall, want: members(403, 404)},
	"DELETE /api/rooms/:room/call/participants/:identity": {path: "/api/rooms/{room}/call/participants/bob%23d",
		setup: withCall, want: members(403, 200)},
	"POST /api/rooms/:room/call/hand": {path: "/api/rooms/{room}/call/hand", body: map[string]any{"raised": true, "device_id": "d"},
		setup: withCall, want: members(200, 200)},
	// LiveKit's webhook: a session is no signature.
	"POST /webhooks/livekit": {path: "/webhooks/livekit", body: map[string]string{}, want: everyone(401)},
}

// TestAuthorizationMatrix runs every route the server answers in every
// role against the real server and LiveKit. Each request gets a fresh
// room in the same shape, so no request depends on another's effects.
func TestAuthorizationMatrix(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) {
		// Every row joins from scratch; the per-user join limits are
		// tested on their own.
		c.LiveKit.RemoveCooldown, c.LiveKit.JoinBurst, c.LiveKit.MaxPendingDevices = 0, 1<<20, 1<<20
	})
	ctx := context.Background()
	h := env.Main.Host()
	for _, u := range []string{"erin", "frank"} {
		if err := h.AddUser(ctx, u, strings.ToUpper(u[:1])+u[1:], "correct horse "+u); err != nil {
			t.Fatal(err)
		}
	}
	m := &matrix{t: t, env: env}
	for r := range roleCount {
		if r != anonymous {
			m.tokens[r] = m.login(roleUsers[r])
		}
	}

	var routes []string
	for _, rt := range env.Main.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	slices.Sort(routes)
	routes = slices.Compact(routes)
	for _, key := range routes {
		if _, ok := authzTable[key]; !ok {
			t.Errorf("route %s has no row in authzTable: add one with the status every role must get", key)
		}
	}
	for key := range authzTable {
		if !slices.Contains(routes, key) {
			t.Errorf("authzTable has a row for %s, which the server does not answer", key)
		}
	}

	for _, key := range routes {
		row, ok := authzTable[key]
		if !ok {
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		for r := range roleCount {
			room := m.room(row.setup)
			token := m.tokens[r]
			if row.fresh && r != anonymous {
				token = m.login(roleUsers[r])
			}
			path := strings.ReplaceAll(row.path, "{room}", room)
			st, code := m.do(method, path, token, row.body)
			if st != row.want[r] {
				t.Errorf("%s as %s: status %d (%s), want %d", key, roleNames[r], st, code, row.want[r])
			}
			// Refusals carry the stable codes the README lists.
			if (st == 401 && key != "POST /webhooks/livekit" && code != chatto.EUNAUTHORIZED) ||
				(st == 403 && code != chatto.EFORBIDDEN && code != chatto.ENOTALLOWED) {
				t.Errorf("%s as %s: %d with code %q", key, roleNames[r], st, code)
			}
		}
	}
}

// matrix holds the signed-in roles and makes rooms.
type matrix struct {
	t      *testing.T
	env    *calltest.Env
	tokens [roleCount]string
	rooms  int
}

func (m *matrix) login(user string) string {
	m.t.Helper()
	password := "demo"
	if user == "erin" || user == "frank" {
		password = "correct horse " + user
	}
	var out struct{ Token string }
	raw, _ := json.Marshal(map[string]string{"user": user, "password": password})
	st, body := m.send("POST", "/api/login", "", raw)
	if st != 200 || json.Unmarshal(body, &out) != nil {
		m.t.Fatalf("login %s: %d %s", user, st, body)
	}
	return out.Token
}

// room makes a fresh group room: alice (admin), bob, frank, and carol,
// whom alice then removes through the API.
func (m *matrix) room(s setup) string {
	m.t.Helper()
	m.rooms++
	id := fmt.Sprintf("authz-%d", m.rooms)
	if err := m.env.Main.Host().AddRoom(context.Background(), id, "Authz "+id, chatto.RoomGroup,
		[]string{"alice", "bob", "carol", "frank"}, []string{"alice"}); err != nil {
		m.t.Fatal(err)
	}
	if st, code := m.do("DELETE", "/api/rooms/"+id+"/members/carol", m.tokens[roomAdmin], nil); st != 204 {
		m.t.Fatalf("remove carol from %s: %d %s", id, st, code)
	}
	if s == withCall {
		for _, r := range []role{roomAdmin, member} {
			if st, code := m.do("POST", "/api/rooms/"+id+"/call/join", m.tokens[r], map[string]string{"device_id": "d"}); st != 200 {
				m.t.Fatalf("%s joins %s: %d %s", roleUsers[r], id, st, code)
			}
		}
	}
	return id
}

// do sends a request with a bearer token ("" for none) and a JSON body
// (nil for none), and returns the status and the error code, if any.
func (m *matrix) do(method, path, token string, body any) (int, string) {
	m.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	st, resp := m.send(method, path, token, raw)
	var e calltest.APIError
	if st >= 400 {
		json.Unmarshal(resp, &e)
	}
	return st, e.Error.Code
}

func (m *matrix) send(method, path, token string, body []byte) (int, []byte) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, m.env.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", m.env.BaseURL)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil // a stream: the status is the answer
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
