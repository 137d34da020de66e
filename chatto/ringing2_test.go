package chatto_test

import (
	"slices"
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
	if n == nil || n.TextFor("bob") != "Missed call from Alice" || n.TextFor("alice") != "Bob didn't answer" || n.Outcome != "missed" {
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
			if m.Notice.TextFor("bob") != "Missed call from Alice" {
				t.Fatalf("notice reads %q for bob", m.Notice.TextFor("bob"))
			}
		}
	}
	if missed != 1 {
		t.Fatalf("%d missed-call notices, want 1", missed)
	}
	if calltest.FileContains(t, env.Config.Database.Path, mustKey(t, ja.E2EEKey)) {
		t.Fatal("the missed call's key is still on disk")
	}
}

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
		{carol, "general", "carol", 409, chatto.EALREADYINCALL},
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
		out.Call == nil || len(out.Call.Ringing) != 1 || out.Call.Ringing[0].UserID != "bob" || out.Call.State != chatto.StateActive {
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

func TestEndForAllIsForTheCreatorAndRoomAdmins(t *testing.T) {
	env, _ := ringEnv(t)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")
	// general: alice is the admin; carol starts the call, bob joins.
	jc := carol.Join("general", "c")
	rc := calltest.Connect(t, jc)
	rb := calltest.Connect(t, bob.Join("general", "b"))
	calltest.Eventually(t, wait, "both connected", connected(alice, "general", map[string]bool{"carol#c": true, "bob#b": true}))
	aliceEvents := calltest.Stream(t, env, alice)

	if st, code := bob.Post("/api/rooms/general/call/end", nil); st != 403 || code != chatto.ENOTALLOWED {
		t.Fatalf("end by a plain member = %d %s, want 403 %s", st, code, chatto.ENOTALLOWED)
	}
	if st, code := dave.Post("/api/rooms/general/call/end", nil); st != 403 || code != chatto.EFORBIDDEN {
		t.Fatalf("end by a non-member = %d %s, want 403 %s", st, code, chatto.EFORBIDDEN)
	}
	if v := alice.Call("general"); v == nil || len(v.Participants) != 2 {
		t.Fatalf("a refused end changed the call: %+v", v)
	}
	if st, code := alice.Post("/api/rooms/general/call/end", nil); st != 200 {
		t.Fatalf("end by the room admin = %d %s", st, code)
	}
	if e := decode[chatto.CallEvent](t, calltest.Next(t, aliceEvents, wait, chatto.EventCallEnded, nil)); e.Call.Outcome != "completed" {
		t.Fatalf("ended for all with outcome %q", e.Call.Outcome)
	}
	for _, r := range []*lksdk.Room{rc, rb} {
		calltest.Eventually(t, wait, "participants disconnected by the room deletion", func() bool {
			return r.ConnectionState() == lksdk.ConnectionStateDisconnected
		})
	}
	if calltest.FileContains(t, env.Config.Database.Path, mustKey(t, jc.E2EEKey)) {
		t.Fatal("key of a call ended for all is still on disk")
	}
	if st, code := alice.Post("/api/rooms/general/call/end", nil); st != 409 || code != chatto.ENOCALL {
		t.Fatalf("end with no call = %d %s", st, code)
	}

	// design: bob is the admin; carol, a plain member, started the call.
	carol.Join("design", "c")
	dave.Join("design", "d")
	if st, code := dave.Post("/api/rooms/design/call/end", nil); st != 403 || code != chatto.ENOTALLOWED {
		t.Fatalf("end by a plain member = %d %s", st, code)
	}
	if st, code := carol.Post("/api/rooms/design/call/end", nil); st != 200 {
		t.Fatalf("end by the call's creator = %d %s", st, code)
	}
	if v := carol.Call("design"); v != nil {
		t.Fatalf("call still there after end: %+v", v)
	}
}

func TestCallHistoryPagesNewestFirst(t *testing.T) {
	env, clk := ringEnv(t)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")
	var ids []string
	for i := range 7 {
		j := carol.JoinAs("general", "c", []string{"audio", "video"}[i%2])
		clk.Advance(time.Duration(i) * time.Minute)
		carol.Leave("general", "c")
		ids = append(ids, j.CallID)
	}
	missed := alice.JoinAs("alice-bob", "a", "video")
	clk.Advance(time.Minute)
	calltest.Eventually(t, wait, "missed call ended", func() bool { return bob.Call("alice-bob") == nil })
	slices.Reverse(ids)

	var got []chatto.HistoryEntry
	var pages int
	path := "/api/rooms/general/calls?limit=3"
	for {
		var page chatto.HistoryPage
		if st := bob.Do("GET", path, nil, &page); st != 200 {
			t.Fatalf("GET %s = %d", path, st)
		}
		pages++
		got = append(got, page.Calls...)
		if page.Next == nil {
			break
		}
		if len(page.Calls) != 3 || pages > 5 {
			t.Fatalf("page %d has %d calls and a next cursor", pages, len(page.Calls))
		}
		path = "/api/rooms/general/calls?limit=3&before=" + *page.Next
	}
	if pages != 3 {
		t.Fatalf("7 calls in pages of 3 took %d pages", pages)
	}
	var gotIDs []string
	for _, c := range got {
		gotIDs = append(gotIDs, c.ID)
	}
	if !slices.Equal(gotIDs, ids) {
		t.Fatalf("history ids\n got %v\nwant %v (newest first)", gotIDs, ids)
	}
	for i, c := range got {
		wantType := []string{"audio", "video"}[(6-i)%2]
		wantSecs := int64((6 - i) * 60)
		if c.Outcome != "completed" || c.Type != wantType || c.CreatedBy != "carol" || c.RoomID != "general" ||
			!slices.Equal(c.Participants, []string{"carol"}) || c.DurationSeconds != wantSecs || !c.EndedAt.After(c.StartedAt.Add(-time.Millisecond)) {
			t.Errorf("entry %d = %+v, want type %s and %ds", i, c, wantType, wantSecs)
		}
	}

	var all chatto.HistoryPage
	if st := alice.Do("GET", "/api/calls/history?limit=100", nil, &all); st != 200 || len(all.Calls) != 8 || all.Next != nil {
		t.Fatalf("alice's history across rooms = %d, %d calls", st, len(all.Calls))
	}
	if first := all.Calls[0]; first.ID != missed.CallID || first.Outcome != "missed" || !slices.Equal(first.Rung, []string{"bob"}) {
		t.Fatalf("newest entry of alice's history = %+v", first)
	}
	var daves chatto.HistoryPage
	if st := dave.Do("GET", "/api/calls/history", nil, &daves); st != 200 || len(daves.Calls) != 0 {
		t.Fatalf("dave (in none of these rooms) sees %d calls", len(daves.Calls))
	}
	for path, want := range map[string]int{
		"/api/rooms/general/calls":           403,
		"/api/rooms/general/calls?limit=0":   400,
		"/api/rooms/general/calls?limit=500": 400,
		"/api/rooms/general/calls?before=x":  400,
	} {
		who := bob
		if want == 403 {
			who = dave
		}
		if st, raw := who.Raw("GET", path, nil); st != want {
			t.Errorf("GET %s as %s = %d %s, want %d", path, who.User, st, raw, want)
		}
	}
}

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
	if !calltest.FileContains(t, env.Config.Database.Path, mustKey(t, j.E2EEKey)) {
		t.Fatal("the live call's key is gone from the database")
	}
	if v := alice.Call("general"); v == nil || v.ID != j.CallID {
		t.Fatalf("call after the reconnect = %+v", v)
	}
}
