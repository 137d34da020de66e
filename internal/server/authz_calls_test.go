package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/clock"
	"github.com/chattocalls/chatto/internal/config"
)

// The call routes in the states a member's device can be in: in the call
// or not, a second device, the call's creator, and after a room admin
// removed or demoted the user (which holds for every device of theirs).
// Each room has alice (admin, device a), bob (devices d, d2, d3), carol
// (never joins) and dave (in the call with his hand raised, device v).

// callSetup is the state of a room's call before a cell's request.
type callSetup int

const (
	// inCall: alice#a starts the call, bob#d, bob#d2 and dave#v join and
	// dave raises his hand.
	inCall callSetup = iota
	// bobStarted: inCall with bob#d starting the call.
	bobStarted
	// bobRemoved: inCall, then alice removes bob#d.
	bobRemoved
	// bobDemoted: inCall, then alice makes bob#d a listener.
	bobDemoted
)

// callActor is who sends a cell's request, from which device, in which
// state of the call.
type callActor struct {
	name, user, device string
	setup              callSetup
}

var callActors = [...]callActor{
	{"member in the call", "bob", "d", inCall},
	{"the member's second device", "bob", "d2", inCall},
	{"member not in the call", "carol", "c", inCall},
	{"call creator, not an admin", "bob", "d", bobStarted},
	{"removed device", "bob", "d", bobRemoved},
	{"removed user's second device", "bob", "d2", bobRemoved},
	{"removed user's device never in the call", "bob", "d3", bobRemoved},
	{"demoted device", "bob", "d", bobDemoted},
	{"demoted user's second device", "bob", "d2", bobDemoted},
	{"demoted user's device never in the call", "bob", "d3", bobDemoted},
	{"room admin", "alice", "a", inCall},
}

// callRow is one request in every callActors column. want holds, per
// column, "<status>", "<status> <error code>" or "<status> <field>=<value>"
// for a field of the JSON answer.
type callRow struct {
	name, method, path string
	// body is the request for the actor's device.
	body func(device string) any
	want perActor
	// check, if set, runs after a 2xx answer on the room's call view.
	check func(v *chatto.CallView) string
}

// perActor has one cell per callActors column.
type perActor [len(callActors)]string

func deviceBody(device string) any { return map[string]string{"device_id": device} }

// fixed is a body that names someone else, whichever device sends it.
func fixed(body map[string]any) func(string) any {
	return func(string) any { return body }
}

