package chatto_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
)

// keyOf fetches the call key a device holds the right to.
func keyOf(t *testing.T, c *calltest.Client, room, device string) (int, *chatto.KeyResult) {
	t.Helper()
	var k chatto.KeyResult
	st := c.Do("POST", "/api/rooms/"+room+"/call/key", map[string]string{"device_id": device}, &k)
	return st, &k
}

// Alice, Bob and Carol are in a call. Carol leaves (the leave API, and
// later her phone by dropping off LiveKit, reported only by its webhook): the
// call gets a new key each time, Alice's and Bob's streams are told its
// index (never the key), they fetch it, the old key leaves every database
// file, and the one who left can fetch nothing. A device LiveKit merely
// replaced with a newer session of itself keeps the key.
func TestKeyRotatesWhenSomeoneLeavesACallThatGoesOn(t *testing.T) {
	env := calltest.Start(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	ja := alice.Join("general", "a")
	ra := calltest.Connect(t, ja)
	defer ra.Disconnect()
	jb := bob.Join("general", "b")
	rb := calltest.Connect(t, jb)
	defer rb.Disconnect()
	jc := carol.Join("general", "c")
	rc := calltest.Connect(t, jc)
	calltest.Eventually(t, wait, "three connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true, "carol#c": true}))
	if ja.E2EEKeyIndex != 0 || jc.E2EEKeyIndex != 0 || jc.E2EEKey != ja.E2EEKey {
		t.Fatalf("joiners of a new call got key indexes %d and %d (same key: %v), want 0 and one key", ja.E2EEKeyIndex, jc.E2EEKeyIndex, jc.E2EEKey == ja.E2EEKey)
	}
	first := mustKey(t, ja.E2EEKey)
	if !env.KeyOnDisk(first) {
		t.Fatal("the call's key is not on disk; the shred check below would prove nothing")
	}
	aliceEvents, bobEvents, carolEvents := calltest.Stream(t, env, alice), calltest.Stream(t, env, bob), calltest.Stream(t, env, carol)

	// Carol hangs up.
	rc.Disconnect()
	carol.Leave("general", "c")
	for who, events := range map[string]<-chan calltest.StreamEvent{"alice": aliceEvents, "bob": bobEvents} {
		ev := decode[chatto.KeyRotatedEvent](t, calltest.Next(t, events, wait, chatto.EventCallKeyRotated, nil))
		if ev.KeyIndex != 1 || ev.CallID != ja.CallID || ev.RoomID != "general" {
			t.Fatalf("%s was told %+v, want key index 1 of call %s", who, ev, ja.CallID)
		}
	}
	calltest.None(t, carolEvents, 300*time.Millisecond, chatto.EventCallKeyRotated)
	st, ka := keyOf(t, alice, "general", "a")
	_, kb := keyOf(t, bob, "general", "b")
	if st != 200 || ka.E2EEKeyIndex != 1 || ka.E2EEKey != kb.E2EEKey || ka.E2EEKey == ja.E2EEKey || len(mustKey(t, ka.E2EEKey)) != chatto.KeySize {
		t.Fatalf("after the rotation alice got %d index %d; same key as bob: %v; same as before: %v",
			st, ka.E2EEKeyIndex, ka.E2EEKey == kb.E2EEKey, ka.E2EEKey == ja.E2EEKey)
	}
	if st, code := carol.Post("/api/rooms/general/call/key", map[string]string{"device_id": "c"}); st != 404 || code != chatto.ENOTINCALL {
		t.Fatalf("carol, who left, asked for the new key: %d %s, want 404 %s", st, code, chatto.ENOTINCALL)
	}
	if env.KeyOnDisk(first) {
		t.Fatal("the rotated-out key is still in the database, WAL or shm file")
	}
	second := mustKey(t, ka.E2EEKey)
	if !env.KeyOnDisk(second) {
		t.Fatal("the new key is not on disk; a restart would lose it")
	}
	if v := alice.Call("general"); v == nil || v.KeyIndex != 1 {
		t.Fatalf("call view after the rotation: %+v, want key_index 1", v)
	}

	// A newcomer (Carol again, from her phone) gets the current key and
	// index with its token.
	jd := carol.Join("general", "phone")
	if jd.E2EEKey != ka.E2EEKey || jd.E2EEKeyIndex != 1 {
		t.Fatalf("carol's phone joined with index %d (current key: %v), want the current key at 1", jd.E2EEKeyIndex, jd.E2EEKey == ka.E2EEKey)
	}
	rd := calltest.Connect(t, jd)
	calltest.Eventually(t, wait, "carol's phone connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true, "carol#phone": true}))

	// Bob's connection is replaced by a new session of the same device (a
	// reload): the same device, so the key stays.
	firstSID := rb.LocalParticipant.SID()
	rb2 := calltest.Connect(t, jb)
	defer rb2.Disconnect()
	secondSID := rb2.LocalParticipant.SID()
	calltest.Eventually(t, wait, "LiveKit's leave of bob's replaced session and his new join are in the log", func() bool {
		var left, joined bool
		for _, e := range callLog(t, env, ja.CallID) {
			left = left || (e.Kind == eventlog.ParticipantLeft && e.SID == firstSID)
			joined = joined || (e.Kind == eventlog.ParticipantJoined && e.SID == secondSID)
		}
		return left && joined
	})
	if v := alice.Call("general"); v.KeyIndex != 1 {
		t.Fatalf("a replaced session rotated the key: key_index %d", v.KeyIndex)
	}

	// Carol's phone drops off LiveKit without telling Chatto: LiveKit's webhook
	// alone ends his session, and that rotates the key too.
	rd.Disconnect()
	ev := decode[chatto.KeyRotatedEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallKeyRotated, func(data string) bool {
		var e chatto.KeyRotatedEvent
		return json.Unmarshal([]byte(data), &e) == nil && e.KeyIndex == 2
	}))
	_, k2 := keyOf(t, alice, "general", "a")
	if ev.KeyIndex != 2 || k2.E2EEKeyIndex != 2 || bytes.Equal(mustKey(t, k2.E2EEKey), second) {
		t.Fatalf("after carol's phone dropped off: event index %d, key index %d", ev.KeyIndex, k2.E2EEKeyIndex)
	}
	if env.KeyOnDisk(second) {
		t.Fatal("the key carol's phone held is still in the database files")
	}

	// The current key survives a restart.
	env.StopServer()
	env.StartServer()
	alice = env.Login("alice")
	if _, k := keyOf(t, alice, "general", "a"); k.E2EEKey != k2.E2EEKey || k.E2EEKeyIndex != 2 {
		t.Fatalf("after a restart alice gets index %d (same key: %v)", k.E2EEKeyIndex, k.E2EEKey == k2.E2EEKey)
	}
}

// A device joining moments after a rotation also gets the key the call
// had before, which the devices in it may still encrypt with for a second
// (they switch a second after fetching the new one); a joiner after the
// handover gets the current key only, and a new call has no previous key.
func TestAJoinRightAfterARotationAlsoGetsThePreviousKey(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")
	ja := alice.Join("general", "a")
	if ja.E2EEPreviousKey != "" || ja.E2EEPreviousKeyIndex != nil {
		t.Fatalf("the first join of a call got a previous key (index %v)", ja.E2EEPreviousKeyIndex)
	}
	jb := bob.Join("general", "b")
	if jb.E2EEPreviousKey != "" {
		t.Fatal("a join before any rotation got a previous key")
	}
	bob.Leave("general", "b") // the key rotates to index 1

	jc := carol.Join("general", "c")
	if jc.E2EEKeyIndex != 1 || jc.E2EEKey == ja.E2EEKey {
		t.Fatalf("carol got key index %d (the old key: %v), want the new key, index 1", jc.E2EEKeyIndex, jc.E2EEKey == ja.E2EEKey)
	}
	if jc.E2EEPreviousKey != ja.E2EEKey || jc.E2EEPreviousKeyIndex == nil || *jc.E2EEPreviousKeyIndex != 0 {
		t.Fatalf("carol, joining right after the rotation, got previous key index %v (the call's old key: %v), want index 0 and the old key",
			jc.E2EEPreviousKeyIndex, jc.E2EEPreviousKey == ja.E2EEKey)
	}
	// The token endpoint and the key endpoint never hand it out.
	var refreshed map[string]any
	if st := carol.Do("POST", "/api/rooms/general/call/token", map[string]string{"device_id": "c"}, &refreshed); st != 200 || refreshed["e2ee_previous_key"] != nil {
		t.Fatalf("token refresh: %d, previous key %v", st, refreshed["e2ee_previous_key"] != nil)
	}
	var key map[string]any
	if st := carol.Do("POST", "/api/rooms/general/call/key", map[string]string{"device_id": "c"}, &key); st != 200 || key["e2ee_previous_key"] != nil {
		t.Fatalf("key fetch: %d, previous key %v", st, key["e2ee_previous_key"] != nil)
	}

	clk.Advance(4 * time.Second)
	calltest.Eventually(t, wait, "a join after the handover gets the current key only", func() bool {
		j := alice.Join("general", "a2")
		return j.E2EEKeyIndex == 1 && j.E2EEPreviousKey == "" && j.E2EEPreviousKeyIndex == nil
	})
	if jd := dave.Join("design", "d"); jd.E2EEPreviousKey != "" {
		t.Fatal("the first join of another call got a previous key")
	}
}
