package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

const tokenTTL = 7 * time.Minute

// checkScope decodes a join token and checks that it lets its holder
// join that call's LiveKit room as that identity, for no longer than
// token_ttl, and nothing else.
func checkScope(t *testing.T, j *chatto.JoinResult, listener bool) *auth.ClaimGrants {
	t.Helper()
	v, err := auth.ParseAPIToken(j.Token)
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	if v.APIKey() != calltest.APIKey {
		t.Errorf("token issued by key %q, want %q", v.APIKey(), calltest.APIKey)
	}
	reg, g, err := v.Verify(calltest.APISecret)
	if err != nil {
		t.Fatalf("verify token: %v", err)
	}
	if g.Identity != j.Identity || reg.Subject != j.Identity {
		t.Errorf("identity %q / subject %q, want %q", g.Identity, reg.Subject, j.Identity)
	}

	// Lifetime: within token_ttl, and what the API said.
	if reg.ExpiresAt == nil || reg.NotBefore == nil {
		t.Fatalf("token without exp or nbf: %+v", reg)
	}
	if life := reg.ExpiresAt.Sub(reg.NotBefore.Time); life <= 0 || life > tokenTTL {
		t.Errorf("token lives %s, want at most token_ttl %s", life, tokenTTL)
	}
	if until := time.Until(reg.ExpiresAt.Time); until > tokenTTL+time.Second {
		t.Errorf("token expires in %s, more than token_ttl %s", until, tokenTTL)
	}
	if d := reg.ExpiresAt.Sub(j.ExpiresAt); d > time.Second || d < -time.Second {
		t.Errorf("token exp %s, API said expires_at %s", reg.ExpiresAt.Time, j.ExpiresAt)
	}

	// One room, join only.
	vg := g.Video
	if vg == nil {
		t.Fatal("token without a video grant")
	}
	if !vg.RoomJoin || vg.Room != j.LiveKitRoom || vg.Room == "" {
		t.Errorf("roomJoin %v to %q, want true to this call's room %q", vg.RoomJoin, vg.Room, j.LiveKitRoom)
	}
	for name, granted := range map[string]bool{
		"roomAdmin": vg.RoomAdmin, "roomCreate": vg.RoomCreate, "roomList": vg.RoomList, "roomRecord": vg.RoomRecord,
		"ingressAdmin": vg.IngressAdmin, "agent": vg.Agent, "hidden": vg.Hidden, "recorder": vg.Recorder,
		"destinationRoom":      vg.DestinationRoom != "",
		"canUpdateOwnMetadata": vg.GetCanUpdateOwnMetadata(), "canManageAgentSession": vg.GetCanManageAgentSession(),
		"sip": g.SIP != nil, "agent (grant)": g.Agent != nil, "inference": g.Inference != nil,
		"observability": g.Observability != nil, "roomPreset": g.RoomPreset != "",
	} {
		if granted {
			t.Errorf("token grants %s", name)
		}
	}
	if !vg.GetCanSubscribe() {
		t.Error("token cannot subscribe")
	}
	// The room's limits, for LiveKit to apply when this connection creates
	// the room, and nothing more (no agents, egress, metadata or tags).
	def := config.New().LiveKit
	if rc := g.RoomConfig; rc == nil || rc.MaxParticipants != uint32(def.MaxParticipants) ||
		rc.EmptyTimeout != uint32(def.EmptyTimeout/time.Second) || rc.DepartureTimeout != uint32(def.DepartureTimeout/time.Second) ||
		rc.Agents != nil || rc.Egress != nil || rc.Metadata != "" || len(rc.Tags) != 0 || rc.Name != "" ||
		rc.MinPlayoutDelay != 0 || rc.MaxPlayoutDelay != 0 || rc.SyncStreams {
		t.Errorf("room configuration %v, want exactly the configured limits", rc)
	}
	// Publishing: speakers their camera, microphone and screen; listeners
	// nothing at all (an empty source list would mean "any source").
	if listener {
		if vg.GetCanPublish() || len(vg.CanPublishSources) > 0 || (vg.CanPublish == nil) {
			t.Errorf("listener token: canPublish %v, sources %v; want an explicit false and none", vg.CanPublish, vg.CanPublishSources)
		}
	} else {
		want := []string{"camera", "microphone", "screen_share", "screen_share_audio"}
		got := slices.Clone(vg.CanPublishSources)
		slices.Sort(got)
		if !vg.GetCanPublish() || !slices.Equal(got, want) {
			t.Errorf("speaker token: canPublish %v, sources %v; want true and %v", vg.GetCanPublish(), got, want)
		}
	}
	return g
}