var callRows = []callRow{
	// A removal keeps every device of the user out; a demotion makes each
	// of them a listener, also one that was never in the call.
	{name: "join", path: "/call/join", body: deviceBody, want: perActor{
		"200 role=speaker", "200 role=speaker", "200 role=speaker", "200 role=speaker",
		"403 removed", "403 removed", "403 removed",
		"200 role=listener", "200 role=listener", "200 role=listener", "200 role=speaker"}},
	// A demoted user asking to speak is still a listener.
	{name: "join asking to speak", path: "/call/join",
		body: func(device string) any { return map[string]string{"device_id": device, "role": "speaker"} }, want: perActor{
			"200 role=speaker", "200 role=speaker", "200 role=speaker", "200 role=speaker",
			"403 removed", "403 removed", "403 removed",
			"200 role=listener", "200 role=listener", "200 role=listener", "200 role=speaker"}},
	{name: "token refresh", path: "/call/token", body: deviceBody, want: perActor{
		"200 role=speaker", "200 role=speaker", "404 not_in_call", "200 role=speaker",
		"403 removed", "403 removed", "403 removed",
		"200 role=listener", "200 role=listener", "404 not_in_call", "200 role=speaker"}},
	{name: "key", path: "/call/key", body: deviceBody, want: perActor{
		"200", "200", "404 not_in_call", "200",
		"403 removed", "403 removed", "403 removed",
		"200", "200", "404 not_in_call", "200"}},
	// Leaving is open to every session, and says whether anything left.
	{name: "leave", path: "/call/leave", body: deviceBody, want: perActor{
		"200 left=true", "200 left=true", "200 left=false", "200 left=true",
		"200 left=false", "200 left=false", "200 left=false",
		"200 left=true", "200 left=true", "200 left=false", "200 left=true"}},
	{name: "raise own hand", path: "/call/hand",
		body: func(device string) any { return map[string]any{"raised": true, "device_id": device} }, want: perActor{
			"200", "200", "404 not_in_call", "200",
			"404 not_in_call", "404 not_in_call", "404 not_in_call",
			"200", "200", "404 not_in_call", "200"}},
	{name: "lower dave's hand", path: "/call/hand", body: fixed(map[string]any{"raised": false, "identity": "dave#v"}),
		want: perActor{
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "200"},
		check: func(v *chatto.CallView) string {
			if p := participant(v, "dave#v"); p == nil || p.HandRaisedAt != nil {
				return fmt.Sprintf("dave#v is %+v, want in the call with his hand down", p)
			}
			return ""
		}},
	{name: "raise dave's hand", path: "/call/hand", body: fixed(map[string]any{"raised": true, "identity": "dave#v"}),
		want: perActor{
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed"}},
	// Ending for everyone: the call's creator and room admins.
	{name: "end for everyone", path: "/call/end", want: perActor{
		"403 not_allowed", "403 not_allowed", "403 not_allowed", "200",
		"403 not_allowed", "403 not_allowed", "403 not_allowed",
		"403 not_allowed", "403 not_allowed", "403 not_allowed", "200"},
		check: func(v *chatto.CallView) string {
			if v != nil {
				return "the call still runs"
			}
			return ""
		}},
	// Moderation: room admins only, the call's creator included.
	{name: "make dave a listener", path: "/call/participants/dave%23v", body: fixed(map[string]any{"role": "listener"}),
		want: perActor{
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "200"},
		check: func(v *chatto.CallView) string {
			if p := participant(v, "dave#v"); p == nil || p.Role != "listener" {
				return fmt.Sprintf("dave#v is %+v, want a listener", p)
			}
			return ""
		}},
	// dave holds a token but is not connected: LiveKit has nothing to mute.
	{name: "mute dave", path: "/call/participants/dave%23v/mute", body: fixed(map[string]any{"source": "microphone"}),
		want: perActor{
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed",
			"403 not_allowed", "403 not_allowed", "403 not_allowed", "404 not_in_call"}},
	{name: "remove dave", method: "DELETE", path: "/call/participants/dave%23v", want: perActor{
		"403 not_allowed", "403 not_allowed", "403 not_allowed", "403 not_allowed",
		"403 not_allowed", "403 not_allowed", "403 not_allowed",
		"403 not_allowed", "403 not_allowed", "403 not_allowed", "200"},
		check: func(v *chatto.CallView) string {
			if p := participant(v, "dave#v"); p != nil {
				return "dave#v is still in the call"
			}
			return ""
		}},
}

// TestCallAuthorizationByDeviceAndDecision sends each callRows request
// from each callActors column against the real server and LiveKit, on a
// clock the test moves, so the removal cooldown holds until the end. A
// request expected to succeed gets a fresh room; refusals share one room
// per setup. Then, against the real livekit-server, old tokens from
// before a removal or a demotion, and the end of the cooldown.
func TestCallAuthorizationByDeviceAndDecision(t *testing.T) {
	clk := clock.NewManual(time.Now())
	env := calltest.StartWithClock(t, clk, func(c *config.Config) {
		// The clock stands still: no join is ever refilled.
		c.LiveKit.JoinBurst, c.LiveKit.MaxPendingDevices = 1<<20, 1<<20
	})
	if env.Config.LiveKit.RemoveCooldown != 60*time.Second {
		t.Fatalf("remove_cooldown is %s, the README's default is 60s", env.Config.LiveKit.RemoveCooldown)
	}
	cm := &callMatrix{t: t, env: env, clients: map[string]*calltest.Client{}, shared: map[callSetup]string{}}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		cm.clients[u] = env.Login(u)
	}
	for _, row := range callRows {
		method := row.method
		if method == "" {
			method = "POST"
		}
		for i, a := range callActors {
			wantSt, wantCode, field, value := parseWant(t, row.want[i])
			room := cm.roomFor(a.setup, wantSt < 300)
			var body any
			if row.body != nil {
				body = row.body(a.device)
			}
			st, raw := cm.clients[a.user].Raw(method, "/api/rooms/"+room+row.path, body)
			var e calltest.APIError
			if st >= 300 {
				json.Unmarshal(raw, &e)
			}
			cell := fmt.Sprintf("%s by the %s (%s#%s)", row.name, a.name, a.user, a.device)
			switch {
			case st != wantSt || e.Error.Code != wantCode:
				t.Errorf("%s: %d %q, want %d %q", cell, st, e.Error.Code, wantSt, wantCode)
			case st >= 300 && strings.Contains(string(raw), "e2ee_key"):
				t.Errorf("%s: a refusal with a key: %s", cell, raw)
			case field != "" && jsonField(raw, field) != value:
				t.Errorf("%s: %s = %q, want %q", cell, field, jsonField(raw, field), value)
			case st < 300 && row.check != nil:
				if problem := row.check(cm.clients["alice"].Call(room)); problem != "" {
					t.Errorf("%s: %s", cell, problem)
				}
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Against LiveKit, before the clock moves (it would expire the
	// pending devices of the rooms above).
	cm.demotionHoldsForOldTokens()
	cm.removalHoldsForOldTokensUntilTheCooldownEnds(clk)
}

// callMatrix holds the signed-in users and makes rooms.
type callMatrix struct {
	t       *testing.T
	env     *calltest.Env
	clients map[string]*calltest.Client
	rooms   int
	// shared is the room each setup's refusals are sent to.
	shared map[callSetup]string
}

// roomFor returns a fresh room for a request expected to succeed, else
// the setup's shared one.
func (cm *callMatrix) roomFor(s callSetup, fresh bool) string {
	cm.t.Helper()
	if fresh {
		id, _ := cm.room(s)
		return id
	}
	if cm.shared[s] == "" {
		cm.shared[s], _ = cm.room(s)
	}
	return cm.shared[s]
}

// room makes a group room whose call is in state s and returns it with
// the join answers by identity.
func (cm *callMatrix) room(s callSetup) (string, map[string]*chatto.JoinResult) {
	cm.t.Helper()
	cm.rooms++
	id := "calls-" + strconv.Itoa(cm.rooms)
	if err := cm.env.Main.Host().AddRoom(context.Background(), id, "Calls "+id, chatto.RoomGroup,
		[]string{"alice", "bob", "carol", "dave"}, []string{"alice"}); err != nil {
		cm.t.Fatal(err)
	}
	order := []string{"alice#a", "bob#d", "bob#d2", "dave#v"}
	if s == bobStarted {
		order = []string{"bob#d", "alice#a", "bob#d2", "dave#v"}
	}
	joins := map[string]*chatto.JoinResult{}
	for _, identity := range order {
		user, device, _ := strings.Cut(identity, "#")
		joins[identity] = cm.clients[user].Join(id, device)
	}
	if starter, _, _ := strings.Cut(order[0], "#"); cm.clients["alice"].Call(id).CreatedBy != starter {
		cm.t.Fatalf("the call in %s was not started by %s", id, starter)
	}
	alice, dave := cm.clients["alice"], cm.clients["dave"]
	if st, code := dave.Post("/api/rooms/"+id+"/call/hand", map[string]any{"raised": true, "device_id": "v"}); st != 200 {
		cm.t.Fatalf("dave raises his hand in %s: %d %s", id, st, code)
	}
	switch s {
	case bobRemoved:
		if st, raw := alice.Raw("DELETE", "/api/rooms/"+id+"/call/participants/bob%23d", nil); st != 200 {
			cm.t.Fatalf("alice removes bob#d in %s: %d %s", id, st, raw)
		}
	case bobDemoted:
		if st, code := alice.Post("/api/rooms/"+id+"/call/participants/bob%23d", map[string]string{"role": "listener"}); st != 200 {
			cm.t.Fatalf("alice demotes bob#d in %s: %d %s", id, st, code)
		}
	}
	return id, joins
}

// connectAll connects each identity with its join answer and waits until
// the call shows them all connected.
func (cm *callMatrix) connectAll(room string, joins map[string]*chatto.JoinResult, identities ...string) map[string]*lksdk.Room {
	cm.t.Helper()
	out := map[string]*lksdk.Room{}
	for _, id := range identities {
		out[id] = calltest.Connect(cm.t, joins[id])
	}
	calltest.Eventually(cm.t, 20*time.Second, "everyone connected", func() bool {
		v := calltest.Identities(cm.clients["alice"].Call(room))
		for _, id := range identities {
			if !v[id] {
				return false
			}
		}
		return true
	})
	return out
}

// demotionHoldsForOldTokens: after alice demotes bob#d, LiveKit takes
// publishing from both of bob's connected devices, a device of his that
// was never in the call joins as a listener and LiveKit lets it publish
// nothing, and bob#d coming back with its token from before the demotion
// (which grants publishing) has its rights corrected.
func (cm *callMatrix) demotionHoldsForOldTokens() {
	t := cm.t
	alice, bob := cm.clients["alice"], cm.clients["bob"]
	id, joins := cm.room(inCall)
	lk := cm.connectAll(id, joins, "alice#a", "bob#d", "bob#d2")
	if st, code := alice.Post("/api/rooms/"+id+"/call/participants/bob%23d", map[string]string{"role": "listener"}); st != 200 {
		t.Fatalf("alice demotes bob#d: %d %s", st, code)
	}
	for _, identity := range []string{"bob#d", "bob#d2"} {
		calltest.Eventually(t, 20*time.Second, "LiveKit takes publishing from "+identity, func() bool {
			p := lk[identity].LocalParticipant.Permissions()
			return p != nil && !p.GetCanPublish()
		})
	}
	var d3 chatto.JoinResult
	if st := bob.Do("POST", "/api/rooms/"+id+"/call/join", map[string]string{"device_id": "d3"}, &d3); st != 200 || d3.Role != "listener" {
		t.Fatalf("bob#d3 joins after the demotion: %d, role %q", st, d3.Role)
	}
	calltest.Connect(t, &d3)

	old := joins["bob#d"]
	lk["bob#d"].Disconnect()
	calltest.Eventually(t, 20*time.Second, "bob#d drops out of the call", func() bool {
		_, in := calltest.Identities(alice.Call(id))["bob#d"]
		return !in
	})
	back, err := lksdk.ConnectToRoomWithToken(old.LiveKitURL, old.Token, lksdk.NewRoomCallback(),
		lksdk.WithDisableRegionDiscovery(), lksdk.WithAutoSubscribe(false))
	if err != nil {
		t.Fatalf("bob#d reconnects with its old token: %v", err)
	}
	t.Cleanup(back.Disconnect)
	calltest.Eventually(t, 20*time.Second, "LiveKit corrects the old token's rights", func() bool {
		p := back.LocalParticipant.Permissions()
		return p != nil && !p.GetCanPublish()
	})

	// What LiveKit itself holds: no device of bob's may publish; alice's
	// may.
	calltest.Eventually(t, 20*time.Second, "LiveKit's permissions: bob's devices listen, alice speaks", func() bool {
		perms := cm.liveKitPermissions(old.LiveKitRoom)
		for _, identity := range []string{"bob#d", "bob#d2", "bob#d3"} {
			if p, ok := perms[identity]; !ok || p.GetCanPublish() || len(p.GetCanPublishSources()) > 0 {
				return false
			}
		}
		return perms["alice#a"].GetCanPublish()
	})
	v := alice.Call(id)
	for _, identity := range []string{"bob#d", "bob#d2", "bob#d3"} {
		if p := participant(v, identity); p == nil || p.Role != "listener" {
			t.Fatalf("after bob#d's reconnect the call shows %s as %+v, want a listener", identity, p)
		}
	}
}

// removalHoldsForOldTokensUntilTheCooldownEnds: after alice removes
// bob#d, both of bob's connected devices are disconnected; each coming
// back with its token from before is disconnected again and recorded as
// refused, never as a join; no device of bob's may join until the
// cooldown is over, and then each may.
func (cm *callMatrix) removalHoldsForOldTokensUntilTheCooldownEnds(clk *clock.Manual) {
	t := cm.t
	alice, bob := cm.clients["alice"], cm.clients["bob"]
	id, joins := cm.room(inCall)
	// alice stays connected, so the call outlives the join grace of the
	// devices that never connect when the clock moves.
	lk := cm.connectAll(id, joins, "alice#a", "bob#d", "bob#d2")
	if st, raw := alice.Raw("DELETE", "/api/rooms/"+id+"/call/participants/bob%23d", nil); st != 200 {
		t.Fatalf("alice removes bob#d: %d %s", st, raw)
	}
	for _, identity := range []string{"bob#d", "bob#d2"} {
		calltest.Eventually(t, 20*time.Second, "LiveKit disconnects "+identity, func() bool {
			return lk[identity].ConnectionState() == lksdk.ConnectionStateDisconnected
		})
	}
	// Both come back with their tokens from before. LiveKit lets them
	// in; the server, told by the webhook, takes each session out again,
	// often before the SDK has finished connecting, which then waits for
	// its timeout and reports an error: the refused fact proves LiveKit
	// let it in, so the connections are left to finish on their own.
	callID := joins["alice#a"].CallID
	reconnects := make(chan *lksdk.Room, 2)
	for _, identity := range []string{"bob#d", "bob#d2"} {
		old := joins[identity]
		go func() {
			r, err := lksdk.ConnectToRoomWithToken(old.LiveKitURL, old.Token, lksdk.NewRoomCallback(),
				lksdk.WithDisableRegionDiscovery(), lksdk.WithAutoSubscribe(false), lksdk.WithConnectTimeout(5*time.Second))
			if err != nil {
				r = nil
			}
			reconnects <- r
		}()
	}
	t.Cleanup(func() {
		for range 2 {
			if r := <-reconnects; r != nil {
				r.Disconnect()
			}
		}
	})
	for _, identity := range []string{"bob#d", "bob#d2"} {
		calltest.Eventually(t, 20*time.Second, identity+"'s reconnect is refused and disconnected", func() bool {
			_, connected := cm.liveKitPermissions(joins[identity].LiveKitRoom)[identity]
			return refusedAfterRemoval(t, cm.env, callID)[identity] > 0 && !connected
		})
		if _, in := calltest.Identities(alice.Call(id))[identity]; in {
			t.Fatalf("%s's old token put it back in the call", identity)
		}
	}
	refusedAfterRemoval(t, cm.env, callID) // no join of bob's after the removal

	rejoin := func(device string) (int, string) {
		t.Helper()
		var j chatto.JoinResult
		st, raw := bob.Raw("POST", "/api/rooms/"+id+"/call/join", map[string]string{"device_id": device})
		if st != 200 {
			var e calltest.APIError
			json.Unmarshal(raw, &e)
			return st, e.Error.Code
		}
		if err := json.Unmarshal(raw, &j); err != nil || j.CallID != callID {
			t.Fatalf("bob#%s rejoined call %q, want %s (the call the removal was in): %v", device, j.CallID, callID, err)
		}
		return st, ""
	}
	cooldown := cm.env.Config.LiveKit.RemoveCooldown
	clk.Advance(cooldown - time.Second)
	for _, device := range []string{"d", "d2", "d3"} {
		if st, code := rejoin(device); st != 403 || code != chatto.EREMOVED {
			t.Fatalf("bob#%s joins a second before the cooldown ends: %d %q, want 403 removed", device, st, code)
		}
	}
	clk.Advance(2 * time.Second)
	for _, device := range []string{"d", "d2", "d3"} {
		if st, code := rejoin(device); st != 200 {
			t.Fatalf("bob#%s joins after the cooldown: %d %q", device, st, code)
		}
	}
	for _, path := range []string{"/call/token", "/call/key"} {
		if st, code := bob.Post("/api/rooms/"+id+path, map[string]string{"device_id": "d"}); st != 200 {
			t.Fatalf("bob#d: POST %s after the cooldown: %d %q", path, st, code)
		}
	}
}

// refusedAfterRemoval counts the participant_left facts with reason
// refused per identity after the call's first removal, and fails the test
// if any of the removed user's devices was recorded joining after it.
func refusedAfterRemoval(t *testing.T, env *calltest.Env, callID string) map[string]int {
	t.Helper()
	evs, err := env.Main.Store().CallEvents(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	refused, removedUser := map[string]int{}, ""
	for _, e := range evs {
		switch {
		case e.Kind == eventlog.ParticipantLeft && e.Reason == eventlog.ReasonRemoved && removedUser == "":
			removedUser = e.UserID
		case removedUser == "":
		case e.Kind == eventlog.ParticipantJoined && e.UserID == removedUser:
			t.Fatalf("after the removal of %s, a join of theirs was recorded: %+v", removedUser, e)
		case e.Kind == eventlog.ParticipantLeft && e.Reason == eventlog.ReasonRefused:
			refused[e.Identity]++
		}
	}
	return refused
}

// liveKitPermissions returns what LiveKit lets each participant
// connected to a room do.
func (cm *callMatrix) liveKitPermissions(lkRoom string) map[string]*lkproto.ParticipantPermission {
	cm.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := lksdk.NewRoomServiceClient(cm.env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret).
		ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: lkRoom})
	if err != nil {
		cm.t.Fatal(err)
	}
	out := map[string]*lkproto.ParticipantPermission{}
	for _, p := range res.GetParticipants() {
		if p.GetState() != lkproto.ParticipantInfo_DISCONNECTED {
			out[p.GetIdentity()] = p.GetPermission()
		}
	}
	return out
}

// parseWant reads a callRows cell.
func parseWant(t *testing.T, cell string) (st int, code, field, value string) {
	t.Helper()
	head, rest, _ := strings.Cut(cell, " ")
	st, err := strconv.Atoi(head)
	if err != nil {
		t.Fatalf("cell %q: %v", cell, err)
	}
	if f, v, ok := strings.Cut(rest, "="); ok {
		return st, "", f, v
	}
	return st, rest, "", ""
}

// jsonField returns a top-level field of a JSON object as text.
func jsonField(raw []byte, field string) string {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	if v, ok := obj[field]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

func participant(v *chatto.CallView, identity string) *chatto.ParticipantView {
	if v == nil {
		return nil
	}
	for i := range v.Participants {
		if v.Participants[i].Identity == identity {
			return &v.Participants[i]
		}
	}
	return nil
}
