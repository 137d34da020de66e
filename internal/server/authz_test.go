package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
	"github.com/chattocalls/chatto/livekit"
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
	// withRaisedHand: withCall, and frank joins from device "f" and
	// raises his hand.
	withRaisedHand
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
	// codes names the error code of each refusal status other than 401
	// (unauthorized) and 403 (forbidden for those who are not members,
	// not_allowed for members), or overrides those.
	codes map[int]string
	// check, if set, runs after a 2xx answer and says what is wrong with
	// the room's state ("" for nothing).
	check func(m *matrix, room string) string
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
		want: members(409, 409), codes: map[int]string{409: chatto.ENOTRINGING}},
	// Ending for everyone: the call's creator (alice) and room admins.
	"POST /api/rooms/:room/call/end": {path: "/api/rooms/{room}/call/end", setup: withCall,
		want: members(403, 200)},
	"POST /api/rooms/:room/call/invite": {path: "/api/rooms/{room}/call/invite", body: map[string]string{"user_id": "frank"},
		setup: withCall, want: members(200, 200)},
	"POST /api/rooms/:room/call/merge": {path: "/api/rooms/{room}/call/merge", body: map[string]string{"into_room": "general"},
		setup: withCall, want: members(409, 409), codes: map[int]string{409: chatto.ENOCALL}},
	// Moderation: room admins only.
	"POST /api/rooms/:room/call/participants/:identity": {path: "/api/rooms/{room}/call/participants/bob%23d",
		body: map[string]string{"role": "listener"}, setup: withCall, want: members(403, 200)},
	// bob#d holds a token but is not connected, so an admin gets past
	// authorization to LiveKit's "no such track".
	"POST /api/rooms/:room/call/participants/:identity/mute": {path: "/api/rooms/{room}/call/participants/bob%23d/mute",
		body: map[string]string{"source": "microphone"}, setup: withCall, want: members(403, 404),
		codes: map[int]string{404: chatto.ENOTINCALL}},
	"DELETE /api/rooms/:room/call/participants/:identity": {path: "/api/rooms/{room}/call/participants/bob%23d",
		setup: withCall, want: members(403, 200)},
	"POST /api/rooms/:room/call/hand": {path: "/api/rooms/{room}/call/hand", body: map[string]any{"raised": true, "device_id": "d"},
		setup: withCall, want: members(200, 200)},
	// LiveKit's webhook: a session is no signature.
	"POST /webhooks/livekit": {path: "/webhooks/livekit", body: map[string]string{}, want: everyone(401),
		codes: map[int]string{401: chatto.EBADSIGNATURE}},
}

// authzVariants are further requests to routes of authzTable, keyed by
// what they ask.
var authzVariants = map[string]struct {
	route string
	row   authzRow
}{
	// Only a room admin lowers someone else's hand...
	"lower frank#f's hand": {route: "POST /api/rooms/:room/call/hand", row: authzRow{path: "/api/rooms/{room}/call/hand",
		body: map[string]any{"raised": false, "identity": "frank#f"}, setup: withRaisedHand, want: members(403, 200),
		check: func(m *matrix, room string) string {
			if m.handRaised(room, "frank#f") {
				return "frank#f's hand is still raised"
			}
			return ""
		}}},
	// ... and nobody raises it.
	"raise frank#f's hand": {route: "POST /api/rooms/:room/call/hand", row: authzRow{path: "/api/rooms/{room}/call/hand",
		body: map[string]any{"raised": true, "identity": "frank#f"}, setup: withRaisedHand, want: members(403, 403)}},
}

// An authMode is how a request carries its session, and the headers a
// browser would add that host.SameOrigin reads.
type authMode struct {
	name string
	// cookie sends the session in the cookie /api/login set instead of
	// the Authorization header.
	cookie bool
	// origin is the Origin header: originSelf for webserver.url's, ""
	// for none.
	origin, fetchSite string
	// contentType is "" for application/json.
	contentType string
}

const originSelf = "self"

// authModes are tried for every route that changes something; the first
// is how the rest of the tests talk to the server.
var authModes = []authMode{
	{name: "bearer", origin: originSelf},
	// Not browsers' (a page cannot send the header to another origin
	// without a preflight): the same answers from anywhere.
	{name: "bearer from another site", origin: "https://evil.example", fetchSite: "cross-site"},
	{name: "cookie from our pages", cookie: true, origin: originSelf},
	{name: "cookie with Sec-Fetch-Site same-origin but no Origin", cookie: true, fetchSite: "same-origin"},
	{name: "cookie without Origin", cookie: true},
	{name: "cookie from another site", cookie: true, origin: "https://evil.example", fetchSite: "cross-site"},
	{name: "cookie with Origin null", cookie: true, origin: "null"},
	{name: "cookie from another port of this host", cookie: true, origin: "http://127.0.0.1:1", fetchSite: "same-site"},
	{name: "cookie from our pages as text/plain", cookie: true, origin: originSelf, contentType: "text/plain;charset=UTF-8"},
}

