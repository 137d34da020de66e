package chatto_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// roomService talks to the test LiveKit directly, to see what LiveKit
// (not our API) says.
func roomService(env *calltest.Env) *lksdk.RoomServiceClient {
	return lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
}

// lkTracks lists what LiveKit says a participant publishes (nil if it is
// not in the room).
func lkTracks(t *testing.T, env *calltest.Env, j *chatto.JoinResult) []*lkproto.TrackInfo {
	t.Helper()
	p, err := roomService(env).GetParticipant(context.Background(), &lkproto.RoomParticipantIdentity{
		Room: j.LiveKitRoom, Identity: j.Identity})
	if err != nil {
		return nil
	}
	return p.GetTracks()
}

func inLiveKit(t *testing.T, env *calltest.Env, room, identity string) bool {
	t.Helper()
	res, err := roomService(env).ListParticipants(context.Background(), &lkproto.ListParticipantsRequest{Room: room})
	if err != nil {
		return false
	}
	for _, p := range res.GetParticipants() {
		if p.GetIdentity() == identity && p.GetState() != lkproto.ParticipantInfo_DISCONNECTED {
			return true
		}
	}
	return false
}

// publishAudio publishes an Opus track from a connected lksdk room.
func publishAudio(r *lksdk.Room) error {
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		return err
	}
	_, err = r.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "mic", Source: lkproto.TrackSource_MICROPHONE})
	return err
}

func roleOf(v *chatto.CallView, identity string) string {
	for _, p := range v.Participants {
		if p.Identity == identity {
			return p.Role
		}
	}
	return ""
}

func TestRolesAreEnforcedByLiveKitAndChangeLive(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol") // alice administers general
	ja := alice.Join("general", "a")
	calltest.Connect(t, ja)

	var jb chatto.JoinResult
	if st := bob.Do("POST", "/api/rooms/general/call/join", map[string]string{"device_id": "b", "role": "listener"}, &jb); st != 200 || jb.Role != "listener" {
		t.Fatalf("join as listener = %d, role %q", st, jb.Role)
	}
	rb := calltest.Connect(t, &jb)
	calltest.Eventually(t, wait, "both connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	if got := roleOf(alice.Call("general"), "bob#b"); got != "listener" {
		t.Fatalf("bob's role in the call view = %q", got)
	}
	if err := publishAudio(rb); err == nil {
		t.Fatal("LiveKit let a listener publish")
	}
	if tracks := lkTracks(t, env, &jb); len(tracks) != 0 {
		t.Fatalf("LiveKit lists tracks of a listener: %v", tracks)
	}

	// Only admins change roles.
	for _, who := range []*calltest.Client{bob, carol} {
		if st, code := who.Post("/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "speaker"}); st != 403 {
			t.Fatalf("%s promotes bob = %d %s, want 403", who.User, st, code)
		}
	}
	var out struct{ Call *chatto.CallView }
	if st := alice.Do("POST", "/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "speaker"}, &out); st != 200 ||
		roleOf(out.Call, "bob#b") != "speaker" {
		t.Fatalf("admin promotes bob = %d %+v", st, out.Call)
	}
	calltest.Eventually(t, wait, "LiveKit tells bob he may publish", func() bool {
		p := rb.LocalParticipant.Permissions()
		return p != nil && p.GetCanPublish()
	})
	if err := publishAudio(rb); err != nil {
		t.Fatalf("a promoted speaker cannot publish: %v", err)
	}
	calltest.Eventually(t, wait, "LiveKit lists bob's track", func() bool { return len(lkTracks(t, env, &jb)) == 1 })

	// Demoted: LiveKit takes his track down, without a rejoin.
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "listener"}); st != 200 {
		t.Fatalf("demote = %d %s", st, code)
	}
	calltest.Eventually(t, wait, "the demoted speaker's track is unpublished", func() bool { return len(lkTracks(t, env, &jb)) == 0 })
	if rb.ConnectionState() == lksdk.ConnectionStateDisconnected {
		t.Fatal("demoting disconnected bob")
	}
	// The role sticks to bob in this call: a rejoin (or a new device)
	// is still a listener, whatever it asks.
	if again := bob.Join("general", "b2"); again.Role != "listener" {
		t.Fatalf("bob's second device joined as %q, want listener", again.Role)
	}
	evs := callLog(t, env, ja.CallID)
	if countKind(evs, eventlog.RoleChanged, "") != 2 {
		t.Fatalf("role changes in the log: %+v", evs)
	}
	for _, tc := range []struct{ path, body string }{
		{"/api/rooms/general/call/participants/nobody%23x", `{"role":"speaker"}`},
	} {
		if st, code := alice.Post(tc.path, []byte(tc.body)); st != 404 || code != chatto.ENOTINCALL {
			t.Errorf("POST %s = %d %s, want 404 not_in_call", tc.path, st, code)
		}
	}
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "boss"}); st != 400 || code != chatto.EINVALID {
		t.Fatalf("unknown role = %d %s", st, code)
	}
}

