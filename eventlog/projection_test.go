package eventlog

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// at is t0 plus n seconds, so cases can say which event set a time.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// callEvents builds the events of call "c" in room "r"; seq and time
// advance by one per event so Seq and PendingSince are checkable.
type callEvents struct{ n int }

func (b *callEvents) next(e Event) Event {
	b.n++
	e.Seq, e.At = int64(b.n), at(b.n)
	if e.RoomID == "" {
		e.RoomID = "r"
	}
	if e.CallID == "" {
		e.CallID = "c"
	}
	return e
}

func (b *callEvents) start() Event { return b.next(Event{Kind: CallStarted, UserID: "alice"}) }

func (b *callEvents) token(id string) Event {
	return b.next(Event{Kind: ParticipantJoined, Identity: id, UserID: id[:1], Name: "N" + id, Source: SourceUser})
}

func (b *callEvents) joined(id, sid, evID string) Event {
	return b.next(Event{Kind: ParticipantJoined, Identity: id, UserID: id[:1], Name: "N" + id, SID: sid,
		Source: SourceLiveKit, LiveKitEventID: evID})
}

func (b *callEvents) left(id, sid, evID string) Event {
	return b.next(Event{Kind: ParticipantLeft, Identity: id, SID: sid, Source: SourceLiveKit, LiveKitEventID: evID})
}

func (b *callEvents) other(e Event) Event { e.CallID = "other"; return b.next(e) }

