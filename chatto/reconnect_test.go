package chatto_test

import (
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

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