func TestAdminMuteIsSeenByOtherParticipants(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	calltest.Connect(t, alice.Join("general", "a"))
	jb := bob.Join("general", "b")
	rb := calltest.Connect(t, jb)
	if err := publishAudio(rb); err != nil {
		t.Fatal(err)
	}
	// Carol listens with a subscribing client.
	jc := carol.Join("general", "c")
	rc, err := lksdk.ConnectToRoomWithToken(jc.LiveKitURL, jc.Token, lksdk.NewRoomCallback(), lksdk.WithDisableRegionDiscovery())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Disconnect)
	bobMic := func() lksdk.TrackPublication {
		for _, p := range rc.GetRemoteParticipants() {
			if p.Identity() == "bob#b" {
				for _, pub := range p.TrackPublications() {
					if pub.Source() == lkproto.TrackSource_MICROPHONE {
						return pub
					}
				}
			}
		}
		return nil
	}
	calltest.Eventually(t, wait, "carol sees bob's microphone", func() bool { return bobMic() != nil })
	if bobMic().IsMuted() {
		t.Fatal("bob's microphone is muted before anyone muted it")
	}

	for path, want := range map[string]int{
		"/api/rooms/general/call/participants/bob%23b/mute":   403, // carol is a plain member
		"/api/rooms/general/call/participants/alice%23a/mute": 403,
	} {
		if st, code := carol.Post(path, map[string]string{"source": "microphone"}); st != want || code != chatto.ENOTALLOWED {
			t.Fatalf("carol mutes via %s = %d %s", path, st, code)
		}
	}
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b/mute", map[string]string{"source": "camera"}); st != 404 || code != chatto.ENOTRACK {
		t.Fatalf("mute of an unpublished camera = %d %s, want 404 no_track", st, code)
	}
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b/mute", map[string]string{"source": "tuba"}); st != 400 {
		t.Fatalf("mute of an unknown source = %d %s", st, code)
	}
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b/mute", map[string]string{"source": "microphone"}); st != 200 {
		t.Fatalf("admin mute = %d %s", st, code)
	}
	calltest.Eventually(t, wait, "carol sees bob's microphone muted", func() bool { return bobMic() != nil && bobMic().IsMuted() })
	for _, tr := range lkTracks(t, env, jb) {
		if !tr.GetMuted() {
			t.Fatalf("LiveKit's track %s is not muted", tr.GetSid())
		}
	}
}