func TestCallApply(t *testing.T) {
	type part struct {
		SID          string
		JoinedAt     time.Time
		PendingSince time.Time
	}
	cases := []struct {
		name     string
		events   func(b *callEvents) []Event
		want     map[string]part
		leftSIDs []string
		hooks    []string
		seq      int64
	}{
		{
			name:   "join without SID is pending since the token",
			events: func(b *callEvents) []Event { return []Event{b.token("a#1")} },
			want:   map[string]part{"a#1": {JoinedAt: at(2), PendingSince: at(2)}},
			seq:    2,
		},
		{
			name: "join with SID confirms and keeps join time",
			events: func(b *callEvents) []Event {
				return []Event{b.token("a#1"), b.joined("a#1", "S1", "EV1")}
			},
			want:  map[string]part{"a#1": {SID: "S1", JoinedAt: at(2), PendingSince: at(2)}},
			hooks: []string{"EV1"},
			seq:   3,
		},
		{
			name:   "join first seen in LiveKit is confirmed at once",
			events: func(b *callEvents) []Event { return []Event{b.joined("a#1", "S1", "EV1")} },
			want:   map[string]part{"a#1": {SID: "S1", JoinedAt: at(2)}},
			hooks:  []string{"EV1"},
			seq:    2,
		},
		{
			name: "new token makes a connected participant pending again",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.token("a#1")}
			},
			want:  map[string]part{"a#1": {JoinedAt: at(2), PendingSince: at(3)}},
			hooks: []string{"EV1"},
			seq:   3,
		},
		{
			name: "leave of an older SID keeps the newer session but records the old one",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.joined("a#1", "S2", "EV2"), b.left("a#1", "S1", "EV3")}
			},
			want:     map[string]part{"a#1": {SID: "S2", JoinedAt: at(2)}},
			leftSIDs: []string{"S1"},
			hooks:    []string{"EV1", "EV2", "EV3"},
			seq:      4,
		},
		{
			name: "leave of the old SID keeps a pending reconnect",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.token("a#1"), b.left("a#1", "S1", "EV2")}
			},
			want:     map[string]part{"a#1": {JoinedAt: at(2), PendingSince: at(3)}},
			leftSIDs: []string{"S1"},
			hooks:    []string{"EV1", "EV2"},
			seq:      4,
		},
		{
			name: "leave of the current SID removes",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.joined("b#1", "S2", "EV2"), b.left("a#1", "S1", "EV3")}
			},
			want:     map[string]part{"b#1": {SID: "S2", JoinedAt: at(3)}},
			leftSIDs: []string{"S1"},
			hooks:    []string{"EV1", "EV2", "EV3"},
			seq:      4,
		},
		{
			name: "leave without SID removes a confirmed participant",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.left("a#1", "", "")}
			},
			want:  map[string]part{},
			hooks: []string{"EV1"},
			seq:   3,
		},
		{
			name: "leave without SID removes a pending participant",
			events: func(b *callEvents) []Event {
				return []Event{b.token("a#1"), b.left("a#1", "", "")}
			},
			want: map[string]part{},
			seq:  3,
		},
		{
			name: "leave of an unknown identity only records the SID",
			events: func(b *callEvents) []Event {
				return []Event{b.joined("a#1", "S1", "EV1"), b.left("z#1", "S9", "EV2")}
			},
			want:     map[string]part{"a#1": {SID: "S1", JoinedAt: at(2)}},
			leftSIDs: []string{"S9"},
			hooks:    []string{"EV1", "EV2"},
			seq:      3,
		},
		{
			name: "events of another call in the same room are ignored",
			events: func(b *callEvents) []Event {
				return []Event{
					b.joined("a#1", "S1", "EV1"),
					b.other(Event{Kind: ParticipantJoined, Identity: "x#1", SID: "SX", LiveKitEventID: "EVX"}),
					b.other(Event{Kind: ParticipantLeft, Identity: "a#1", LiveKitEventID: "EVY"}),
					b.other(Event{Kind: CallEnded}),
				}
			},
			want:  map[string]part{"a#1": {SID: "S1", JoinedAt: at(2)}},
			hooks: []string{"EV1"},
			seq:   2,
		},
		{
			name: "events of a room without a call are ignored",
			events: func(b *callEvents) []Event {
				return []Event{b.next(Event{RoomID: "elsewhere", Kind: ParticipantJoined, Identity: "x#1"})}
			},
			want: map[string]part{},
			seq:  1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &callEvents{}
			p := NewProjection()
			p.Apply(b.start())
			for _, e := range tc.events(b) {
				p.Apply(e)
			}
			c := p.Call("r")
			if c == nil {
				t.Fatal("call disappeared")
			}
			got := map[string]part{}
			for id, pt := range c.Participants {
				if pt.Identity != id || pt.UserID != id[:1] || pt.Name != "N"+id {
					t.Errorf("participant %s: %+v", id, *pt)
				}
				got[id] = part{SID: pt.SID, JoinedAt: pt.JoinedAt, PendingSince: pt.PendingSince}
				if pt.Pending() != (pt.SID == "") {
					t.Errorf("participant %s: Pending() = %v with SID %q", id, pt.Pending(), pt.SID)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("participants\n got %+v\nwant %+v", got, tc.want)
			}
			if want := set(tc.leftSIDs); !reflect.DeepEqual(c.LeftSIDs, want) {
				t.Errorf("LeftSIDs = %v, want %v", c.LeftSIDs, want)
			}
			if want := set(tc.hooks); !reflect.DeepEqual(c.WebhookIDs, want) {
				t.Errorf("WebhookIDs = %v, want %v", c.WebhookIDs, want)
			}
			if c.Seq != tc.seq {
				t.Errorf("Seq = %d, want %d", c.Seq, tc.seq)
			}
		})
	}
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func TestProjectionCallStartedRecordsTheCall(t *testing.T) {
	b := &callEvents{}
	p := NewProjection()
	p.Apply(b.start())
	c := p.Call("r")
	if c == nil || c.ID != "c" || c.RoomID != "r" || c.StartedBy != "alice" || !c.StartedAt.Equal(at(1)) || c.Seq != 1 {
		t.Fatalf("call = %+v", c)
	}
	if c.Participants == nil || c.LeftSIDs == nil || c.WebhookIDs == nil {
		t.Fatalf("call maps not initialised: %+v", c)
	}
}

