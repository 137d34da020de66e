package chatto_test

import (
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
)

func TestRingingSomeoneInAnotherCallSaysBusy(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	bobEvents := calltest.Stream(t, env, bob)
	bob.Join("general", "b")
	ja := alice.JoinAs("alice-bob", "a", "video")
	r := decode[chatto.RingingEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil))
	if !r.Busy {
		t.Fatalf("ringing event for a callee in another call has busy=false: %+v", r)
	}
	if len(ja.Call.Ringing) != 1 || !ja.Call.Ringing[0].Busy {
		t.Fatalf("the caller's view does not say the callee is busy: %+v", ja.Call.Ringing)
	}
}

func TestInviteRingsAMemberIntoARunningCall(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")
	bobEvents, carolEvents := calltest.Stream(t, env, bob), calltest.Stream(t, env, carol)
	jc := carol.Join("general", "c")
	calltest.Connect(t, jc)

	for _, tc := range []struct {
		who    *calltest.Client
		room   string
		user   string
		status int
		code   string
	}{
		{carol, "general", "nobody", 404, chatto.EUSERNOTFOUND},
		{carol, "general", "dave", 403, chatto.ENOTMEMBER},
		{carol, "general", "carol", 400, chatto.EINVALID}, // herself
		{bob, "design", "carol", 409, chatto.ENOCALL},
		{dave, "general", "bob", 403, chatto.EFORBIDDEN},
		{carol, "general", "", 400, chatto.EINVALID},
	} {
		if st, code := tc.who.Post("/api/rooms/"+tc.room+"/call/invite", map[string]string{"user_id": tc.user}); st != tc.status || code != tc.code {
			t.Errorf("%s invites %q into %s = %d %s, want %d %s", tc.who.User, tc.user, tc.room, st, code, tc.status, tc.code)
		}
	}

	var out struct{ Call *chatto.CallView }
	if st := carol.Do("POST", "/api/rooms/general/call/invite", map[string]string{"user_id": "bob"}, &out); st != 200 ||
		out.Call == nil || len(out.Call.Ringing) != 1 || out.Call.Ringing[0].UserID != "bob" || out.Call.State != chatto.StateActive ||
		out.Call.Ringing[0].Caller != (chatto.User{ID: "carol", Name: "Carol"}) {
		t.Fatalf("invite = %d %+v", st, out.Call)
	}
	r := decode[chatto.RingingEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil))
	if r.RoomID != "general" || r.Caller.ID != "carol" {
		t.Fatalf("bob's ring = %+v", r)
	}

	// Unanswered: the ring is missed, the call goes on.
	clk.Advance(46 * time.Second)
	if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, carolEvents, wait, chatto.EventCallRingStopped, nil)); s.Reason != "missed" || s.UserID != "bob" {
		t.Fatalf("carol was told %+v", s)
	}
	if v := alice.Call("general"); v == nil || len(v.Participants) != 1 || len(v.Ringing) != 0 {
		t.Fatalf("call after a missed invite = %+v", v)
	}

	// Invited again and accepted by joining.
	if st, code := carol.Post("/api/rooms/general/call/invite", map[string]string{"user_id": "bob"}); st != 200 {
		t.Fatalf("second invite = %d %s", st, code)
	}
	calltest.Next(t, bobEvents, wait, chatto.EventCallRinging, nil)
	jb := bob.Join("general", "b")
	if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, bobEvents, wait, chatto.EventCallRingStopped, nil)); s.Reason != "accepted" {
		t.Fatalf("ring stopped as %q, want accepted", s.Reason)
	}
	calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "carol and bob connected",
		connected(alice, "general", map[string]bool{"carol#c": true, "bob#b": true}))
	if st, code := carol.Post("/api/rooms/general/call/invite", map[string]string{"user_id": "bob"}); st != 409 || code != chatto.EALREADYINCALL {
		t.Fatalf("invite of a participant = %d %s", st, code)
	}
}