func TestRemovedParticipantIsDisconnectedAndRefusedDuringTheCooldown(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	calltest.Connect(t, alice.Join("general", "a"))
	jb := bob.Join("general", "b")
	rb := calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "both connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	bobEvents := calltest.Stream(t, env, bob)

	if st, raw := carol.Raw("DELETE", "/api/rooms/general/call/participants/bob%23b", nil); st != 403 {
		t.Fatalf("a plain member removes bob = %d %s", st, raw)
	}
	if st, raw := alice.Raw("DELETE", "/api/rooms/general/call/participants/bob%23b", nil); st != 200 {
		t.Fatalf("admin removes bob = %d %s", st, raw)
	}
	if inLiveKit(t, env, jb.LiveKitRoom, "bob#b") {
		t.Fatal("bob is still in LiveKit when the remove request returns")
	}
	calltest.Eventually(t, wait, "bob's client is disconnected", func() bool {
		return rb.ConnectionState() == lksdk.ConnectionStateDisconnected
	})
	r := decode[chatto.RemovedEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRemoved, nil))
	if r.Identity != "bob#b" || r.Reason != "removed" || r.RoomID != "general" {
		t.Fatalf("call.removed = %+v", r)
	}
	if v := alice.Call("general"); len(v.Participants) != 1 {
		t.Fatalf("call after the removal = %+v", v)
	}
	for _, path := range []string{"/api/rooms/general/call/join", "/api/rooms/general/call/token"} {
		if st, code := bob.Post(path, map[string]string{"device_id": "b"}); st != 403 || code != chatto.EREMOVED {
			t.Fatalf("POST %s by the removed device = %d %s, want 403 removed", path, st, code)
		}
	}
	clk.Advance(61 * time.Second)
	if j := bob.Join("general", "b"); j.CallID == "" {
		t.Fatal("bob cannot rejoin after the cooldown")
	}
	evs := callLog(t, env, jb.CallID)
	if countKind(evs, eventlog.ParticipantLeft, eventlog.ReasonRemoved) != 1 {
		t.Fatalf("log: %+v", evs)
	}
	if st, raw := alice.Raw("DELETE", "/api/rooms/general/call/participants/nobody%23x", nil); st != 404 {
		t.Fatalf("remove of someone not in the call = %d %s", st, raw)
	}
}

func TestHandsAreRaisedByTheirOwnerAndLoweredByAdmins(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	alice.Join("general", "a")
	bob.Join("general", "b")
	carol.Join("general", "c")
	aliceEvents := calltest.Stream(t, env, alice)
	hand := func(who *calltest.Client, body map[string]any) (int, string) {
		t.Helper()
		return who.Post("/api/rooms/general/call/hand", body)
	}
	before := alice.Call("general")
	if st, code := hand(carol, map[string]any{"device_id": "c", "raised": true}); st != 200 {
		t.Fatalf("carol raises = %d %s", st, code)
	}
	// A hand is not a fact: the view keeps its seq and its rev grows, so
	// clients order it after a view of the same seq.
	if after := alice.Call("general"); after.Seq != before.Seq || after.Rev != before.Rev+1 {
		t.Fatalf("seq/rev %d/%d → %d/%d after raising a hand; want the seq kept and rev+1", before.Seq, before.Rev, after.Seq, after.Rev)
	}
	clk.Advance(time.Second)
	if st, code := hand(bob, map[string]any{"device_id": "b", "raised": true}); st != 200 {
		t.Fatalf("bob raises = %d %s", st, code)
	}
	ev := decode[chatto.CallEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallUpdated, nil))
	raised := map[string]time.Time{}
	for _, p := range ev.Call.Participants {
		if p.HandRaisedAt != nil {
			raised[p.Identity] = *p.HandRaisedAt
		}
	}
	if len(raised) < 1 {
		t.Fatalf("call.updated after raising hands: %+v", ev.Call.Participants)
	}
	v := alice.Call("general")
	var order []string
	for _, p := range v.Participants {
		if p.HandRaisedAt != nil {
			order = append(order, p.Identity)
		}
	}
	if len(order) != 2 {
		t.Fatalf("hands up = %v", order)
	}
	var c, b time.Time
	for _, p := range v.Participants {
		switch p.Identity {
		case "carol#c":
			c = *p.HandRaisedAt
		case "bob#b":
			b = *p.HandRaisedAt
		}
	}
	if !c.Before(b) {
		t.Fatalf("carol raised first (%v) but bob's hand has %v", c, b)
	}

	if st, code := hand(bob, map[string]any{"identity": "carol#c", "raised": false}); st != 403 || code != chatto.ENOTALLOWED {
		t.Fatalf("a plain member lowers someone's hand = %d %s", st, code)
	}
	if st, code := hand(alice, map[string]any{"identity": "carol#c", "raised": true}); st != 403 {
		t.Fatalf("an admin raises someone's hand = %d %s", st, code)
	}
	if st, code := hand(alice, map[string]any{"identity": "carol#c", "raised": false}); st != 200 {
		t.Fatalf("admin lowers carol's hand = %d %s", st, code)
	}
	if st, code := hand(bob, map[string]any{"device_id": "b"}); st != 400 {
		t.Fatalf("hand without raised = %d %s", st, code)
	}
	bob.Leave("general", "b")
	bob.Join("general", "b")
	for _, p := range alice.Call("general").Participants {
		if p.HandRaisedAt != nil {
			t.Fatalf("hand still up after lowering and a leave: %+v", p)
		}
	}
	if st, code := hand(env.Login("dave"), map[string]any{"raised": true}); st != 403 || code != chatto.EFORBIDDEN {
		t.Fatalf("non-member raises = %d %s", st, code)
	}
}

