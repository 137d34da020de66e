package chatto_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/livekit"
)

// generationOf reads the join generation a token carries.
func generationOf(t *testing.T, j *chatto.JoinResult) string {
	t.Helper()
	tok, err := auth.ParseAPIToken(j.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := tok.Verify(calltest.APISecret)
	if err != nil {
		t.Fatal(err)
	}
	return claims.Attributes[livekit.GenerationAttribute]
}

// cfgRemoveCooldown is the calltest server's livekit.remove_cooldown
// (the default).
const cfgRemoveCooldown = 60 * time.Second

// never checks cond stays false for d (sampled every 20 ms).
func never(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			t.Fatal(what)
		}
	}
}

func inView(c *calltest.Client, room, identity string) func() bool {
	return func() bool {
		v := c.Call(room)
		return v != nil && calltest.Identities(v)[identity]
	}
}

func TestRemovalHoldsForEveryDeviceOfTheUserAndOldTokens(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	// b3 was in the call and dropped out (its connection, not a leave):
	// its token would still let it back in.
	jb3 := bob.Join("general", "b3")
	calltest.Connect(t, jb3).Disconnect()
	jb1, jb2 := bob.Join("general", "b1"), bob.Join("general", "b2")
	rb1, rb2 := calltest.Connect(t, jb1), calltest.Connect(t, jb2)
	calltest.Eventually(t, wait, "all connected", connected(alice, "general",
		map[string]bool{"alice#a": true, "bob#b1": true, "bob#b2": true}))

	if st, raw := alice.Raw("DELETE", "/api/rooms/general/call/participants/bob%23b1", nil); st != 200 {
		t.Fatalf("admin removes bob#b1 = %d %s", st, raw)
	}
	// Both of bob's devices leave the call and LiveKit.
	if v := alice.Call("general"); len(v.Participants) != 1 {
		t.Fatalf("call after removing bob = %+v", v.Participants)
	}
	for _, r := range []*lksdk.Room{rb1, rb2} {
		calltest.Eventually(t, wait, "bob's devices are disconnected", func() bool {
			return r.ConnectionState() == lksdk.ConnectionStateDisconnected
		})
	}
	// No device of his gets back in through the API: a new one, a token
	// refresh, the key.
	for _, tc := range []struct{ path, device string }{
		{"/api/rooms/general/call/join", "b3"},
		{"/api/rooms/general/call/join", "b1"},
		{"/api/rooms/general/call/token", "b2"},
		{"/api/rooms/general/call/key", "b1"},
		{"/api/rooms/general/call/key", "b3"},
	} {
		a := bob.Send("POST", tc.path, map[string]string{"device_id": tc.device})
		st, raw := a.Status, a.Body
		if st != 403 || !strings.Contains(string(raw), `"`+chatto.EREMOVED+`"`) || strings.Contains(string(raw), "e2ee_key") {
			t.Fatalf("POST %s for %s after the removal = %d %s, want 403 removed", tc.path, tc.device, st, raw)
		}
		// Retry-After says when the cooldown ends (the page tells the user).
		if secs, err := strconv.Atoi(a.RetryAfter); err != nil || secs < 1 || secs > int(cfgRemoveCooldown.Seconds()) {
			t.Fatalf("POST %s for %s after the removal: Retry-After %q, want the seconds left of the cooldown", tc.path, tc.device, a.RetryAfter)
		}
	}
	// Nor through LiveKit with a token from before: the connection is
	// taken down and never shows in the call. b1 was removed; b3 was not
	// in the call then, but belongs to the same user.
	for _, j := range []*chatto.JoinResult{jb1, jb3} {
		re, err := lksdk.ConnectToRoomWithToken(j.LiveKitURL, j.Token, lksdk.NewRoomCallback(), lksdk.WithDisableRegionDiscovery())
		if err != nil {
			t.Fatalf("LiveKit refused the old token outright (the test needs it to let it in): %v", err)
		}
		t.Cleanup(re.Disconnect)
		calltest.Eventually(t, wait, "the old token's session is disconnected", func() bool {
			return !inLiveKit(t, env, j.LiveKitRoom, j.Identity)
		})
		never(t, time.Second, "the removed user's device shows in the call", inView(alice, "general", j.Identity))
	}
	evs := callLog(t, env, jb1.CallID)
	refused, removal := map[string]int{}, int64(0)
	for _, e := range evs {
		if e.Kind == eventlog.ParticipantLeft && e.Reason == eventlog.ReasonRemoved && removal == 0 {
			removal = e.Seq
		}
		if e.UserID == "bob" && e.Kind == eventlog.ParticipantJoined && removal != 0 {
			t.Fatalf("the removed user's reconnect was recorded as a join: %+v", e)
		}
		if e.Kind == eventlog.ParticipantLeft && e.Reason == eventlog.ReasonRefused {
			refused[e.Identity]++
		}
	}
	if refused["bob#b1"] == 0 || refused["bob#b3"] == 0 || countKind(evs, eventlog.ParticipantLeft, eventlog.ReasonRemoved) != 2 {
		t.Fatalf("log after the removal and the reconnects (refused %v): %+v", refused, evs)
	}
	if st, raw := bob.Raw("POST", "/api/rooms/general/call/key", map[string]string{"device_id": "b1"}); st != 403 {
		t.Fatalf("key after the old token's reconnect = %d %s", st, raw)
	}

	// After the cooldown, any device may come back.
	clk.Advance(61 * time.Second)
	if j := bob.Join("general", "b4"); j.CallID != jb1.CallID {
		t.Fatalf("bob's rejoin after the cooldown joined %q", j.CallID)
	}
}

