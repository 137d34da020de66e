package chatto_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// These tests reorder, hold and drop LiveKit's webhooks for one device
// (through the relay) while real lksdk sessions come and go, and check
// that the call view follows LiveKit's truth. The service runs on a
// hand-moved clock, so the join grace never settles anything for them.

// waitHeld waits until the relay holds LiveKit's event for a session.
func waitHeld(t *testing.T, env *calltest.Env, event, sid string) {
	t.Helper()
	calltest.Eventually(t, wait, "LiveKit sent "+event+" for "+sid, func() bool {
		return slices.ContainsFunc(env.Relay.Held(), func(h calltest.Held) bool { return h.Event == event && h.SID == sid })
	})
}

func heldFor(identity string) func(calltest.Held) bool {
	return func(h calltest.Held) bool { return h.Identity == identity }
}

// A device reloads (new token, new session) while LiveKit's webhooks for
// it are late and arrive in the worst order: the new session's join, the
// old session's late join, the old session's leave. The device must end
// up connected with its new session.
func TestLateWebhooksOfAnOldSessionNeverReplaceTheNewOne(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))

	env.Relay.Hold(heldFor("bob#b"))
	first := calltest.Connect(t, bob.Join("general", "b"))
	oldSID := first.LocalParticipant.SID()
	// LiveKit sends participant_joined once a session is active (media
	// connected), which can lag behind the SDK's connect under load; a
	// session replaced before that never gets one.
	waitHeld(t, env, "participant_joined", oldSID)
	second := calltest.Connect(t, bob.Join("general", "b")) // the reload
	newSID := second.LocalParticipant.SID()
	waitHeld(t, env, "participant_joined", newSID)
	waitHeld(t, env, "participant_left", oldSID)
	env.Relay.Hold(nil)
	statuses := env.Relay.Release(func(hs []calltest.Held) []calltest.Held {
		pick := func(event, sid string) calltest.Held {
			for _, h := range hs {
				if h.Event == event && h.SID == sid {
					return h
				}
			}
			t.Fatalf("no held %s for %s", event, sid)
			return calltest.Held{}
		}
		return []calltest.Held{pick("participant_joined", newSID), pick("participant_joined", oldSID), pick("participant_left", oldSID)}
	})
	if slices.ContainsFunc(statuses, func(st int) bool { return st != 200 }) {
		t.Fatalf("server answers to the released webhooks: %v", statuses)
	}
	calltest.Eventually(t, wait, "bob connected with his new session", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	time.Sleep(200 * time.Millisecond)
	if !connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true})() {
		t.Fatalf("bob's connected device vanished: %+v", alice.Call("general"))
	}
	if second.ConnectionState() == lksdk.ConnectionStateDisconnected {
		t.Fatal("bob's new session was disconnected")
	}
}