func TestRevokedMemberLeavesTheCallAndIsNotReadmitted(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	jb := bob.Join("general", "b")
	rb := calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "both connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	bobEvents := calltest.Stream(t, env, bob)

	if st, raw := bob.Raw("DELETE", "/api/rooms/general/members/alice", nil); st != 403 {
		t.Fatalf("a plain member removes the admin = %d %s", st, raw)
	}
	if st, raw := alice.Raw("DELETE", "/api/rooms/general/members/bob", nil); st != 204 {
		t.Fatalf("admin removes bob from the room = %d %s", st, raw)
	}
	// Gone from the call and from LiveKit by the time the request returns.
	if v := alice.Call("general"); len(v.Participants) != 1 {
		t.Fatalf("call after revocation = %+v", v)
	}
	if inLiveKit(t, env, jb.LiveKitRoom, "bob#b") {
		t.Fatal("bob is still in LiveKit when the removal returns")
	}
	calltest.Eventually(t, wait, "bob's client disconnected", func() bool { return rb.ConnectionState() == lksdk.ConnectionStateDisconnected })
	if r := decode[chatto.RemovedEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRemoved, nil)); r.Reason != "revoked" {
		t.Fatalf("call.removed = %+v", r)
	}
	if st, code := bob.Post("/api/rooms/general/call/join", map[string]string{"device_id": "b"}); st != 403 || code != chatto.EFORBIDDEN {
		t.Fatalf("join after revocation = %d %s", st, code)
	}

	// His old token is still valid for LiveKit. Connecting with it is
	// refused through the webhook…
	again, err := lksdk.ConnectToRoomWithToken(jb.LiveKitURL, jb.Token, lksdk.NewRoomCallback(), lksdk.WithDisableRegionDiscovery())
	if err == nil {
		t.Cleanup(again.Disconnect)
		calltest.Eventually(t, wait, "the webhook path disconnects the non-member", func() bool {
			return !inLiveKit(t, env, jb.LiveKitRoom, "bob#b")
		})
	}
	// …and through reconcile when the webhook is lost.
	env.Relay.Drop(func(ev string) bool { return ev == "participant_joined" })
	third, err := lksdk.ConnectToRoomWithToken(jb.LiveKitURL, jb.Token, lksdk.NewRoomCallback(), lksdk.WithDisableRegionDiscovery())
	if err != nil {
		t.Fatalf("reconnect with the old token: %v", err)
	}
	t.Cleanup(third.Disconnect)
	calltest.Eventually(t, wait, "bob in LiveKit with the old token", func() bool { return inLiveKit(t, env, jb.LiveKitRoom, "bob#b") })
	if err := env.Service().Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inLiveKit(t, env, jb.LiveKitRoom, "bob#b") {
		t.Fatal("reconcile left a non-member in LiveKit")
	}
	for _, p := range alice.Call("general").Participants {
		if p.UserID == "bob" {
			t.Fatalf("a non-member was admitted: %+v", p)
		}
	}
	evs := callLog(t, env, jb.CallID)
	revoked := revocationSeq(evs)
	for _, e := range evs {
		if e.Kind == eventlog.ParticipantJoined && e.UserID == "bob" && e.Seq > revoked {
			t.Fatalf("bob re-admitted by %s after the revocation: %+v", e.Source, e)
		}
	}
}