func TestProjectionCallEndedRemovesOnlyThatCall(t *testing.T) {
	b := &callEvents{}
	p := NewProjection()
	p.Apply(b.start())
	p.Apply(b.joined("a#1", "S1", "EV1"))
	p.Apply(b.next(Event{RoomID: "r2", CallID: "c2", Kind: CallStarted}))
	kept := p.Call("r")

	p.Apply(b.next(Event{RoomID: "r", CallID: "stale", Kind: CallEnded}))
	if p.Call("r") == nil {
		t.Fatal("call_ended of another call id removed the room's call")
	}
	p.Apply(b.next(Event{Kind: CallEnded, Source: SourceTimer, Reason: "last_left"}))
	if p.Call("r") != nil {
		t.Fatal("call_ended left the call in the projection")
	}
	if len(kept.Participants) != 0 {
		t.Fatalf("ended call still lists participants: %v", kept.Participants)
	}
	if calls := p.Calls(); len(calls) != 1 || calls[0].ID != "c2" {
		t.Fatalf("calls after ending c = %+v", calls)
	}
	// A later event of the ended call must not bring it back.
	p.Apply(b.joined("a#1", "S2", "EV2"))
	if p.Call("r") != nil {
		t.Fatal("event after call_ended resurrected the call")
	}
}

func TestCallCloneIsDeep(t *testing.T) {
	b := &callEvents{}
	p := NewProjection()
	p.Apply(b.start())
	p.Apply(b.joined("a#1", "S1", "EV1"))
	p.Apply(b.left("x#1", "S0", "EV0"))
	orig := p.Call("r")
	snapshot := *orig.Participants["a#1"]

	clone := orig.Clone()
	if !reflect.DeepEqual(clone, orig) {
		t.Fatalf("clone differs from the original:\n%+v\n%+v", clone, orig)
	}
	clone.Participants["a#1"].SID = "MUTATED"
	clone.Participants["a#1"].PendingSince = at(99)
	clone.Participants["b#1"] = &Participant{Identity: "b#1"}
	clone.LeftSIDs["S7"] = true
	clone.WebhookIDs["EV7"] = true
	clone.Apply(b.left("a#1", "", "EV8"))
	clone.ID = "mutated"

	switch {
	case orig.ID != "c" || orig.Seq != 3:
		t.Errorf("original call changed: %+v", orig)
	case len(orig.Participants) != 1 || *orig.Participants["a#1"] != snapshot:
		t.Errorf("original participants changed: %v", orig.Participants)
	case !reflect.DeepEqual(orig.LeftSIDs, set([]string{"S0"})):
		t.Errorf("original LeftSIDs changed: %v", orig.LeftSIDs)
	case !reflect.DeepEqual(orig.WebhookIDs, set([]string{"EV1", "EV0"})):
		t.Errorf("original WebhookIDs changed: %v", orig.WebhookIDs)
	case p.Call("r") != orig:
		t.Errorf("projection no longer holds the original")
	}
}

func TestCallsAreOrderedByRoomAndSortedByJoinTime(t *testing.T) {
	p := NewProjection()
	for _, room := range []string{"m", "a", "z"} {
		p.Apply(Event{RoomID: room, CallID: "c" + room, Kind: CallStarted})
	}
	var rooms []string
	for _, c := range p.Calls() {
		rooms = append(rooms, c.RoomID)
	}
	if !reflect.DeepEqual(rooms, []string{"a", "m", "z"}) {
		t.Fatalf("Calls() rooms = %v", rooms)
	}

	for _, e := range []struct {
		id string
		at int
	}{{"late#1", 5}, {"b#1", 1}, {"a#1", 1}, {"mid#1", 3}} {
		p.Apply(Event{RoomID: "a", CallID: "ca", Kind: ParticipantJoined, Identity: e.id, At: at(e.at)})
	}
	var ids []string
	for _, pt := range p.Call("a").Sorted() {
		ids = append(ids, pt.Identity)
	}
	if !reflect.DeepEqual(ids, []string{"a#1", "b#1", "mid#1", "late#1"}) {
		t.Fatalf("Sorted() = %v", ids)
	}
}

