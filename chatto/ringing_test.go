package chatto_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/clock"
)

// ringEnv starts the product with a clock the test moves by hand.
func ringEnv(t *testing.T, opts ...calltest.Option) (*calltest.Env, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(time.Now())
	return calltest.StartWithClock(t, clk, opts...), clk
}

func decode[T any](t *testing.T, ev calltest.StreamEvent) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(ev.Data), &v); err != nil {
		t.Fatalf("decode %s %q: %v", ev.Type, ev.Data, err)
	}
	return v
}

func inRoom(room string) func(string) bool {
	return func(data string) bool {
		var v struct {
			RoomID string `json:"room_id"`
		}
		json.Unmarshal([]byte(data), &v)
		return v.RoomID == room
	}
}

// callEvents returns the kinds (with reason or outcome) of a call's log.
func callLog(t *testing.T, env *calltest.Env, callID string) []eventlog.Event {
	t.Helper()
	evs, err := env.Main.Store().CallEvents(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func countKind(evs []eventlog.Event, k eventlog.Kind, reason string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k && (reason == "" || e.Reason == reason) {
			n++
		}
	}
	return n
}

// endedNotice returns the call_ended notice of a call in a room's timeline.
func endedNotice(t *testing.T, c *calltest.Client, room, callID string) *chatto.Notice {
	t.Helper()
	for _, n := range notices(messages(t, c, room)) {
		if n.CallID == callID && n.Kind == chatto.NoticeCallEnded {
			return &n
		}
	}
	return nil
}

func TestDirectCallRingsEveryDeviceOfTheCalleeAndAcceptConnectsBoth(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	bobPhone, bobLaptop, aliceEvents := calltest.Stream(t, env, bob), calltest.Stream(t, env, bob), calltest.Stream(t, env, alice)
	started := clk.Now()

	ja := alice.JoinAs("alice-bob", "a", "audio")
	if v := ja.Call; v.Type != "audio" || v.State != chatto.StateRinging || v.CreatedBy != "alice" ||
		len(v.Ringing) != 1 || v.Ringing[0].UserID != "bob" || v.Ringing[0].Busy {
		t.Fatalf("call after the first join = %+v", v)
	}
	if want := started.Add(45 * time.Second); !ja.Call.Ringing[0].ExpiresAt.Equal(want.Truncate(time.Millisecond)) {
		t.Fatalf("ring expires at %v, want %v (ring_timeout after the join)", ja.Call.Ringing[0].ExpiresAt, want)
	}
	for name, events := range map[string]<-chan calltest.StreamEvent{"phone": bobPhone, "laptop": bobLaptop} {
		r := decode[chatto.RingingEvent](t, calltest.Next(t, events, wait, chatto.EventCallRinging, nil))
		if r.RoomID != "alice-bob" || r.Caller != (chatto.User{ID: "alice", Name: "Alice"}) || r.Busy ||
			r.Call == nil || r.Call.ID != ja.CallID || r.Call.Type != "audio" || !r.ExpiresAt.Equal(ja.Call.Ringing[0].ExpiresAt) {
			t.Fatalf("bob's %s got %+v", name, r)
		}
	}
	calltest.None(t, aliceEvents, 200*time.Millisecond, chatto.EventCallRinging)

	calltest.Connect(t, ja)
	jb := bob.JoinAs("alice-bob", "b", "video") // the accept; the type stays audio
	if jb.CallID != ja.CallID || jb.Call.Type != "audio" || jb.Call.State != chatto.StateActive || len(jb.Call.Ringing) != 0 {
		t.Fatalf("bob's join = %+v", jb.Call)
	}
	for name, events := range map[string]<-chan calltest.StreamEvent{"phone": bobPhone, "laptop": bobLaptop, "alice": aliceEvents} {
		s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, events, wait, chatto.EventCallRingStopped, nil))
		if s != (chatto.RingStoppedEvent{Type: chatto.EventCallRingStopped, RoomID: "alice-bob", CallID: ja.CallID, UserID: "bob", Reason: "accepted"}) {
			t.Fatalf("%s got %+v", name, s)
		}
	}
	calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "alice and bob connected in LiveKit",
		connected(alice, "alice-bob", map[string]bool{"alice#a": true, "bob#b": true}))

	// Time passing after the accept changes nothing.
	clk.Advance(time.Hour)
	time.Sleep(200 * time.Millisecond)
	if v := alice.Call("alice-bob"); v == nil || v.State != chatto.StateActive || len(v.Participants) != 2 {
		t.Fatalf("call after the ring deadline passed = %+v", v)
	}
	if n := countKind(callLog(t, env, ja.CallID), eventlog.RingStopped, ""); n != 1 {
		t.Fatalf("%d ring_stopped facts, want exactly the accept", n)
	}
}