func TestDemotionHoldsForEveryDeviceAndOldTokens(t *testing.T) {
	env, _ := ringEnv(t)
	alice, dave := env.Login("bob"), env.Login("dave") // bob administers design
	calltest.Connect(t, alice.Join("design", "a"))
	jd1, jd2 := dave.Join("design", "d1"), dave.Join("design", "d2")
	rd1, rd2 := calltest.Connect(t, jd1), calltest.Connect(t, jd2)
	calltest.Eventually(t, wait, "all connected", connected(alice, "design",
		map[string]bool{"bob#a": true, "dave#d1": true, "dave#d2": true}))

	if st, code := alice.Post("/api/rooms/design/call/participants/dave%23d1", map[string]string{"role": "listener"}); st != 200 {
		t.Fatalf("demote dave#d1 = %d %s", st, code)
	}
	v := alice.Call("design")
	if roleOf(v, "dave#d1") != "listener" || roleOf(v, "dave#d2") != "listener" {
		t.Fatalf("roles after demoting dave#d1: %+v", v.Participants)
	}
	for _, r := range []*lksdk.Room{rd1, rd2} {
		calltest.Eventually(t, wait, "LiveKit takes publishing from both of dave's devices", func() bool {
			p := r.LocalParticipant.Permissions()
			return p != nil && !p.GetCanPublish()
		})
	}
	var refreshed chatto.JoinResult
	if st := dave.Do("POST", "/api/rooms/design/call/token", map[string]string{"device_id": "d2"}, &refreshed); st != 200 || refreshed.Role != "listener" {
		t.Fatalf("dave#d2's token refresh = %d, role %q", st, refreshed.Role)
	}

	// d1's connection drops; it comes back with the token from before
	// the demotion, which grants publishing.
	rd1.Disconnect()
	calltest.Eventually(t, wait, "d1 left", func() bool { return !inView(alice, "design", "dave#d1")() })
	back, err := lksdk.ConnectToRoomWithToken(jd1.LiveKitURL, jd1.Token, lksdk.NewRoomCallback(), lksdk.WithDisableRegionDiscovery())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Disconnect)
	calltest.Eventually(t, wait, "d1 is back in the call", inView(alice, "design", "dave#d1"))
	calltest.Eventually(t, wait, "LiveKit corrects the old token's rights", func() bool {
		p := back.LocalParticipant.Permissions()
		return p != nil && !p.GetCanPublish()
	})
	if r := roleOf(alice.Call("design"), "dave#d1"); r != "listener" {
		t.Fatalf("the call view says %q for dave#d1", r)
	}
	if err := publishAudio(back); err == nil {
		calltest.Eventually(t, wait, "LiveKit drops the listener's track", func() bool { return len(lkTracks(t, env, jd1)) == 0 })
	}

	// Reconcile compares LiveKit's rights with the roles: a listener that
	// LiveKit lets publish (a correction LiveKit lost) is corrected.
	if _, err := roomService(env).UpdateParticipant(context.Background(), &lkproto.UpdateParticipantRequest{
		Room: jd2.LiveKitRoom, Identity: "dave#d2",
		Permission: &lkproto.ParticipantPermission{CanPublish: true, CanSubscribe: true},
	}); err != nil {
		t.Fatal(err)
	}
	calltest.Eventually(t, wait, "LiveKit lets d2 publish", func() bool { return rd2.LocalParticipant.Permissions().GetCanPublish() })
	if err := env.Service().Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	calltest.Eventually(t, wait, "reconcile takes publishing from d2 again", func() bool {
		return !rd2.LocalParticipant.Permissions().GetCanPublish()
	})
	v = alice.Call("design")
	if roleOf(v, "dave#d1") != "listener" || roleOf(v, "dave#d2") != "listener" {
		t.Fatalf("roles after reconcile: %+v", v.Participants)
	}
}

