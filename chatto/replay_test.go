package chatto_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
)

// A replay's stays follow the projection's rules, not the bare sequence
// of joins and leaves: a reconnect that replaces a session keeps the
// device in, a leave of an old session only leaves a tombstone, and the
// timer, a removal and the call's end each end a stay with their source.
func TestReplayFoldsStaysAndRingsByTheProjectionsRules(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ev := func(seq int64, s int, kind eventlog.Kind, src eventlog.Source, identity, sid, reason string) eventlog.Event {
		user, _ := chatto.UserOfIdentity(identity)
		return eventlog.Event{Seq: seq, At: at(s), RoomID: "r", CallID: "c", Kind: kind, Source: src,
			Identity: identity, UserID: user, Name: strings.ToUpper(user), SID: sid, Reason: reason}
	}
	start := ev(1, 0, eventlog.CallStarted, eventlog.SourceUser, "a#1", "", "")
	start.CallType, start.Detail = eventlog.TypeAudio, eventlog.RoomDirect
	ring := eventlog.Event{Seq: 3, At: at(0), RoomID: "r", CallID: "c", Kind: eventlog.RingStarted, Source: eventlog.SourceUser,
		Identity: "a#1", UserID: "b", Reason: eventlog.RingCall, Deadline: at(45)}
	role := ev(12, 30, eventlog.RoleChanged, eventlog.SourceUser, "b#1", "", "")
	role.Role = eventlog.RoleListener
	end := ev(15, 60, eventlog.CallEnded, eventlog.SourceLiveKit, "", "", eventlog.ReasonLastLeft)
	end.Outcome = eventlog.OutcomeCompleted
	evs := []eventlog.Event{
		start,
		ev(2, 0, eventlog.ParticipantJoined, eventlog.SourceUser, "a#1", "", ""),
		ring,
		ev(4, 1, eventlog.ParticipantJoined, eventlog.SourceLiveKit, "a#1", "PA_a1", ""),
		{Seq: 5, At: at(5), RoomID: "r", CallID: "c", Kind: eventlog.RingStopped, Source: eventlog.SourceUser, UserID: "b",
			Identity: "a#1", Reason: eventlog.RingAccepted},
		ev(6, 5, eventlog.ParticipantJoined, eventlog.SourceUser, "b#1", "", ""),
		ev(7, 6, eventlog.ParticipantJoined, eventlog.SourceReconcile, "b#1", "PA_b1", ""),
		// a#1 reloads: LiveKit replaces its session; it stays in.
		ev(8, 10, eventlog.ParticipantLeft, eventlog.SourceLiveKit, "a#1", "PA_a1", eventlog.ReasonReplaced),
		ev(9, 11, eventlog.ParticipantJoined, eventlog.SourceLiveKit, "a#1", "PA_a2", ""),
		// A late leave of its first session changes nothing.
		ev(10, 12, eventlog.ParticipantLeft, eventlog.SourceLiveKit, "a#1", "PA_a1", eventlog.ReasonLeft),
		// A third device takes a token and never connects.
		ev(11, 20, eventlog.ParticipantJoined, eventlog.SourceUser, "b#2", "", ""),
		role,
		ev(13, 50, eventlog.ParticipantLeft, eventlog.SourceTimer, "b#2", "", eventlog.ReasonGraceExpired),
		ev(14, 55, eventlog.ParticipantLeft, eventlog.SourceUser, "b#1", "PA_b1", eventlog.ReasonRemoved),
		end,
	}
	r, err := chatto.BuildReplay(evs)
	if err != nil {
		t.Fatal(err)
	}
	if r.CallID != "c" || r.RoomID != "r" || r.Type != eventlog.TypeAudio || r.StartedBy != "a" || r.Outcome != "completed" ||
		r.EndedBy != "livekit" || r.EndReason != eventlog.ReasonLastLeft || r.DurationSeconds != 60 || len(r.Events) != len(evs) {
		t.Fatalf("replay summary = %+v", r)
	}
	type stay struct {
		identity, joinedBy, connectedBy, leftBy, reason, role string
		sessions, joined, left                                int
	}
	var got []stay
	for _, s := range r.Stays {
		st := stay{identity: s.Identity, joinedBy: s.JoinedBy, connectedBy: s.ConnectedBy, leftBy: s.LeftBy, reason: s.LeftReason,
			role: s.Role, sessions: s.Sessions, joined: int(s.Joined.Sub(t0) / time.Second), left: -1}
		if s.Left != nil {
			st.left = int(s.Left.Sub(t0) / time.Second)
		}
		got = append(got, st)
	}
	want := []stay{
		{identity: "a#1", joinedBy: "user", connectedBy: "livekit", leftBy: "livekit", reason: "call ended", role: "speaker", sessions: 2, joined: 0, left: 60},
		{identity: "b#1", joinedBy: "user", connectedBy: "reconcile", leftBy: "user", reason: "removed", role: "listener", sessions: 1, joined: 5, left: 55},
		{identity: "b#2", joinedBy: "user", leftBy: "timer", reason: "grace_expired", role: "speaker", joined: 20, left: 50},
	}
	if len(got) != len(want) {
		t.Fatalf("stays = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stay %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(r.Rings) != 1 || r.Rings[0].UserID != "b" || r.Rings[0].Outcome != "accepted" || r.Rings[0].StoppedBy != "user" ||
		!r.Rings[0].Deadline.Equal(at(45)) {
		t.Fatalf("rings = %+v", r.Rings)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"call c in room r (audio)",
		"ended   2026-11-30 10:01:00.000Z by webhook: last_left, outcome completed, duration 1m",
		"a#1 (A, speaker): joined 2026-11-30 10:00:00.000Z by user, connected 2026-11-30 10:00:01.000Z by webhook, 2 session(s), left 2026-11-30 10:01:00.000Z by webhook: call ended",
		"b#2 (B, speaker): joined 2026-11-30 10:00:20.000Z by user, never connected, left 2026-11-30 10:00:50.000Z by timer: grace_expired",
		"b rung by a#1 (call) 2026-11-30 10:00:00.000Z until 2026-11-30 10:00:45.000Z: accepted 2026-11-30 10:00:05.000Z by user",
		`#13     participant_left   timer     identity="b#2" user="b" name="B" reason="grace_expired"`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	if _, err := chatto.BuildReplay(nil); chatto.ErrorCode(err) != chatto.ENOTFOUND {
		t.Errorf("replay of no events: %v, want not_found", err)
	}
}