func TestCallRingsAndAnswer(t *testing.T) {
	deadline := at(100)
	ring := func(b *callEvents, user, why, detail string) Event {
		return b.next(Event{Kind: RingStarted, UserID: user, Name: "N" + user, Identity: "a#1", Reason: why,
			Detail: detail, Deadline: deadline, Source: SourceUser})
	}
	stop := func(b *callEvents, user, reason string) Event {
		return b.next(Event{Kind: RingStopped, UserID: user, Reason: reason, Source: SourceTimer})
	}
	cases := []struct {
		name     string
		direct   bool
		events   func(b *callEvents) []Event
		rings    []string
		ringing  bool
		answered bool
	}{
		{"direct call rings until answered", true, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), ring(b, "b", RingCall, "")}
		}, []string{"b"}, true, false},
		{"accept answers and stops the ring", true, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), ring(b, "b", RingCall, ""), stop(b, "b", RingAccepted), b.token("b#1")}
		}, nil, false, true},
		{"a join by someone else answers even without a ring", true, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), b.joined("c#1", "S1", "EV1")}
		}, nil, false, true},
		{"the caller's second device does not answer", true, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), ring(b, "b", RingCall, ""), b.token("a#2")}
		}, []string{"b"}, true, false},
		{"missed ring leaves an unanswered call", true, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), ring(b, "b", RingCall, ""), stop(b, "b", RingMissed)}
		}, nil, true, false},
		{"group calls never ring, invites are listed", false, func(b *callEvents) []Event {
			return []Event{b.token("a#1"), ring(b, "b", RingInvite, DetailBusy), ring(b, "c", RingInvite, "")}
		}, []string{"b", "c"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &callEvents{}
			p := NewProjection()
			start := b.next(Event{Kind: CallStarted, UserID: "a", CallType: TypeAudio})
			if tc.direct {
				start.Detail = RoomDirect
			}
			p.Apply(start)
			for _, e := range tc.events(b) {
				p.Apply(e)
			}
			c := p.Call("r")
			var rings []string
			for _, r := range c.SortedRings() {
				rings = append(rings, r.UserID)
				if !r.Deadline.Equal(deadline) || r.By != "a#1" || r.Name != "N"+r.UserID {
					t.Errorf("ring %+v", *r)
				}
			}
			if !reflect.DeepEqual(rings, tc.rings) || c.Ringing() != tc.ringing || c.Answered != tc.answered || c.Type != TypeAudio {
				t.Fatalf("rings %v ringing %v answered %v type %s; want %v %v %v audio", rings, c.Ringing(), c.Answered, c.Type,
					tc.rings, tc.ringing, tc.answered)
			}
			if r := c.Rings["b"]; r != nil && tc.name == "group calls never ring, invites are listed" && (!r.Busy || !r.Invite) {
				t.Fatalf("invite ring of a busy user = %+v", *r)
			}
			clone := c.Clone()
			clone.Rings["z"] = &Ring{UserID: "z"}
			if c.Rings["z"] != nil {
				t.Fatal("Clone shares the rings map")
			}
		})
	}
}

func TestReplacedSessionKeepsTheDevicePending(t *testing.T) {
	b := &callEvents{}
	p := NewProjection()
	p.Apply(b.start())
	p.Apply(b.joined("a#1", "S1", "EV1"))
	replaced := b.next(Event{Kind: ParticipantLeft, Identity: "a#1", SID: "S1", Reason: ReasonReplaced,
		Detail: "DUPLICATE_IDENTITY", Source: SourceLiveKit, LiveKitEventID: "EV2"})
	p.Apply(replaced)
	c := p.Call("r")
	part := c.Participants["a#1"]
	if part == nil || !part.Pending() || !part.PendingSince.Equal(replaced.At) || !c.LeftSIDs["S1"] {
		t.Fatalf("after a replaced session: %s", dumpCalls(p))
	}
	p.Apply(b.joined("a#1", "S2", "EV3"))
	if part := c.Participants["a#1"]; part == nil || part.SID != "S2" {
		t.Fatalf("the new session did not take over: %s", dumpCalls(p))
	}
	// A replaced-leave of a session that is not current changes nothing.
	p.Apply(b.next(Event{Kind: ParticipantLeft, Identity: "a#1", SID: "S0", Reason: ReasonReplaced, Source: SourceLiveKit}))
	if part := c.Participants["a#1"]; part == nil || part.SID != "S2" {
		t.Fatalf("a stale replaced-leave touched the current session: %s", dumpCalls(p))
	}
}