// refusedCrossSite reports whether host.SameOrigin turns the request
// away (403 cross_site) before any handler, as README's HTTP API section
// says: a sign-in, or a change (any method but GET) that the session
// cookie authenticates, unless it comes from this site's own pages
// (Origin, or Sec-Fetch-Site: same-origin) and is declared JSON (the call
// leave, which sendBeacon sends as text/plain, needs only the origin).
// Bearer requests and requests without a session are not its business.
func (a authMode) refusedCrossSite(key string, r role) bool {
	method, path, _ := strings.Cut(key, " ")
	login := path == "/api/login"
	if method == "GET" || !login && (!a.cookie || r == anonymous) {
		return false
	}
	sameOrigin := a.origin == originSelf || a.fetchSite == "same-origin"
	json := a.contentType == "" || path == "/api/rooms/:room/call/leave"
	return !sameOrigin || !json
}

// expect is the status and error code ("" for none) row's route answers
// role r sending as a; "?" if the row does not say.
func (row authzRow) expect(key string, r role, a authMode) (int, string) {
	if a.refusedCrossSite(key, r) {
		return 403, chatto.ECROSSSITE
	}
	st := row.want[r]
	switch {
	case st < 300:
		return st, ""
	case row.codes[st] != "":
		return st, row.codes[st]
	case st == 401:
		return st, chatto.EUNAUTHORIZED
	case st == 403 && r >= member:
		return st, chatto.ENOTALLOWED
	case st == 403:
		return st, chatto.EFORBIDDEN
	}
	return st, "?"
}