// A user leaves with the API and comes back on a new session; LiveKit's
// join of the old session arrives after all that. The leave recorded the
// old session, so its late join cannot bring it back, and its late leave
// cannot remove the new one.
func TestLeaveRecordsTheSessionSoItsLateWebhooksChangeNothing(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	first := calltest.Connect(t, bob.Join("general", "b"))
	oldSID := first.LocalParticipant.SID()
	calltest.Eventually(t, wait, "bob connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))

	env.Relay.Hold(heldFor("bob#b"))
	first.Disconnect()
	bob.Leave("general", "b")
	evs := callLog(t, env, alice.Call("general").ID)
	if last := evs[len(evs)-1]; last.Kind != eventlog.ParticipantLeft || last.SID != oldSID {
		t.Fatalf("the API leave is recorded as %+v; want it to name session %s", last, oldSID)
	}
	second := calltest.Connect(t, bob.Join("general", "b"))
	waitHeld(t, env, "participant_left", oldSID)
	waitHeld(t, env, "participant_joined", second.LocalParticipant.SID())
	env.Relay.Hold(nil)
	held := env.Relay.Held()
	// The new join first, then the old session's events, twice over.
	env.Relay.Release(func(hs []calltest.Held) []calltest.Held {
		var out, old []calltest.Held
		for _, h := range hs {
			if h.SID == second.LocalParticipant.SID() {
				out = append(out, h)
			} else {
				old = append(old, h)
			}
		}
		return append(append(out, old...), old...)
	})
	calltest.Eventually(t, wait, "bob connected again", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
	if v := alice.Call("general"); v.Participants[1].Identity != "bob#b" && v.Participants[0].Identity != "bob#b" {
		t.Fatalf("call = %+v (held %d)", v, len(held))
	}
}

// A device whose participant_joined webhook was lost connects and leaves:
// its participant_left (for its only session) removes it at once, not
// when the join grace runs out.
func TestAPendingDevicesOwnLeaveRemovesIt(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	env.Relay.Drop(func(ev string) bool { return ev == "participant_joined" })
	rb := calltest.Connect(t, bob.Join("general", "b"))
	calltest.Eventually(t, wait, "bob in LiveKit", func() bool { return inLiveKit(t, env, rb.Name(), "bob#b") })
	if !connected(alice, "general", map[string]bool{"alice#a": false, "bob#b": false})() &&
		!connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": false})() {
		t.Fatalf("bob should be pending: %+v", alice.Call("general"))
	}
	rb.Disconnect()
	calltest.Eventually(t, wait, "bob removed by his own leave", func() bool {
		for _, p := range alice.Call("general").Participants {
			if p.UserID == "bob" {
				return false
			}
		}
		return true
	})
}

// One device flaps: twenty sessions in about ten seconds, some replacing
// the previous session with the same token (LiveKit's
// DUPLICATE_IDENTITY), some as reloads with a fresh token, alone in the
// call and with someone else. The call never ends while the device is
// connected, its key stays, and the view ends equal to LiveKit's.
func TestAFlappingDeviceNeverEndsTheCallAndConverges(t *testing.T) {
	for _, alone := range []bool{true, false} {
		t.Run(fmt.Sprintf("alone=%v", alone), func(t *testing.T) {
			env, _ := ringEnv(t)
			alice, bob := env.Login("alice"), env.Login("bob")
			want := map[string]bool{"bob#b": true}
			if !alone {
				calltest.Connect(t, alice.Join("general", "a"))
				want["alice#a"] = true
			}
			j := bob.Join("general", "b")
			callID := j.CallID
			var rooms []*lksdk.Room
			for i := range 20 {
				if i%3 == 2 {
					j = bob.Join("general", "b") // a reload asks for a new token first
				}
				rooms = append(rooms, calltest.Connect(t, j))
				time.Sleep(time.Duration(200+i*13%150) * time.Millisecond)
			}
			last := rooms[len(rooms)-1]
			calltest.Eventually(t, wait, "the view equals LiveKit", connected(alice, "general", want))
			time.Sleep(time.Second)
			if !connected(alice, "general", want)() || last.ConnectionState() == lksdk.ConnectionStateDisconnected {
				t.Fatalf("after settling: view %+v, last session %s", alice.Call("general"), last.ConnectionState())
			}
			if v := alice.Call("general"); v == nil || v.ID != callID {
				t.Fatalf("the call changed: %+v, want %s", v, callID)
			}
			if countKind(callLog(t, env, callID), eventlog.CallEnded, "") != 0 {
				t.Fatal("the call ended while the device was connected")
			}
			if !env.KeyOnDisk(mustKey(t, j.E2EEKey)) {
				t.Fatal("the live call's key is gone")
			}
			lk, err := roomService(env).ListParticipants(t.Context(), listReq(j.LiveKitRoom))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range lk.GetParticipants() {
				ids = append(ids, p.GetIdentity())
			}
			if len(ids) != len(want) {
				t.Fatalf("LiveKit has %v, the call view %+v", ids, alice.Call("general"))
			}
		})
	}
}

// A call that starts while a reconcile is between its two reads (the
// calls and LiveKit's rooms) is not taken for gone.
func TestACallStartedDuringAReconcileIsKept(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	started := make(chan string)
	chatto.SetReconcilePause(env.Service(), func() {
		j := alice.Join("general", "a")
		calltest.Connect(t, j)
		calltest.Eventually(t, wait, "alice connected", connected(bob, "general", map[string]bool{"alice#a": true}))
		started <- j.CallID
	})
	done := make(chan error)
	go func() { done <- env.Service().Reconcile(t.Context()) }()
	callID := <-started
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	chatto.SetReconcilePause(env.Service(), nil)
	if v := bob.Call("general"); v == nil || v.ID != callID {
		t.Fatalf("the call started during the reconcile is %+v, want %s still running", v, callID)
	}
	if countKind(callLog(t, env, callID), eventlog.CallEnded, "") != 0 {
		t.Fatal("reconcile ended a call that started while it ran")
	}
}

// Two servers share one LiveKit project: neither's reconcile touches the
// other's rooms, and a server deletes only rooms whose call is in its own
// log, even under its own prefix.
func TestServersSharingALiveKitProjectKeepOutOfEachOthersRooms(t *testing.T) {
	a := calltest.Start(t, func(c *config.Config) { c.LiveKit.ServerID = "server-a" })
	b := a.StartPeer(t, func(c *config.Config) { c.LiveKit.ServerID = "server-b" })
	ja := a.Login("alice").Join("general", "a")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected on server a", connected(a.Login("bob"), "general", map[string]bool{"alice#a": true}))
	if ja.LiveKitRoom != "server-a.general."+ja.CallID {
		t.Fatalf("server a named its room %q", ja.LiveKitRoom)
	}
	// A room with b's prefix whose call b never had.
	if _, err := roomService(a).CreateRoom(t.Context(), &lkproto.CreateRoomRequest{Name: "server-b.general.0123456789abcdef01234567"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Service().Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	rooms, err := roomService(a).ListRooms(t.Context(), &lkproto.ListRoomsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range rooms.GetRooms() {
		names[r.GetName()] = true
	}
	if !names[ja.LiveKitRoom] || !names["server-b.general.0123456789abcdef01234567"] {
		t.Fatalf("server b's reconcile deleted rooms that are not its own calls: left %v", names)
	}
	if !inLiveKit(t, a, ja.LiveKitRoom, "alice#a") {
		t.Fatal("alice was taken out of server a's call")
	}
}