func TestLiveKitReportsTheGenerationOfEachJoin(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	j1 := alice.Join("general", "a")
	calltest.Connect(t, j1).Disconnect()
	calltest.Eventually(t, wait, "the first session left", func() bool { return alice.Call("general") == nil })
	j2 := alice.Join("general", "a")
	g1, g2 := generationOf(t, j1), generationOf(t, j2)
	if g1 == "" || g1 == g2 {
		t.Fatalf("generations of two joins: %q, %q", g1, g2)
	}
	calltest.Connect(t, j2)
	calltest.Eventually(t, wait, "connected", connected(alice, "general", map[string]bool{"alice#a": true}))
	var fromLiveKit string
	for _, e := range callLog(t, env, j2.CallID) {
		if e.Kind == eventlog.ParticipantJoined && e.Source == eventlog.SourceLiveKit {
			fromLiveKit = e.Generation
		}
	}
	if fromLiveKit != g2 {
		t.Fatalf("the participant_joined webhook carried generation %q, want the token's %q", fromLiveKit, g2)
	}
}

// sessionHook builds a signed webhook about one LiveKit session of a
// device, as LiveKit would send it: with its generation attribute and the
// time it joined.
func sessionHook(t *testing.T, id, event, room, identity, sid, gen string, joined time.Time) []byte {
	t.Helper()
	p := &lkproto.ParticipantInfo{Identity: identity, Sid: sid, Name: identity, JoinedAtMs: joined.UnixMilli(),
		JoinedAt: joined.Unix(), Attributes: map[string]string{livekit.GenerationAttribute: gen}}
	ev := &lkproto.WebhookEvent{Id: id, Event: event, Room: &lkproto.Room{Name: room}, Participant: p, CreatedAt: time.Now().Unix()}
	raw, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestLateFactsOfOlderJoinsNeverTouchTheCurrentOne(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	p := poster{t, env.BaseURL + "/webhooks/livekit"}
	post := func(body []byte) {
		t.Helper()
		if st, raw := p.send(signedWebhook(t, p.url, body, calltest.APISecret)); st != 200 {
			t.Fatalf("webhook = %d %s", st, raw)
		}
	}

	// Join 1 crashes (no leave), join 2 leaves cleanly, join 3 is the
	// device now, not yet connected. The older sessions' facts come late,
	// while join 3 is pending.
	j1 := bob.Join("general", "b")
	t0 := time.Now().Add(-10 * time.Second)
	j2 := bob.Join("general", "b")
	bob.Leave("general", "b")
	j3 := bob.Join("general", "b")
	cur := func() *chatto.ParticipantView {
		for _, pv := range alice.Call("general").Participants {
			if pv.Identity == "bob#b" {
				return &pv
			}
		}
		return nil
	}
	room := j3.LiveKitRoom
	for i, h := range [][]byte{
		sessionHook(t, "late-1", "participant_joined", room, "bob#b", "PA_old1", generationOf(t, j1), t0),
		sessionHook(t, "late-2", "participant_joined", room, "bob#b", "PA_old2", generationOf(t, j2), t0.Add(3*time.Second)),
		sessionHook(t, "late-3", "participant_left", room, "bob#b", "PA_old1", generationOf(t, j1), t0),
		sessionHook(t, "late-4", "participant_left", room, "bob#b", "PA_old2", generationOf(t, j2), t0.Add(3*time.Second)),
		sessionHook(t, "late-5", "participant_connection_aborted", room, "bob#b", "PA_old3", generationOf(t, j2), time.Now()),
	} {
		post(h)
		if now := cur(); now == nil || now.Connected {
			t.Fatalf("after late fact %d of an older join, join 3 (pending) is %+v", i+1, now)
		}
	}
	r3 := calltest.Connect(t, j3)
	calltest.Eventually(t, wait, "join 3 connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	// Connected now, the same late facts again (new ids) change nothing.
	for i, h := range [][]byte{
		sessionHook(t, "late-6", "participant_joined", room, "bob#b", "PA_old5", generationOf(t, j1), time.Now()),
		sessionHook(t, "late-7", "participant_left", room, "bob#b", "PA_old5", generationOf(t, j2), time.Now()),
	} {
		post(h)
		if now := cur(); now == nil || !now.Connected {
			t.Fatalf("after late fact %d of an older join, join 3 is %+v", i+6, now)
		}
	}
	if r3.ConnectionState() != lksdk.ConnectionStateConnected || !inLiveKit(t, env, room, "bob#b") {
		t.Fatal("a late fact of an older join disconnected the current one")
	}
	// Reconcile sees only join 3, and keeps it.
	if err := env.Service().Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if now := cur(); now == nil || !now.Connected {
		t.Fatalf("after reconcile join 3 is %+v", now)
	}

	// Out of the call (a clean leave), a late join of the session that
	// left does not bring it back.
	bob.Leave("general", "b")
	r3.Disconnect()
	post(sessionHook(t, "late-8", "participant_joined", room, "bob#b", "PA_old6", generationOf(t, j3), time.Now()))
	if cur() != nil {
		t.Fatal("a late join of a join that was left brought the device back")
	}
}

// holdingProxy sits in front of LiveKit's RoomService and, once armed,
// holds the requests whose path contains a method name until released
// (or for at most max).
type holdingProxy struct {
	srv  *httptest.Server
	max  time.Duration
	held chan struct{} // one value per request that was held

	mu      sync.Mutex
	match   string
	release chan struct{}
	// released is set once the armed requests may go, by Release or by
	// max running out.
	released atomic.Bool
}

func newHoldingProxy(t *testing.T, target string, max time.Duration) *holdingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := &holdingProxy{max: max, held: make(chan struct{}, 64)}
	rp := httputil.NewSingleHostReverseProxy(u)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		match, release := h.match, h.release
		h.mu.Unlock()
		if match != "" && strings.Contains(r.URL.Path, match) {
			h.held <- struct{}{}
			select {
			case <-release:
			case <-time.After(h.max):
				h.released.Store(true)
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.Release)
	return h
}

// Arm starts holding requests for the RoomService method.
func (h *holdingProxy) Arm(method string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.match, h.release = method, make(chan struct{})
	h.released.Store(false)
}

// Release lets every held and later request through.
func (h *holdingProxy) Release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.match != "" {
		h.released.Store(true)
		close(h.release)
		h.match = ""
	}
}

// Held waits for a request to be held.
func (h *holdingProxy) Held(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(wait):
		t.Fatalf("LiveKit was never asked: %s", what)
	}
}

