package eventlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func openStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func appendOK(t *testing.T, s *Store, b Batch) []Event {
	t.Helper()
	evs, err := s.Append(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func onDisk(t *testing.T, path string, needle []byte) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, needle) {
			return true
		}
	}
	return false
}

func TestEventsAreAppendOnly(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	appendOK(t, s, Batch{Events: []Event{{RoomID: "r", CallID: "c", Kind: CallStarted, Source: SourceUser, UserID: "u"}}})
	for _, q := range []string{
		`UPDATE events SET user_id = 'mallory'`,
		`DELETE FROM events`,
	} {
		_, err := s.db.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v, want append-only refusal", q, err)
		}
	}
	evs, err := s.CallEvents(ctx, "c")
	if err != nil || len(evs) != 1 || evs[0].UserID != "u" {
		t.Fatalf("after refused writes: %+v %v", evs, err)
	}
}

func TestAppendRoundTripsEveryField(t *testing.T) {
	s, _ := openStore(t)
	at := time.UnixMilli(time.Now().UnixMilli())
	in := Event{At: at, RoomID: "room_1", CallID: "c1", Kind: ParticipantLeft, Identity: "u#d", UserID: "u",
		Name: "U", SID: "PA_1", Source: SourceLiveKit, LiveKitEventID: "EV_1", Reason: "left"}
	got := appendOK(t, s, Batch{Events: []Event{in, in}})
	if got[0].Seq <= 0 || got[1].Seq != got[0].Seq+1 {
		t.Fatalf("seqs %d, %d", got[0].Seq, got[1].Seq)
	}
	read, err := s.CallEvents(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Seq = got[0].Seq
	if !reflect.DeepEqual(read[0], want) {
		t.Fatalf("read %+v\nwant %+v", read[0], want)
	}
}

// TestProjectionSurvivesRestart builds state live, reopens the file and
// rebuilds it from the log alone.
func TestProjectionSurvivesRestart(t *testing.T) {
	s, path := openStore(t)
	live := NewProjection()
	apply := func(b Batch) {
		for _, e := range appendOK(t, s, b) {
			live.Apply(e)
		}
	}
	ev := func(room, call string, k Kind, id, sid string) Event {
		return Event{RoomID: room, CallID: call, Kind: k, Identity: id, UserID: strings.Split(id, "#")[0], SID: sid, Source: SourceLiveKit, LiveKitEventID: "EV_" + id + sid + string(k)}
	}
	apply(Batch{Events: []Event{ev("a", "c1", CallStarted, "", ""), ev("a", "c1", ParticipantJoined, "x#1", "")}})
	apply(Batch{Events: []Event{ev("a", "c1", ParticipantJoined, "x#1", "S1"), ev("a", "c1", ParticipantJoined, "y#1", "S2")}})
	apply(Batch{Events: []Event{ev("a", "c1", ParticipantLeft, "y#1", "S2")}})
	apply(Batch{Events: []Event{ev("b", "c2", CallStarted, "", ""), ev("b", "c2", ParticipantJoined, "z#1", "S3")}})
	apply(Batch{Events: []Event{ev("b", "c2", ParticipantLeft, "z#1", "S3"), ev("b", "c2", CallEnded, "", "")}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	evs, err := s2.ActiveEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := NewProjection()
	for _, e := range evs {
		if e.CallID != "c1" {
			t.Fatalf("ActiveEvents returned an event of ended call %s", e.CallID)
		}
		rebuilt.Apply(e)
	}
	if !reflect.DeepEqual(rebuilt.Calls(), live.Calls()) {
		t.Fatalf("rebuilt %+v\nlive %+v", rebuilt.Calls()[0], live.Calls()[0])
	}
	c := rebuilt.Call("a")
	if len(c.Participants) != 1 || c.Participants["x#1"].SID != "S1" || !c.LeftSIDs["S2"] || rebuilt.Call("b") != nil {
		t.Fatalf("rebuilt call: %+v", c)
	}
}

func TestShreddedKeysLeaveEveryFile(t *testing.T) {
	s, path := openStore(t)
	keys := make([][]byte, 40)
	for i := range keys {
		keys[i] = make([]byte, 32)
		rand.Read(keys[i])
		id := "call" + string(rune('A'+i))
		appendOK(t, s, Batch{
			Events: []Event{{RoomID: "r" + id, CallID: id, Kind: CallStarted, Source: SourceUser}},
			PutKey: &CallKey{CallID: id, Key: keys[i]},
		})
	}
	for i, k := range keys {
		if !onDisk(t, path, k) {
			t.Fatalf("key %d not found on disk while active; the check below would prove nothing", i)
		}
	}
	// End all calls but the last; their keys must vanish, the last must stay.
	for i := range keys[:len(keys)-1] {
		id := "call" + string(rune('A'+i))
		appendOK(t, s, Batch{Events: []Event{{RoomID: "r" + id, CallID: id, Kind: CallEnded, Source: SourceUser}}, ShredKey: id})
		if k, err := s.Key(context.Background(), id); err != nil || k != nil {
			t.Fatalf("key of ended %s still readable: %x %v", id, k, err)
		}
	}
	for i, k := range keys[:len(keys)-1] {
		if onDisk(t, path, k) {
			t.Fatalf("shredded key %d is still in the database, WAL or shm", i)
		}
	}
	if !onDisk(t, path, keys[len(keys)-1]) {
		t.Fatal("the active call's key disappeared too")
	}
}

func TestConcurrentAppendsGetDistinctSeqs(t *testing.T) {
	s, _ := openStore(t)
	var wg sync.WaitGroup
	seqs := make([]int64, 20)
	for i := range seqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, err := s.Append(context.Background(), Batch{Events: []Event{{RoomID: "r", CallID: "c", Kind: ParticipantJoined, Source: SourceUser}}})
			if err != nil {
				t.Error(err)
				return
			}
			seqs[i] = evs[0].Seq
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, q := range seqs {
		if q == 0 || seen[q] {
			t.Fatalf("seqs not distinct: %v", seqs)
		}
		seen[q] = true
	}
}

func TestCallApplyRules(t *testing.T) {
	start := Event{Seq: 1, RoomID: "r", CallID: "c", Kind: CallStarted}
	joined := func(id, sid string) Event {
		return Event{Seq: 2, RoomID: "r", CallID: "c", Kind: ParticipantJoined, Identity: id, SID: sid, At: time.Unix(100, 0)}
	}
	left := func(id, sid string) Event {
		return Event{Seq: 3, RoomID: "r", CallID: "c", Kind: ParticipantLeft, Identity: id, SID: sid}
	}
	cases := []struct {
		name    string
		events  []Event
		present map[string]string // identity -> sid
	}{
		{"token handed out is pending", []Event{joined("a#1", "")}, map[string]string{"a#1": ""}},
		{"livekit confirms", []Event{joined("a#1", ""), joined("a#1", "S1")}, map[string]string{"a#1": "S1"}},
		{"old session's leave keeps new session", []Event{joined("a#1", "S1"), joined("a#1", "S2"), left("a#1", "S1")}, map[string]string{"a#1": "S2"}},
		{"leave of current session removes", []Event{joined("a#1", "S1"), left("a#1", "S1")}, map[string]string{}},
		{"leave without session always removes", []Event{joined("a#1", "S1"), left("a#1", "")}, map[string]string{}},
		{"rejoin token resets to pending", []Event{joined("a#1", "S1"), joined("a#1", "")}, map[string]string{"a#1": ""}},
		{"other call's events are ignored", []Event{{RoomID: "r", CallID: "other", Kind: ParticipantJoined, Identity: "b#1"}}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewProjection()
			p.Apply(start)
			for _, e := range tc.events {
				p.Apply(e)
			}
			got := map[string]string{}
			for id, part := range p.Call("r").Participants {
				got[id] = part.SID
			}
			if !reflect.DeepEqual(got, tc.present) {
				t.Fatalf("participants %v, want %v", got, tc.present)
			}
		})
	}
	p := NewProjection()
	p.Apply(start)
	p.Apply(joined("a#1", "S1"))
	clone := p.Call("r").Clone()
	clone.Apply(left("a#1", "S1"))
	if len(p.Call("r").Participants) != 1 || p.Call("r").LeftSIDs["S1"] {
		t.Fatal("Clone shares state with the original")
	}
	p.Apply(Event{RoomID: "r", CallID: "c", Kind: CallEnded})
	if p.Call("r") != nil {
		t.Fatal("call_ended left the call in the projection")
	}
}

func BenchmarkAppendJoin(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "log.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := Event{RoomID: "r", CallID: "c", Kind: ParticipantJoined, Identity: "a#1", UserID: "a", Source: SourceUser}
	for b.Loop() {
		if _, err := s.Append(context.Background(), Batch{Events: []Event{e}}); err != nil {
			b.Fatal(err)
		}
	}
}
