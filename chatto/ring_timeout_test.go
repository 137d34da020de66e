package chatto_test

import (
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
)

func TestUnansweredRingEndsAsMissedAtTheTimeout(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	aliceEvents, bobEvents := calltest.Stream(t, env, alice), calltest.Stream(t, env, bob)
	ja := alice.JoinAs("alice-bob", "a", "video")
	room := calltest.Connect(t, ja)
	calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil)

	clk.Advance(44 * time.Second)
	calltest.None(t, bobEvents, 300*time.Millisecond, chatto.EventCallRingStopped)
	if v := alice.Call("alice-bob"); v == nil || v.State != chatto.StateRinging || len(v.Ringing) != 1 {
		t.Fatalf("call 1s before the deadline = %+v", v)
	}

	clk.Advance(time.Second)
	for name, events := range map[string]<-chan calltest.StreamEvent{"alice": aliceEvents, "bob": bobEvents} {
		if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, events, wait, chatto.EventCallRingStopped, nil)); s.Reason != "missed" || s.UserID != "bob" {
			t.Fatalf("%s: ring stopped %+v", name, s)
		}
		if e := decode[chatto.CallEvent](t, calltest.Next(t, events, wait, chatto.EventCallEnded, nil)); e.Call.Outcome != "missed" {
			t.Fatalf("%s: call ended %+v", name, e.Call)
		}
	}
	n := endedNotice(t, bob, "alice-bob", ja.CallID)
	if n == nil || n.TextFor("bob") != "Missed video call from Alice" || n.TextFor("alice") != "Bob didn't answer" || n.Outcome != "missed" {
		t.Fatalf("missed-call notice = %+v", n)
	}
	evs := callLog(t, env, ja.CallID)
	if countKind(evs, eventlog.RingStopped, eventlog.RingMissed) != 1 || countKind(evs, eventlog.CallEnded, "") != 1 {
		t.Fatalf("log of the missed call: %+v", evs)
	}
	for _, e := range evs {
		if e.Kind == eventlog.RingStopped && e.Source != eventlog.SourceTimer {
			t.Fatalf("missed ring recorded with source %s, want timer", e.Source)
		}
	}
	calltest.Eventually(t, wait, "the caller's device left the deleted LiveKit room", func() bool {
		return room.ConnectionState() == lksdk.ConnectionStateDisconnected
	})
}

func TestRingSurvivesARestartAndTimesOutOnce(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ja := alice.JoinAs("alice-bob", "a", "audio")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "alice-bob", map[string]bool{"alice#a": true}))
	expires := ja.Call.Ringing[0].ExpiresAt

	env.StopServer()
	clk.Advance(20 * time.Second)
	env.StartServer()
	bobEvents := calltest.Stream(t, env, bob)
	v := bob.Call("alice-bob")
	if v == nil || v.State != chatto.StateRinging || len(v.Ringing) != 1 || !v.Ringing[0].ExpiresAt.Equal(expires) {
		t.Fatalf("after a restart mid-ring the call is %+v; want it still ringing until %v", v, expires)
	}

	clk.Advance(25 * time.Second)
	if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRingStopped, nil)); s.Reason != "missed" {
		t.Fatalf("ring stopped as %q after the resumed deadline", s.Reason)
	}
	calltest.Eventually(t, wait, "call ended", func() bool { return bob.Call("alice-bob") == nil })

	env.StopServer()
	env.StartServer()
	time.Sleep(300 * time.Millisecond) // the restarted service's first pass
	evs := callLog(t, env, ja.CallID)
	if countKind(evs, eventlog.RingStopped, "") != 1 || countKind(evs, eventlog.CallEnded, "") != 1 {
		t.Fatalf("after a second restart the log holds %+v", evs)
	}
}

func TestRingThatExpiredWhileTheServerWasDownEndsMissedOnceWithItsNotice(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ja := alice.JoinAs("alice-bob", "a", "video")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "alice-bob", map[string]bool{"alice#a": true}))

	env.StopServer()
	clk.Advance(10 * time.Minute)
	env.StartServer()
	bobEvents := calltest.Stream(t, env, bob)
	// The ring is over the moment the server is back, even before the
	// timer loop records it: nothing may show it again.
	if v := bob.Call("alice-bob"); v != nil && len(v.Ringing) != 0 {
		t.Fatalf("a ring past its deadline is shown after the restart: %+v", v.Ringing)
	}
	calltest.Eventually(t, wait, "call ended as missed", func() bool { return bob.Call("alice-bob") == nil })
	calltest.None(t, bobEvents, 500*time.Millisecond, chatto.EventCallRinging)

	evs := callLog(t, env, ja.CallID)
	if countKind(evs, eventlog.RingStopped, eventlog.RingMissed) != 1 || countKind(evs, eventlog.CallEnded, "") != 1 ||
		evs[len(evs)-1].Outcome != eventlog.OutcomeMissed {
		t.Fatalf("log after the restart: %+v", evs)
	}
	var missed int
	for _, m := range messages(t, bob, "alice-bob") {
		if m.Notice != nil && m.Notice.CallID == ja.CallID && m.Notice.Kind == chatto.NoticeCallEnded {
			missed++
			if m.Notice.TextFor("bob") != "Missed video call from Alice" {
				t.Fatalf("notice reads %q for bob", m.Notice.TextFor("bob"))
			}
		}
	}
	if missed != 1 {
		t.Fatalf("%d missed-call notices, want 1", missed)
	}
	if env.KeyOnDisk(mustKey(t, ja.E2EEKey)) {
		t.Fatal("the missed call's key is still on disk")
	}
}
