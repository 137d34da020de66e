package chatto_test

import (
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
)

// TestReconnectWithTheSameIdentityKeepsTheCall: alone in a call, the same
// identity connects again (a reload or a network change reusing the
// token). LiveKit closes the old session with DUPLICATE_IDENTITY; that
// leave must not end the call, shred its key or delete the room under
// the new session.
func TestReconnectWithTheSameIdentityKeepsTheCall(t *testing.T) {
	env, _ := ringEnv(t)
	alice := env.Login("alice")
	j := alice.Join("general", "a")
	first := calltest.Connect(t, j)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))
	firstSID := first.LocalParticipant.SID()

	second := calltest.Connect(t, j)
	secondSID := second.LocalParticipant.SID()
	if secondSID == firstSID || secondSID == "" {
		t.Fatalf("second connection has session %q (first %q)", secondSID, firstSID)
	}
	calltest.Eventually(t, wait, "LiveKit's leave of the replaced session and the new join are in the log", func() bool {
		var left, joined bool
		for _, e := range callLog(t, env, j.CallID) {
			left = left || (e.Kind == eventlog.ParticipantLeft && e.SID == firstSID)
			joined = joined || (e.Kind == eventlog.ParticipantJoined && e.SID == secondSID)
		}
		return left && joined
	})
	for _, e := range callLog(t, env, j.CallID) {
		if e.Kind == eventlog.CallEnded {
			t.Fatalf("the call ended when its only device reconnected: %+v", e)
		}
		if e.Kind == eventlog.ParticipantLeft && e.SID == firstSID && (e.Reason != eventlog.ReasonReplaced || e.Detail != "DUPLICATE_IDENTITY") {
			t.Fatalf("the replaced session's leave is recorded as %s/%s, want replaced/DUPLICATE_IDENTITY", e.Reason, e.Detail)
		}
	}
	calltest.Eventually(t, wait, "the new session is the participant", func() bool {
		v := alice.Call("general")
		return v != nil && len(v.Participants) == 1 && v.Participants[0].Connected
	})
	time.Sleep(500 * time.Millisecond)
	if second.ConnectionState() == lksdk.ConnectionStateDisconnected {
		t.Fatal("the new session was kicked")
	}
	if !env.KeyOnDisk(mustKey(t, j.E2EEKey)) {
		t.Fatal("the live call's key is gone from the database")
	}
	if v := alice.Call("general"); v == nil || v.ID != j.CallID {
		t.Fatalf("call after the reconnect = %+v", v)
	}
}

// TestAFullReconnectLiveKitAsksForKeepsTheCall: LiveKit closes a session
// and tells its client to connect again with a new one (what it does when
// a negotiation fails: participant_left with STATE_MISMATCH; CI once saw
// this end a call whose only device was going through it, shredding the
// key under the reconnecting page). The device stays pending: its new
// session carries on the call. One that never comes back is dropped when
// the join grace runs out, which ends the call as any last leave does.
// The leave is a signed webhook sent beside the real LiveKit, which cannot
// be made to fail a negotiation on demand.
func TestAFullReconnectLiveKitAsksForKeepsTheCall(t *testing.T) {
	env, clk := ringEnv(t)
	alice := env.Login("alice")
	p := poster{t, env.BaseURL + "/webhooks/livekit"}
	stateMismatch := func(id, room, identity, sid string) {
		t.Helper()
		ev := &lkproto.WebhookEvent{Id: id, Event: webhook.EventParticipantLeft, Room: &lkproto.Room{Name: room}, CreatedAt: time.Now().Unix(),
			Participant: &lkproto.ParticipantInfo{Identity: identity, Sid: sid, DisconnectReason: lkproto.DisconnectReason_STATE_MISMATCH}}
		raw, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if st, body := p.send(signedWebhook(t, p.url, raw, calltest.APISecret)); st != 200 {
			t.Fatalf("participant_left: %d %s", st, body)
		}
	}

	// joinThenDropped connects a device of Alice's for real, then has
	// LiveKit "ask it to reconnect".
	joinThenDropped := func(t *testing.T, device string) (*chatto.JoinResult, *lksdk.Room, string) {
		t.Helper()
		j := alice.Join("general", device)
		c := calltest.Connect(t, j)
		calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{j.Identity: true}))
		sid := c.LocalParticipant.SID()
		stateMismatch("EV_sm_"+device, j.LiveKitRoom, j.Identity, sid)
		return j, c, sid
	}

	t.Run("the client comes back", func(t *testing.T) {
		j, _, firstSID := joinThenDropped(t, "a")
		v := alice.Call("general")
		if v == nil || v.ID != j.CallID || len(v.Participants) != 1 || v.Participants[0].Connected {
			t.Fatalf("after LiveKit asked alice#a to reconnect, the call is %+v; want it running with alice#a pending", v)
		}
		second := calltest.Connect(t, j)
		calltest.Eventually(t, wait, "the new session is the participant", func() bool {
			v := alice.Call("general")
			return v != nil && v.ID == j.CallID && len(v.Participants) == 1 && v.Participants[0].Connected
		})
		if !env.KeyOnDisk(mustKey(t, j.E2EEKey)) {
			t.Fatal("the call's key is gone although its device reconnected")
		}
		var reasons []string
		for _, e := range callLog(t, env, j.CallID) {
			if e.Kind == eventlog.CallEnded {
				t.Fatalf("the call ended while its only device reconnected: %+v", e)
			}
			if e.Kind == eventlog.ParticipantLeft && e.SID == firstSID {
				reasons = append(reasons, e.Reason+"/"+e.Detail)
			}
		}
		if len(reasons) == 0 || reasons[0] != eventlog.ReasonReconnect+"/STATE_MISMATCH" {
			t.Fatalf("the first session's leave is recorded as %v, want reconnect/STATE_MISMATCH first", reasons)
		}
		second.Disconnect()
		calltest.Eventually(t, wait, "the call ends when the device leaves", func() bool { return alice.Call("general") == nil })
	})

	t.Run("the client never comes back", func(t *testing.T) {
		j, c, _ := joinThenDropped(t, "b")
		// The page is gone for good: its session ends without a word
		// LiveKit would pass on (that leave names the old session).
		c.Disconnect()
		calltest.Eventually(t, wait, "LiveKit no longer has the old session", func() bool {
			return !inLiveKit(t, env, j.LiveKitRoom, "alice#b")
		})
		if v := alice.Call("general"); v == nil || v.ID != j.CallID {
			t.Fatalf("the call ended before the join grace ran out: %+v", v)
		}
		clk.Advance(31 * time.Second)
		calltest.Eventually(t, wait, "the grace drops the device and the call ends", func() bool { return alice.Call("general") == nil })
		var dropped bool
		for _, e := range callLog(t, env, j.CallID) {
			dropped = dropped || (e.Kind == eventlog.ParticipantLeft && e.Identity == "alice#b" && e.Reason == eventlog.ReasonGraceExpired)
		}
		if !dropped {
			t.Fatalf("no grace_expired leave for alice#b in %v", callLog(t, env, j.CallID))
		}
	})
}
