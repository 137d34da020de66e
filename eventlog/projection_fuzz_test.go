package eventlog

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fuzzEvents turns bytes into events, 6 bytes each, drawing every field
// from a small set so that events meet: two rooms, two calls per room,
// three users with two devices each, a few sessions and webhook ids.
func fuzzEvents(data []byte) []Event {
	kinds := []Kind{CallStarted, ParticipantJoined, ParticipantLeft, CallEnded, RingStarted, RingStopped, RoleChanged, "bogus"}
	rooms := []string{"general", "alice-bob"}
	users := []string{"alice", "bob", "carol", ""}
	sids := []string{"", "PA_1", "PA_2", "PB_1"}
	reasons := []string{"", ReasonLeft, ReasonReplaced, ReasonReconnect, ReasonRemoved, RingAccepted, RingInvite, RingMissed, ReasonRoomFinished}
	details := []string{"", RoomDirect, DetailBusy, "DUPLICATE_IDENTITY"}
	roles := []string{"", RoleSpeaker, RoleListener}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Event
	for i := 0; i+6 <= len(data) && len(out) < 200; i += 6 {
		b := data[i : i+6]
		room := int(b[1]) % len(rooms)
		user := users[int(b[2])%len(users)]
		identity := user + "#" + string(rune('a'+b[2]>>4%2))
		if user == "" {
			identity = ""
		}
		e := Event{
			Seq:            int64(len(out) + 1),
			At:             base.Add(time.Duration(b[5]) * time.Second),
			RoomID:         rooms[room],
			CallID:         rooms[room] + "-call-" + string(rune('0'+b[1]>>4%2)),
			Kind:           kinds[int(b[0])%len(kinds)],
			Identity:       identity,
			UserID:         user,
			Name:           user,
			SID:            sids[int(b[3])%len(sids)],
			Source:         SourceUser,
			LiveKitEventID: []string{"", "EV_1", "EV_2"}[int(b[3]>>4)%3],
			Reason:         reasons[int(b[4])%len(reasons)],
			CallType:       []string{"", TypeAudio, TypeVideo}[int(b[0]>>4)%3],
			Deadline:       base.Add(time.Duration(b[5]) * time.Minute),
			Outcome:        OutcomeCompleted,
			Detail:         details[int(b[4]>>4)%len(details)],
			Role:           roles[int(b[0]>>6)%len(roles)],
		}
		out = append(out, e)
	}
	return out
}

// FuzzProjection applies arbitrary sequences of events. Apply never
// panics; every call is filed under its own room and every participant
// under its own identity; and a Clone is deep: it starts equal to its
// call, and changing everything in it (every field, every map entry,
// every participant and ring it points to) leaves the call as it was.
func FuzzProjection(f *testing.F) {
	f.Add([]byte{})
	// start, join alice#a, join bob#b with a session, ring, role, leave, end
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 2, 4, 0, 2, 0, 0, 3, 6, 0, 1, 0, 0, 4, 2, 0, 0, 0, 1, 5, 3, 0, 0, 0, 0, 6})
	// a direct call: ring, accept, replaced session, removal, webhook ids
	f.Add([]byte{0, 1, 0, 0, 0x10, 0, 4, 1, 1, 0, 0, 1, 5, 1, 1, 0, 4, 2, 1, 1, 1, 0x11, 0, 3, 2, 1, 1, 0x11, 2, 4, 2, 1, 0, 0x22, 3, 5})
	// events for a call that is not the room's, and an unknown kind
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 0, 1, 7, 0, 0, 0, 0, 2, 3, 0x10, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewProjection()
		for _, e := range fuzzEvents(data) {
			p.Apply(e)
			calls := p.Calls()
			for i, c := range calls {
				if p.Call(c.RoomID) != c || (i > 0 && calls[i-1].RoomID >= c.RoomID) {
					t.Fatalf("call %s is not filed under its room %s in order", c.ID, c.RoomID)
				}
				for id, part := range c.Participants {
					if part == nil || part.Identity != id {
						t.Fatalf("participant under %q is %+v", id, part)
					}
				}
				checkCloneIsDeep(t, c, e)
			}
			if e.Kind == CallEnded && p.Call(e.RoomID) != nil && p.Call(e.RoomID).ID == e.CallID {
				t.Fatalf("call %s still active after call_ended", e.CallID)
			}
			checkUserIndex(t, p)
		}
	})
}

// checkUserIndex recounts every user's devices per call and compares the
// projection's per-user index with it.
func checkUserIndex(t *testing.T, p *Projection) {
	t.Helper()
	want := map[string]map[string]int{}
	for _, c := range p.Calls() {
		for _, part := range c.Participants {
			if part.UserID == "" {
				continue
			}
			if want[part.UserID] == nil {
				want[part.UserID] = map[string]int{}
			}
			want[part.UserID][c.RoomID]++
		}
	}
	if !reflect.DeepEqual(p.byUser, want) {
		t.Fatalf("per-user index %v, recounted %v", p.byUser, want)
	}
	for u, rooms := range want {
		var got []string
		for _, c := range p.UserCalls(u) {
			got = append(got, c.RoomID)
		}
		if len(got) != len(rooms) {
			t.Fatalf("UserCalls(%s) = %v, want the rooms of %v", u, got, rooms)
		}
	}
}

// checkCloneIsDeep clones c, checks the clone equals it, then changes
// everything reachable from the clone and applies e to it, and checks c
// did not change.
func checkCloneIsDeep(t *testing.T, c *Call, e Event) {
	t.Helper()
	before := callJSON(t, c)
	clone := c.Clone()
	if !reflect.DeepEqual(clone, c) {
		t.Fatalf("clone differs from its call:\n%s\n%s", callJSON(t, clone), before)
	}
	clone.Apply(e)
	mutate(reflect.ValueOf(clone).Elem())
	if after := callJSON(t, c); after != before {
		t.Fatalf("changing a clone changed its call:\nbefore %s\nafter  %s", before, after)
	}
}

func callJSON(t *testing.T, c *Call) string {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// mutate changes every settable value reachable from v: scalars get
// other values, structs behind pointers are changed in place (what a
// shallow copy would share), maps get their entries changed in place and
// a new one. Fields added to Call later are covered without editing this.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mutate(v.Field(i))
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			val := v.MapIndex(k)
			if val.Kind() == reflect.Pointer {
				mutate(val) // the pointee, shared if the map was copied shallowly
				continue
			}
			nv := reflect.New(val.Type()).Elem()
			nv.Set(val)
			mutate(nv)
			v.SetMapIndex(k, nv)
		}
		nk, nv := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		mutate(nk)
		if nv.Kind() == reflect.Pointer {
			nv.Set(reflect.New(nv.Type().Elem()))
		}
		mutate(nv)
		v.SetMapIndex(nk, nv)
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i))
		}
	case reflect.String:
		v.SetString(v.String() + "~")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(v.Int() + 1)
	}
}