// sharingLock finds a room id that shares roomID's lock stripe in the
// running service (stripes are seeded per service) and makes it a room
// of members.
func sharingLock(t *testing.T, env *calltest.Env, roomID, prefix string, members ...string) string {
	t.Helper()
	for i := 0; ; i++ {
		if id := prefix + strconv.Itoa(i); chatto.RoomsShareLock(env.Service(), roomID, id) {
			if err := env.Main.Host().AddRoom(context.Background(), id, id, chatto.RoomGroup, members, nil); err != nil {
				t.Fatal(err)
			}
			return id
		}
	}
}

func TestSlowLiveKitDoesNotHoldJoinsInRoomsSharingTheLock(t *testing.T) {
	env, _ := ringEnv(t)
	proxy := newHoldingProxy(t, env.LK.HTTPURL(), 2*time.Second)
	env.StopServer()
	env.Config.LiveKit.InternalURL = proxy.srv.URL
	env.StartServer()
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	other := sharingLock(t, env, "general", "stripe-", "bob", "carol")
	calltest.Connect(t, alice.Join("general", "a"))
	calltest.Connect(t, bob.Join("general", "b"))
	calltest.Eventually(t, wait, "connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))

	// An admin's role change waits for LiveKit; a join in a room that
	// shares the lock does not wait for it.
	proxy.Arm("UpdateParticipant")
	done := make(chan error, 1)
	go func() {
		if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "listener"}); st != 200 {
			done <- fmt.Errorf("demote = %d %s", st, code)
			return
		}
		done <- nil
	}()
	proxy.Held(t, "the demotion")
	if j := carol.Join(other, "c"); j.CallID == "" || proxy.released.Load() {
		t.Fatal("a join in a room sharing the lock waited for LiveKit's answer about another room's role change")
	}
	proxy.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A call start asks LiveKit whether it answers; a join in a room that
	// shares the lock (with a call running) does not wait for that.
	design := "design" // bob, carol, dave
	busy := sharingLock(t, env, design, "stripe-d-", "carol")
	carol.Join(busy, "c1")
	time.Sleep(300 * time.Millisecond) // past the freshness of the last answer (250 ms)
	proxy.Arm("ListRooms")
	go func() {
		var j chatto.JoinResult
		if st := bob.Do("POST", "/api/rooms/"+design+"/call/join", map[string]string{"device_id": "b2"}, &j); st != 200 {
			done <- fmt.Errorf("call start = %d", st)
			return
		}
		done <- nil
	}()
	proxy.Held(t, "the reachability check of a call start")
	if j := carol.Join(busy, "c2"); j.CallID == "" || proxy.released.Load() {
		t.Fatal("a join in a room sharing the lock waited for LiveKit's answer to another room's call start")
	}
	proxy.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestACreatorAnAdminRemovedOrDemotedCannotUndoItByEndingTheCall(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol") // alice administers general
	jb := bob.Join("general", "b")                                                // bob starts the call
	alice.Join("general", "a")
	carol.Join("general", "c")
	if st, raw := alice.Raw("DELETE", "/api/rooms/general/call/participants/bob%23b", nil); st != 200 {
		t.Fatalf("remove bob = %d %s", st, raw)
	}
	for _, tc := range []struct {
		path string
		body any
	}{
		{"/api/rooms/general/call/end", nil},
		{"/api/rooms/general/call/invite", map[string]string{"user_id": "carol"}},
	} {
		if st, code := bob.Post(tc.path, tc.body); st != 403 || code != chatto.EREMOVED {
			t.Fatalf("the removed creator's POST %s = %d %s, want 403 removed", tc.path, st, code)
		}
	}
	if v := alice.Call("general"); v == nil || v.ID != jb.CallID {
		t.Fatalf("the call after the removed creator's attempts: %+v", v)
	}

	// Back after the cooldown, then made a listener: still not his to end.
	clk.Advance(61 * time.Second)
	bob.Join("general", "b2")
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b2", map[string]string{"role": "listener"}); st != 200 {
		t.Fatalf("demote bob = %d %s", st, code)
	}
	if st, code := bob.Post("/api/rooms/general/call/end", nil); st != 403 || code != chatto.ENOTALLOWED {
		t.Fatalf("the demoted creator ends the call = %d %s, want 403 not_allowed", st, code)
	}
	if st, code := alice.Post("/api/rooms/general/call/end", nil); st != 200 {
		t.Fatalf("the admin ends the call = %d %s", st, code)
	}
}