// TestAuthorizationMatrix runs every route the server answers in every
// role against the real server and LiveKit, with the bearer token and,
// for the routes that change something, also with the session cookie
// from this site's pages and from elsewhere (authModes). A request whose
// answer is a success gets a fresh room in the same shape, so none
// depends on another's effects; refusals, which change nothing, share one
// room per route.
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
	m := &matrix{t: t, env: env, shared: map[string]string{}}
	for r := range roleCount {
		if r != anonymous {
			m.sessions[r] = m.login(roleUsers[r])
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
	type request struct {
		name, route string
		row         authzRow
	}
	var requests []request
	for _, key := range routes {
		if row, ok := authzTable[key]; ok {
			requests = append(requests, request{key, key, row})
		}
	}
	variants := slices.Sorted(maps.Keys(authzVariants))
	for _, name := range variants {
		v := authzVariants[name]
		if _, ok := authzTable[v.route]; !ok {
			t.Errorf("variant %q is of %s, which has no row", name, v.route)
		}
		requests = append(requests, request{v.route + " (" + name + ")", v.route, v.row})
	}
	for _, rq := range requests {
		for r := range roleCount {
			if _, code := rq.row.expect(rq.route, r, authModes[0]); code == "?" {
				t.Errorf("%s: the row does not name the code of status %d", rq.name, rq.row.want[r])
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	cells := 0
	for _, rq := range requests {
		method, _, _ := strings.Cut(rq.route, " ")
		for _, a := range authModes {
			if method == "GET" && a != authModes[0] {
				continue // reads: the session is all there is to it
			}
			for r := range roleCount {
				wantSt, wantCode := rq.row.expect(rq.route, r, a)
				room := m.roomFor(rq.name, rq.row.setup, wantSt < 300)
				s := m.sessions[r]
				if rq.row.fresh && r != anonymous {
					s = m.login(roleUsers[r])
				}
				path := strings.ReplaceAll(rq.row.path, "{room}", room)
				st, code := m.do(method, path, s, a, rq.row.body)
				cells++
				if st != wantSt || code != wantCode {
					t.Errorf("%s as %s, %s: %d %q, want %d %q", rq.name, roleNames[r], a.name, st, code, wantSt, wantCode)
					continue
				}
				if st < 300 && rq.row.check != nil {
					if problem := rq.row.check(m, room); problem != "" {
						t.Errorf("%s as %s, %s: %d, but %s", rq.name, roleNames[r], a.name, st, problem)
					}
				}
			}
		}
	}
	t.Logf("%d requests in %d rooms", cells, m.rooms)

	t.Run("operator tokens of another room or server", func(t *testing.T) { operatorTokens(t, m) })
}

// operatorTokens checks the operators' route beyond the sessions the
// table tries: an order (chatto calls end) is a LiveKit token signed with
// this server's API key pair naming one call's LiveKit room. One for
// another room's call, or for a room of another server sharing the
// LiveKit project, is 403 forbidden; one signed with another key pair, or
// a participant's join token, is 401 unauthorized; and no order is a
// session on the users' routes (401).
func operatorTokens(t *testing.T, m *matrix) {
	room, other := m.room(withCall), m.room(withCall)
	var joined chatto.JoinResult
	raw, _ := json.Marshal(map[string]string{"device_id": "d"})
	if st, body, _ := m.send("POST", "/api/rooms/"+room+"/call/join", m.sessions[member], authModes[0], raw); st != 200 || json.Unmarshal(body, &joined) != nil {
		t.Fatalf("bob joins %s again: %d %s", room, st, body)
	}
	lkRoom, callID := joined.LiveKitRoom, joined.CallID
	otherCall := m.callOf(other)
	serverID, _, _ := strings.Cut(lkRoom, ".")
	if lkRoom != livekit.RoomName(serverID, room, callID) || otherCall == nil {
		t.Fatalf("LiveKit room %q of call %s; the other room's call %v", lkRoom, callID, otherCall)
	}
	order := func(key, secret, lkRoom string) session {
		t.Helper()
		tok, err := livekit.OperatorToken(key, secret, lkRoom, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return session{token: tok}
	}
	const otherSecret = "another-project-secret-0123456789abcdef"
	good := order(calltest.APIKey, calltest.APISecret, lkRoom)
	end := "/api/admin/rooms/" + room + "/call/end"
	for _, tc := range []struct {
		name, path string
		s          session
		st         int
		code       string
	}{
		{"an order for another room's call", end, order(calltest.APIKey, calltest.APISecret, livekit.RoomName(serverID, other, otherCall.ID)), 403, chatto.EFORBIDDEN},
		{"this call's order sent to another room", "/api/admin/rooms/" + other + "/call/end", good, 403, chatto.EFORBIDDEN},
		{"an order for this call in another server's rooms", end, order(calltest.APIKey, calltest.APISecret, livekit.RoomName("another-server", room, callID)), 403, chatto.EFORBIDDEN},
		{"an order signed by another LiveKit project", end, order("anotherkey", otherSecret, lkRoom), 401, chatto.EUNAUTHORIZED},
		{"an order signed with this key and another secret", end, order(calltest.APIKey, otherSecret, lkRoom), 401, chatto.EUNAUTHORIZED},
		{"a participant's join token", end, session{token: joined.Token}, 401, chatto.EUNAUTHORIZED},
		{"the order as a session: end for all", "/api/rooms/" + room + "/call/end", good, 401, chatto.EUNAUTHORIZED},
		{"the order as a session: join", "/api/rooms/" + room + "/call/join", good, 401, chatto.EUNAUTHORIZED},
		{"the order as a session: remove", "/api/rooms/" + room + "/call/participants/bob%23d", good, 401, chatto.EUNAUTHORIZED},
	} {
		method := "POST"
		if strings.HasSuffix(tc.path, "/participants/bob%23d") {
			method = "DELETE"
		}
		if st, code := m.do(method, tc.path, tc.s, authModes[0], nil); st != tc.st || code != tc.code {
			t.Errorf("%s: %d %q, want %d %q", tc.name, st, code, tc.st, tc.code)
		}
	}
	if v, o := m.callOf(room), m.callOf(other); v == nil || v.ID != callID || len(v.Participants) != 2 || o == nil || o.ID != otherCall.ID {
		t.Fatalf("the refused orders changed the calls: %v, %v", v, o)
	}
	// This call's order, to its room, is obeyed, and only there.
	st, body, _ := m.send("POST", end, good, authModes[0], nil)
	var ended struct {
		Ended  bool   `json:"ended"`
		CallID string `json:"call_id"`
	}
	if st != 200 || json.Unmarshal(body, &ended) != nil || !ended.Ended || ended.CallID != callID {
		t.Fatalf("this call's order: %d %s", st, body)
	}
	if v, o := m.callOf(room), m.callOf(other); v != nil || o == nil || o.ID != otherCall.ID {
		t.Fatalf("after this call's order: %v, other room %v", v, o)
	}
}

// session is a signed-in role's credentials: the token /api/login
// answers and the cookie it sets.
type session struct{ token, cookie string }

// matrix holds the signed-in roles and makes rooms.
type matrix struct {
	t        *testing.T
	env      *calltest.Env
	sessions [roleCount]session
	franks   session
	rooms    int
	// shared is the room of each request whose refusals share one.
	shared map[string]string
}

func (m *matrix) login(user string) session {
	m.t.Helper()
	password := "demo"
	if user == "erin" || user == "frank" {
		password = "correct horse " + user
	}
	var out struct{ Token string }
	raw, _ := json.Marshal(map[string]string{"user": user, "password": password})
	st, body, resp := m.send("POST", "/api/login", session{}, authModes[0], raw)
	if st != 200 || json.Unmarshal(body, &out) != nil {
		m.t.Fatalf("login %s: %d %s", user, st, body)
	}
	s := session{token: out.Token}
	for _, c := range resp.Cookies() {
		if c.Name == host.SessionCookie {
			s.cookie = c.Value
		}
	}
	if s.token == "" || s.cookie == "" {
		m.t.Fatalf("login %s: token %t, cookie %t", user, s.token != "", s.cookie != "")
	}
	return s
}

// roomFor returns a fresh room for a request expected to succeed, else
// the request's shared one.
func (m *matrix) roomFor(request string, s setup, fresh bool) string {
	m.t.Helper()
	if fresh {
		return m.room(s)
	}
	if m.shared[request] == "" {
		m.shared[request] = m.room(s)
	}
	return m.shared[request]
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
	admin := m.sessions[roomAdmin]
	if st, code := m.do("DELETE", "/api/rooms/"+id+"/members/carol", admin, authModes[0], nil); st != 204 {
		m.t.Fatalf("remove carol from %s: %d %s", id, st, code)
	}
	if s >= withCall {
		for _, r := range []role{roomAdmin, member} {
			if st, code := m.do("POST", "/api/rooms/"+id+"/call/join", m.sessions[r], authModes[0], map[string]string{"device_id": "d"}); st != 200 {
				m.t.Fatalf("%s joins %s: %d %s", roleUsers[r], id, st, code)
			}
		}
	}
	if s == withRaisedHand {
		frank := m.frank()
		for _, req := range []struct {
			path string
			body any
		}{
			{"/call/join", map[string]string{"device_id": "f"}},
			{"/call/hand", map[string]any{"raised": true, "device_id": "f"}},
		} {
			if st, code := m.do("POST", "/api/rooms/"+id+req.path, frank, authModes[0], req.body); st != 200 {
				m.t.Fatalf("frank: POST %s in %s: %d %s", req.path, id, st, code)
			}
		}
		if !m.handRaised(id, "frank#f") {
			m.t.Fatalf("frank's hand is not raised in %s", id)
		}
	}
	return id
}

// frank is a member of every matrix room who plays no role of his own.
func (m *matrix) frank() session {
	m.t.Helper()
	if m.franks.token == "" {
		m.franks = m.login("frank")
	}
	return m.franks
}

// callOf returns the room's call as its admin sees it (nil: none).
func (m *matrix) callOf(room string) *chatto.CallView {
	m.t.Helper()
	st, raw, _ := m.send("GET", "/api/rooms/"+room+"/call", m.sessions[roomAdmin], authModes[0], nil)
	var v *chatto.CallView
	if st != 200 || json.Unmarshal(raw, &v) != nil {
		m.t.Fatalf("call of %s: %d %s", room, st, raw)
	}
	return v
}

// handRaised reports whether the room's call shows identity's hand up.
func (m *matrix) handRaised(room, identity string) bool {
	m.t.Helper()
	v := m.callOf(room)
	if v == nil {
		m.t.Fatalf("%s has no call", room)
	}
	for _, p := range v.Participants {
		if p.Identity == identity {
			return p.HandRaisedAt != nil
		}
	}
	m.t.Fatalf("%s is not in the call of %s", identity, room)
	return false
}

// do sends a request with a session (none for the zero session) as a
// says and a JSON body (nil for none), and returns the status and the
// error code, if any.
func (m *matrix) do(method, path string, s session, a authMode, body any) (int, string) {
	m.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	st, resp, _ := m.send(method, path, s, a, raw)
	var e calltest.APIError
	if st >= 400 {
		json.Unmarshal(resp, &e)
	}
	return st, e.Error.Code
}

func (m *matrix) send(method, path string, s session, a authMode, body []byte) (int, []byte, *http.Response) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, m.env.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	ct := a.contentType
	if ct == "" {
		ct = "application/json"
	}
	origin := a.origin
	if origin == originSelf {
		origin = m.env.BaseURL
	}
	for k, v := range map[string]string{"Content-Type": ct, "Origin": origin, "Sec-Fetch-Site": a.fetchSite} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	switch {
	case a.cookie && s.cookie != "":
		req.AddCookie(&http.Cookie{Name: host.SessionCookie, Value: s.cookie})
	case !a.cookie && s.token != "":
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil, resp // a stream: the status is the answer
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp
}