// Inviting yourself is refused, in the call or out of it; out of it, it
// used to ring the caller's own devices.
func TestInvitingYourselfIsInvalidAndRingsNobody(t *testing.T) {
	env, _ := ringEnv(t)
	alice, carol := env.Login("alice"), env.Login("carol")
	aliceEvents := calltest.Stream(t, env, alice)
	carol.Join("general", "c")
	for _, who := range []*calltest.Client{alice, carol} {
		if st, code := who.Post("/api/rooms/general/call/invite", map[string]string{"user_id": who.User}); st != 400 || code != chatto.EINVALID {
			t.Errorf("%s invites herself = %d %s, want 400 %s", who.User, st, code, chatto.EINVALID)
		}
	}
	if v := alice.Call("general"); v == nil || len(v.Ringing) != 0 {
		t.Fatalf("call after self-invites = %+v, want nobody rung", v)
	}
	for quiet := time.After(300 * time.Millisecond); ; {
		select {
		case ev := <-aliceEvents:
			if ev.Type == chatto.EventCallRinging {
				t.Fatalf("alice's self-invite rang her: %s", ev.Data)
			}
		case <-quiet:
			return
		}
	}
}

// In a room without a call an invite says no_call whoever it names, so it
// cannot be used to learn which user ids exist.
func TestInviteInARoomWithoutACallDoesNotTellWhetherTheUserExists(t *testing.T) {
	env, _ := ringEnv(t)
	bob := env.Login("bob")
	for _, user := range []string{"nobody", "alice", "carol"} { // unknown, not a member, a member
		if st, code := bob.Post("/api/rooms/design/call/invite", map[string]string{"user_id": user}); st != 409 || code != chatto.ENOCALL {
			t.Errorf("invite of %q in a room without a call = %d %s, want 409 %s", user, st, code, chatto.ENOCALL)
		}
	}
}

// Each caller has an invite budget: a burst, then one every couple of
// seconds; beyond it 429 rate_limited with Retry-After, and nothing rings.
func TestInvitesArePerCallerRateLimited(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	carol.Join("general", "c")
	invite := func(who *calltest.Client, user string) (int, string, string) {
		t.Helper()
		a := who.Send("POST", "/api/rooms/general/call/invite", map[string]string{"user_id": user})
		return a.Status, a.Error.Error.Code, a.RetryAfter
	}
	// Asking again for someone already rung changes nothing, but it is
	// still an invite: it costs as much as any other.
	for i := range 10 {
		if st, code, _ := invite(carol, "bob"); st != 200 {
			t.Fatalf("invite %d of the burst = %d %s", i+1, st, code)
		}
	}
	if st, code, after := invite(carol, "alice"); st != 429 || code != chatto.ERATELIMITED || after == "" {
		t.Fatalf("invite beyond the burst = %d %s, Retry-After %q; want 429 %s with Retry-After", st, code, after, chatto.ERATELIMITED)
	}
	if v := alice.Call("general"); v == nil || len(v.Ringing) != 1 || v.Ringing[0].UserID != "bob" {
		t.Fatalf("a refused invite rang someone: %+v", v)
	}
	// Alice's budget is her own.
	if st, code, _ := invite(alice, "bob"); st != 200 {
		t.Fatalf("another caller's invite = %d %s", st, code)
	}
	clk.Advance(2 * time.Second)
	if st, code, _ := invite(carol, "alice"); st != 200 {
		t.Fatalf("invite once the budget refilled = %d %s", st, code)
	}
	if v := bob.Call("general"); v == nil || len(v.Ringing) != 2 {
		t.Fatalf("call after the refilled invite = %+v, want bob and alice rung", v)
	}
}