func TestDeclineEndsTheDirectCallAsDeclinedOrBusy(t *testing.T) {
	for _, tc := range []struct {
		body    any
		outcome string
		caller  string
		callee  string
	}{
		{nil, "declined", "Bob declined", "You declined a video call from Alice"},
		{map[string]string{"reason": "busy"}, "busy", "Bob is busy", "You were busy when Alice called"},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			env, _ := ringEnv(t)
			alice, bob := env.Login("alice"), env.Login("bob")
			aliceEvents, bobEvents := calltest.Stream(t, env, alice), calltest.Stream(t, env, bob)
			ja := alice.JoinAs("alice-bob", "a", "video")
			room := calltest.Connect(t, ja)
			calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil)

			if st, code := env.Login("carol").Post("/api/rooms/alice-bob/call/decline", nil); st != 403 || code != chatto.EFORBIDDEN {
				t.Fatalf("decline by a non-member = %d %s", st, code)
			}
			if st, code := bob.Post("/api/rooms/alice-bob/call/decline", tc.body); st != 200 {
				t.Fatalf("decline = %d %s", st, code)
			}
			for _, events := range []<-chan calltest.StreamEvent{aliceEvents, bobEvents} {
				if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, events, wait, chatto.EventCallRingStopped, nil)); s.Reason != "declined" {
					t.Fatalf("ring stopped as %q", s.Reason)
				}
				ended := decode[chatto.CallEvent](t, calltest.Next(t, events, wait, chatto.EventCallEnded, nil))
				if ended.Call.Outcome != tc.outcome || ended.Call.ID != ja.CallID {
					t.Fatalf("call.ended = %+v", ended.Call)
				}
			}
			if v := alice.Call("alice-bob"); v != nil {
				t.Fatalf("call still active after decline: %+v", v)
			}
			n := endedNotice(t, alice, "alice-bob", ja.CallID)
			if n == nil || n.Outcome != tc.outcome || n.TextFor("alice") != tc.caller || n.TextFor("bob") != tc.callee {
				t.Fatalf("ended notice = %+v", n)
			}
			key := mustKey(t, ja.E2EEKey)
			if env.KeyOnDisk(key) {
				t.Fatal("key of the declined call is still on disk")
			}
			// The caller's device is taken out of LiveKit with the room.
			calltest.Eventually(t, wait, "alice disconnected from the deleted room", func() bool {
				return room.ConnectionState() == lksdk.ConnectionStateDisconnected
			})
			if st, code := bob.Post("/api/rooms/alice-bob/call/decline", nil); st != 409 || code != chatto.ENOCALL {
				t.Fatalf("second decline = %d %s, want 409 no_call", st, code)
			}
		})
	}
}

func TestCallerHangingUpBeforeAnAnswerCancelsTheCall(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	bobEvents := calltest.Stream(t, env, bob)
	ja := alice.JoinAs("alice-bob", "a", "video")
	calltest.Connect(t, ja)
	calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil)

	alice.Leave("alice-bob", "a")
	if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRingStopped, nil)); s.Reason != "cancelled" {
		t.Fatalf("ring stopped as %q, want cancelled", s.Reason)
	}
	if ended := decode[chatto.CallEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallEnded, nil)); ended.Call.Outcome != "cancelled" {
		t.Fatalf("outcome %q, want cancelled", ended.Call.Outcome)
	}
	n := endedNotice(t, bob, "alice-bob", ja.CallID)
	if n == nil || n.TextFor("bob") != "Missed video call from Alice (cancelled)" || n.TextFor("alice") != "You cancelled the call" {
		t.Fatalf("ended notice = %+v", n)
	}
	evs := callLog(t, env, ja.CallID)
	if last := evs[len(evs)-1]; last.Kind != eventlog.CallEnded || last.Outcome != eventlog.OutcomeCancelled {
		t.Fatalf("last fact = %+v", last)
	}
}

func mustKey(t *testing.T, b64 string) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) != chatto.KeySize {
		t.Fatalf("bad key: %v", err)
	}
	return key
}
