package chatto

import (
	"testing"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

func TestFormatDurationIsTheOneFormat(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{42 * time.Second, "42s"},
		{94 * time.Second, "1m 34s"},
		{12*time.Minute + 4*time.Second, "12m 4s"},
		{time.Hour + 2*time.Minute + 9*time.Second, "1h 2m"},
		{1500 * time.Millisecond, "2s"},
	} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// An ended call's notice says the type, duration and participants, and
// who ended it when a person did, worded for that person and the others.
func TestEndNoticeSaysWhoEndedTheCall(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	completed := func(reason, by string) callSummary {
		return callSummary{
			ID: "c1", RoomID: "general", Type: eventlog.TypeVideo, CreatedBy: "alice",
			StartedAt: start, EndedAt: start.Add(12*time.Minute + 4*time.Second),
			Outcome: eventlog.OutcomeCompleted, EndReason: reason, EndedBy: by,
			Participants: []string{"alice", "bob", "carol"}, Rung: []string{},
			names: map[string]string{"alice": "Alice", "bob": "Bob", "carol": "Carol"},
		}
	}
	for _, tc := range []struct {
		name            string
		sum             callSummary
		text            string
		texts           map[string]string
		reason, endedBy string
	}{
		{"last left", completed(eventlog.ReasonLastLeft, ""), "Video call · 12m 4s · Alice, Bob, Carol", nil, eventlog.ReasonLastLeft, ""},
		{"hung up", completed(eventlog.ReasonHungUp, "bob"), "Video call · 12m 4s · Alice, Bob, Carol · Bob ended the call",
			map[string]string{"bob": "Video call · 12m 4s · Alice, Bob, Carol · You ended the call"}, eventlog.ReasonHungUp, "bob"},
		{"ended for everyone", completed(eventlog.ReasonEnded, "alice"), "Video call · 12m 4s · Alice, Bob, Carol · Alice ended the call for everyone",
			map[string]string{"alice": "Video call · 12m 4s · Alice, Bob, Carol · You ended the call for everyone"}, eventlog.ReasonEnded, "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := endNotice(tc.sum)
			if n.Text != tc.text || n.EndReason != tc.reason || n.EndedBy != tc.endedBy || n.Duration != 12*time.Minute+4*time.Second {
				t.Fatalf("notice = %+v, want text %q", n, tc.text)
			}
			if len(n.Texts) != len(tc.texts) {
				t.Fatalf("texts = %v, want %v", n.Texts, tc.texts)
			}
			for u, want := range tc.texts {
				if n.TextFor(u) != want {
					t.Fatalf("text for %s = %q, want %q", u, n.TextFor(u), want)
				}
			}
		})
	}
}

// Calls nobody answered read as the caller and the callee each expect.
func TestEndNoticeOfAnUnansweredCallIsWordedPerReader(t *testing.T) {
	sum := func(outcome eventlog.Outcome, typ string) callSummary {
		return callSummary{
			ID: "c1", RoomID: "alice-bob", Type: typ, CreatedBy: "alice", Outcome: outcome,
			Participants: []string{"alice"}, Rung: []string{"bob"},
			names: map[string]string{"alice": "Alice", "bob": "Bob"},
		}
	}
	for _, tc := range []struct {
		sum                   callSummary
		caller, callee, other string
	}{
		{sum(eventlog.OutcomeMissed, eventlog.TypeVideo), "Bob didn't answer", "Missed video call from Alice", "Missed video call from Alice"},
		{sum(eventlog.OutcomeMissed, eventlog.TypeAudio), "Bob didn't answer", "Missed voice call from Alice", "Missed voice call from Alice"},
		{sum(eventlog.OutcomeDeclined, eventlog.TypeVideo), "Bob declined", "You declined a video call from Alice", "Bob declined a video call from Alice"},
		{sum(eventlog.OutcomeCancelled, eventlog.TypeVideo), "You cancelled the call", "Missed video call from Alice (cancelled)", "Alice cancelled the call"},
	} {
		n := endNotice(tc.sum)
		if n.TextFor("alice") != tc.caller || n.TextFor("bob") != tc.callee || n.TextFor("dave") != tc.other || n.Duration != 0 {
			t.Errorf("%s: alice %q, bob %q, dave %q", tc.sum.Outcome, n.TextFor("alice"), n.TextFor("bob"), n.TextFor("dave"))
		}
	}
}