func TestJoinTokensGrantOnlyThatCallsRoomWithinTheTTL(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.TokenTTL = tokenTTL })
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	speaker := alice.Join("general", "a")
	var listener chatto.JoinResult
	if st := carol.Do("POST", "/api/rooms/general/call/join", map[string]string{"device_id": "c", "role": "listener"}, &listener); st != 200 {
		t.Fatalf("listener join: %d", st)
	}
	other := bob.Join("design", "b")
	var refreshed chatto.JoinResult
	if st := alice.Do("POST", "/api/rooms/general/call/token", map[string]string{"device_id": "a"}, &refreshed); st != 200 {
		t.Fatalf("token refresh: %d", st)
	}

	checkScope(t, speaker, false)
	checkScope(t, &refreshed, false)
	checkScope(t, &listener, true)
	checkScope(t, other, false)
	if speaker.LiveKitRoom == other.LiveKitRoom {
		t.Fatalf("two calls share the LiveKit room %q", speaker.LiveKitRoom)
	}

	// LiveKit agrees: the speaker's token opens its own room and no other.
	calltest.Connect(t, other)
	ra := calltest.Connect(t, speaker)
	if ra.Name() != speaker.LiveKitRoom {
		t.Fatalf("connected to %q, want %q", ra.Name(), speaker.LiveKitRoom)
	}
	forged := withRoom(t, speaker.Token, other.LiveKitRoom)
	start := time.Now()
	r, err := lksdk.ConnectToRoomWithToken(speaker.LiveKitURL, forged, lksdk.NewRoomCallback(),
		lksdk.WithConnectTimeout(10*time.Second), lksdk.WithDisableRegionDiscovery(), lksdk.WithAutoSubscribe(false))
	if err == nil {
		r.Disconnect()
		t.Fatalf("LiveKit let a token for %s into %s", speaker.LiveKitRoom, other.LiveKitRoom)
	}
	if !strings.Contains(err.Error(), "signature is invalid") {
		t.Fatalf("forged token refused for another reason than its signature") // the error quotes the token: not shown
	}
	t.Logf("a token rewritten to another call's room is refused by LiveKit in %s: invalid signature", time.Since(start).Round(time.Millisecond))
	admin := lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inOther, err := admin.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: other.LiveKitRoom})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range inOther.GetParticipants() {
		if p.GetIdentity() != other.Identity {
			t.Fatalf("%s is in the other call's room", p.GetIdentity())
		}
	}

	// Nor does it work as an API credential against LiveKit's RoomService.
	for _, call := range []struct{ method, body string }{
		{"ListRooms", `{}`},
		{"ListParticipants", `{"room":"` + other.LiveKitRoom + `"}`},
		{"ListParticipants", `{"room":"` + speaker.LiveKitRoom + `"}`},
		{"RemoveParticipant", `{"room":"` + other.LiveKitRoom + `","identity":"` + other.Identity + `"}`},
		{"CreateRoom", `{"name":"chatto_general_forged"}`},
		{"UpdateParticipant", `{"room":"` + speaker.LiveKitRoom + `","identity":"` + listener.Identity + `","permission":{"canPublish":true,"canSubscribe":true}}`},
	} {
		if st := roomService(t, env, speaker.Token, call.method, call.body); st != http.StatusUnauthorized && st != http.StatusForbidden {
			t.Errorf("RoomService %s with a join token: status %d, want 401 or 403", call.method, st)
		}
	}

	// LiveKit holds a listener to its token: no publishing at all. (That
	// LiveKit then refuses a listener's track is proven end to end in
	// chatto's TestRolesAreEnforcedByLiveKitAndChangeLive; an attempt
	// takes the SDK's 10 s publish timeout.)
	calltest.Connect(t, &listener)
	inCall, err := admin.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: speaker.LiveKitRoom})
	if err != nil {
		t.Fatal(err)
	}
	perms := map[string]*lkproto.ParticipantPermission{}
	for _, p := range inCall.GetParticipants() {
		perms[p.GetIdentity()] = p.GetPermission()
	}
	if p := perms[listener.Identity]; p == nil || p.GetCanPublish() || len(p.GetCanPublishSources()) > 0 || !p.GetCanSubscribe() {
		t.Fatalf("LiveKit's permissions for the listener: %v", p)
	}
	if p := perms[speaker.Identity]; p == nil || !p.GetCanPublish() || p.GetCanUpdateMetadata() || p.GetHidden() || p.GetRecorder() {
		t.Fatalf("LiveKit's permissions for the speaker: %v", p)
	}
}

// withRoom returns token with its room grant changed to room and its
// signature kept: what a client would have to do to reach another room.
func withRoom(t *testing.T, token, room string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["video"].(map[string]any)["room"] = room
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// roomService calls a LiveKit RoomService method with token and returns
// the status.
func roomService(t *testing.T, env *calltest.Env, token, method, body string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", env.LK.HTTPURL()+"/twirp/livekit.RoomService/"+method, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("RoomService %s: %v", method, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
