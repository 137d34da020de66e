package chatto_test

import (
	"slices"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
)

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
	if env.KeyOnDisk(mustKey(t, jc.E2EEKey)) {
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
	if first := all.Calls[0]; first.ID != missed.CallID || first.Outcome != "missed" || !slices.Equal(first.Rung, []string{"bob"}) ||
		first.DurationSeconds != 0 {
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