func revocationSeq(evs []eventlog.Event) int64 {
	for _, e := range evs {
		if e.Kind == eventlog.ParticipantLeft && e.Reason == eventlog.ReasonRevoked {
			return e.Seq
		}
	}
	return 1<<63 - 1
}

func TestClientConfigCarriesRelayPolicyAndDefaults(t *testing.T) {
	for _, relay := range []bool{false, true} {
		env := calltest.Start(t, func(c *config.Config) {
			c.LiveKit.ForceRelay = relay
			c.LiveKit.DefaultRole = "listener"
			c.LiveKit.DefaultType = "audio"
		})
		var cc chatto.ClientConfig
		if st := env.Login("alice").Do("GET", "/api/calls/config", nil, &cc); st != 200 {
			t.Fatalf("config = %d", st)
		}
		if cc.ForceRelay != relay || cc.DefaultRole != "listener" || cc.DefaultType != "audio" || cc.RingTimeoutSeconds != 45 {
			t.Fatalf("client config with force_relay=%v: %+v", relay, cc)
		}
		// The default role is what a join gets when it asks for nothing.
		if j := env.Login("bob").Join("general", "b"); j.Role != "listener" || j.Call.Type != "audio" {
			t.Fatalf("join with defaults listener/audio got role %q type %q", j.Role, j.Call.Type)
		}
	}
}

func TestDemotionBeforeConnectingHoldsWhenTheOldTokenIsUsed(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	jb := bob.Join("general", "b") // a speaker's token
	if st, code := alice.Post("/api/rooms/general/call/participants/bob%23b", map[string]string{"role": "listener"}); st != 200 {
		t.Fatalf("demote a pending device = %d %s", st, code)
	}
	rb := calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "LiveKit takes the speaker's rights from the old token", func() bool {
		p := rb.LocalParticipant.Permissions()
		return p != nil && !p.GetCanPublish()
	})
	if roleOf(alice.Call("general"), "bob#b") != "listener" {
		t.Fatal("bob is no longer a listener in the call view")
	}
}

func listReq(room string) *lkproto.ListParticipantsRequest {
	return &lkproto.ListParticipantsRequest{Room: room}
}

func TestJoinsAndPendingDevicesArePerUserBounded(t *testing.T) {
	env, clk := ringEnv(t, func(c *config.Config) {
		c.LiveKit.JoinBurst, c.LiveKit.JoinInterval, c.LiveKit.MaxPendingDevices = 4, time.Minute, 2
	})
	alice, bob := env.Login("alice"), env.Login("bob")
	alice.Join("general", "d1")
	alice.Join("general", "d2")
	// A third unconfirmed device is one too many; asking again for one of
	// the two is not.
	st, raw := alice.Raw("POST", "/api/rooms/general/call/join", map[string]string{"device_id": "d3"})
	if st != 429 || !strings.Contains(string(raw), chatto.ERATELIMITED) {
		t.Fatalf("third pending device = %d %s, want 429 rate_limited", st, raw)
	}
	alice.Join("general", "d1")
	// The join budget (4) is spent now; bob's is his own.
	req, _ := http.NewRequest("POST", env.BaseURL+"/api/rooms/general/call/join", strings.NewReader(`{"device_id":"d1"}`))
	req.Header.Set("Authorization", "Bearer "+alice.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", env.BaseURL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fifth join = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	bob.Join("general", "b")
	clk.Advance(time.Minute)
	alice.Join("general", "d2") // one join earned back
}