func TestHangingUpADirectCallEndsItForBoth(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	aliceEvents := calltest.Stream(t, env, alice)
	ja := alice.Join("alice-bob", "a")
	ra := calltest.Connect(t, ja)
	calltest.Connect(t, bob.Join("alice-bob", "b1")) // bob answers on two devices
	calltest.Connect(t, bob.Join("alice-bob", "b2"))
	calltest.Eventually(t, wait, "connected", connected(alice, "alice-bob", map[string]bool{"alice#a": true, "bob#b1": true, "bob#b2": true}))

	// One of bob's devices leaving is not a hang-up: he is still there.
	bob.Leave("alice-bob", "b1")
	if v := alice.Call("alice-bob"); v == nil || len(v.Participants) != 2 {
		t.Fatalf("the call after bob's second device left: %+v", v)
	}
	// His last one hanging up ends the call for alice too.
	bob.Leave("alice-bob", "b2")
	if v := alice.Call("alice-bob"); v != nil {
		t.Fatalf("the call after bob hung up: %+v", v)
	}
	ended := decode[chatto.CallEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallEnded, inRoom("alice-bob")))
	if c := ended.Call; c.EndReason != eventlog.ReasonHungUp || c.EndedBy != "bob" || c.EndedByName != "Bob" || c.Outcome != "completed" {
		t.Fatalf("call.ended = %+v", c)
	}
	calltest.Eventually(t, wait, "alice's LiveKit session ends with the call", func() bool {
		return ra.ConnectionState() == lksdk.ConnectionStateDisconnected
	})
	evs := callLog(t, env, ja.CallID)
	last := evs[len(evs)-1]
	if last.Kind != eventlog.CallEnded || last.Reason != eventlog.ReasonHungUp || last.UserID != "bob" || countKind(evs, eventlog.CallEnded, "") != 1 {
		t.Fatalf("the log's end: %+v", last)
	}
	var n chatto.Notice
	for _, m := range messages(t, alice, "alice-bob") {
		if m.Notice != nil && m.Notice.Kind == chatto.NoticeCallEnded {
			n = *m.Notice
		}
	}
	if !strings.HasSuffix(n.TextFor("alice"), " · Bob ended the call") || !strings.HasSuffix(n.TextFor("bob"), " · You ended the call") ||
		n.EndReason != eventlog.ReasonHungUp || n.EndedBy != "bob" {
		t.Fatalf("the end's notice: %+v", n)
	}

	// In a group room the others carry on.
	alice.Join("general", "a")
	carol.Join("general", "c")
	alice.Leave("general", "a")
	if v := carol.Call("general"); v == nil || len(v.Participants) != 1 {
		t.Fatalf("a group call after one of two left: %+v", v)
	}
}