func TestMergeMovesTheCallerIntoTheCalleesCall(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	aliceEvents := calltest.Stream(t, env, alice)
	bob.Join("general", "b")
	carol.Join("general", "c")
	ja := alice.JoinAs("alice-bob", "a", "video")

	if st, code := carol.Post("/api/rooms/alice-bob/call/merge", map[string]string{"into_room": "general"}); st != 403 || code != chatto.EFORBIDDEN {
		t.Fatalf("merge by a non-member of the direct room = %d %s", st, code)
	}
	if st, code := bob.Post("/api/rooms/alice-bob/call/merge", map[string]string{"into_room": "general"}); st != 200 {
		t.Fatalf("merge = %d %s", st, code)
	}
	m := decode[chatto.MovedEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallMoved, nil))
	if m != (chatto.MovedEvent{Type: chatto.EventCallMoved, CallID: ja.CallID, FromRoom: "alice-bob", IntoRoom: "general"}) {
		t.Fatalf("call.moved = %+v", m)
	}
	if e := decode[chatto.CallEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallEnded, inRoom("alice-bob"))); e.Call.Outcome != "merged" {
		t.Fatalf("direct call ended as %q, want merged", e.Call.Outcome)
	}
	// What the page does on call.moved: join the other call.
	if jg := alice.Join("general", "a"); jg.Call == nil || len(jg.Call.Participants) != 3 {
		t.Fatalf("alice in general after the merge: %+v", jg.Call)
	}
	evs := callLog(t, env, ja.CallID)
	if last := evs[len(evs)-1]; last.Outcome != eventlog.OutcomeMerged || last.Detail != "general" || countKind(evs, eventlog.RingStopped, eventlog.RingMerged) != 1 {
		t.Fatalf("log of the merged call: %+v", evs)
	}
}

func TestMergeIntoARoomTheCallerIsNotInChangesNothing(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	bob.Join("design", "b") // alice is not in design
	ja := alice.JoinAs("alice-bob", "a", "video")
	before := len(callLog(t, env, ja.CallID))
	if st, code := bob.Post("/api/rooms/alice-bob/call/merge", map[string]string{"into_room": "design"}); st != 409 || code != chatto.ECALLERNOTMEMBER {
		t.Fatalf("merge into a room the caller is not in = %d %s, want 409 %s", st, code, chatto.ECALLERNOTMEMBER)
	}
	if v := alice.Call("alice-bob"); v == nil || v.State != chatto.StateRinging || len(v.Ringing) != 1 {
		t.Fatalf("the refused merge changed the call: %+v", v)
	}
	if after := len(callLog(t, env, ja.CallID)); after != before {
		t.Fatalf("the refused merge appended %d facts", after-before)
	}
	if st, code := alice.Post("/api/rooms/alice-bob/call/merge", map[string]string{"into_room": "general"}); st != 409 {
		t.Fatalf("merge by the caller (who is not rung) = %d %s, want 409", st, code)
	}
}

func TestDecliningAnInviteOnlyStopsThatRing(t *testing.T) {
	env, _ := ringEnv(t)
	bob, carol := env.Login("bob"), env.Login("carol")
	carolEvents := calltest.Stream(t, env, carol)
	calltest.Connect(t, carol.Join("general", "c"))
	if st, code := carol.Post("/api/rooms/general/call/invite", map[string]string{"user_id": "bob"}); st != 200 {
		t.Fatalf("invite = %d %s", st, code)
	}
	if st, code := carol.Post("/api/rooms/general/call/decline", nil); st != 409 || code != chatto.ENOTRINGING {
		t.Fatalf("decline by someone not rung = %d %s, want 409 %s", st, code, chatto.ENOTRINGING)
	}
	if st, code := bob.Post("/api/rooms/general/call/decline", map[string]string{"reason": "later"}); st != 400 || code != chatto.EINVALID {
		t.Fatalf("decline with an unknown reason = %d %s", st, code)
	}
	if st, code := bob.Post("/api/rooms/general/call/decline", nil); st != 200 {
		t.Fatalf("decline = %d %s", st, code)
	}
	if s := decode[chatto.RingStoppedEvent](t, calltest.Next(t, carolEvents, wait, chatto.EventCallRingStopped, nil)); s.Reason != "declined" || s.UserID != "bob" {
		t.Fatalf("carol was told %+v", s)
	}
	calltest.None(t, carolEvents, 300*time.Millisecond, chatto.EventCallEnded)
	if v := carol.Call("general"); v == nil || len(v.Participants) != 1 || len(v.Ringing) != 0 {
		t.Fatalf("group call after a declined invite = %+v", v)
	}
}
