package eventlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// openStore opens a fresh store in its own temporary directory and returns
// it with the database file's path.
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

func mustAppend(t *testing.T, s *Store, b Batch) []Event {
	t.Helper()
	evs, err := s.Append(context.Background(), b)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if len(evs) != len(b.Events) {
		t.Fatalf("append returned %d events for %d written", len(evs), len(b.Events))
	}
	return evs
}

func mustCallEvents(t *testing.T, s *Store, callID string) []Event {
	t.Helper()
	evs, err := s.CallEvents(context.Background(), callID)
	if err != nil {
		t.Fatalf("call events %s: %v", callID, err)
	}
	return evs
}

// diskBytes is everything SQLite keeps on disk for the database at path:
// the main file, the WAL and the shared-memory index. A missing file
// counts as empty.
func diskBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, raw...)
	}
	return all
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func started(room, call string) Event {
	return Event{RoomID: room, CallID: call, Kind: CallStarted, UserID: "alice", Source: SourceUser}
}

// mustWaitShreds waits until every committed shred has left the WAL.
func mustWaitShreds(t *testing.T, s *Store) {
	t.Helper()
	if err := s.WaitShreds(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func left(room, call, identity string) Event {
	return Event{RoomID: room, CallID: call, Kind: ParticipantLeft, Identity: identity, Source: SourceUser, Reason: "left"}
}

func ended(room, call string) Event {
	return Event{RoomID: room, CallID: call, Kind: CallEnded, Source: SourceTimer, Reason: "last_left"}
}

// sameEvent compares events with At by instant, since the store hands
// times back in the local zone.
func sameEvent(a, b Event) bool {
	if !a.At.Equal(b.At) {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return a == b
}

func TestAppendAssignsIncreasingSeqAcrossBatches(t *testing.T) {
	s, _ := openStore(t)
	var seqs []int64
	for i := range 5 {
		call := fmt.Sprintf("c%d", i)
		for _, e := range mustAppend(t, s, Batch{Events: []Event{started("r", call), ended("r", call)}}) {
			seqs = append(seqs, e.Seq)
		}
	}
	if len(seqs) != 10 || seqs[0] < 1 {
		t.Fatalf("seqs = %v, want 10 positive seqs", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seqs not increasing: %v", seqs)
		}
	}
}

func TestCallEventsRoundTripsEveryFieldAtMillisecondPrecision(t *testing.T) {
	s, _ := openStore(t)
	at := time.Date(2025, 3, 4, 5, 6, 7, 123_456_789, time.FixedZone("X", 3600))
	in := []Event{
		{At: at, RoomID: "room_1", CallID: "c1", Kind: CallStarted, Identity: "alice#d1", UserID: "alice",
			Name: "Alice", Source: SourceUser, Reason: ""},
		{At: at.Add(time.Millisecond), RoomID: "room_1", CallID: "c1", Kind: ParticipantJoined, Identity: "bob#d2",
			UserID: "bob", Name: "Bob ☎", SID: "PA_1", Source: SourceLiveKit, LiveKitEventID: "EV_1"},
		{At: at.Add(2 * time.Millisecond), RoomID: "room_1", CallID: "c1", Kind: ParticipantLeft, Identity: "bob#d2",
			UserID: "bob", Name: "Bob ☎", SID: "PA_1", Source: SourceReconcile, Reason: "absent"},
		{At: at.Add(3 * time.Millisecond), RoomID: "room_1", CallID: "c1", Kind: CallEnded, Source: SourceTimer,
			Reason: "grace_expired"},
	}
	got := mustAppend(t, s, Batch{Events: in})
	read := mustCallEvents(t, s, "c1")
	if len(read) != len(in) {
		t.Fatalf("read %d events, want %d", len(read), len(in))
	}
	for i := range in {
		want := in[i]
		want.Seq = got[i].Seq
		want.At = want.At.Truncate(time.Millisecond)
		if !sameEvent(got[i], want) {
			t.Errorf("append returned %+v\nwant %+v", got[i], want)
		}
		if !sameEvent(read[i], want) {
			t.Errorf("read back %+v\nwant %+v", read[i], want)
		}
		if read[i].At.Nanosecond() != 123_000_000+i*1_000_000 {
			t.Errorf("event %d time %v: not kept at millisecond precision", i, read[i].At)
		}
	}
}

func TestAppendStampsMissingTimeWithNow(t *testing.T) {
	s, _ := openStore(t)
	before := time.Now().Truncate(time.Millisecond)
	got := mustAppend(t, s, Batch{Events: []Event{started("r", "c")}})
	after := time.Now()
	read := mustCallEvents(t, s, "c")
	if got[0].At.Before(before) || got[0].At.After(after) || !read[0].At.Equal(got[0].At) {
		t.Fatalf("at = %v (read %v), want within [%v, %v]", got[0].At, read[0].At, before, after)
	}
}

func TestAppendIsAtomic(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")}, PutKey: &CallKey{CallID: "c1", Key: []byte("k1")}})

	cases := []struct {
		name string
		b    Batch
	}{
		{"second event breaks a CHECK", Batch{Events: []Event{
			{RoomID: "r", CallID: "c2", Kind: CallStarted, Source: SourceUser},
			{RoomID: "r", CallID: "c2", Kind: "call_exploded", Source: SourceUser},
		}}},
		{"key of the call already exists", Batch{
			Events: []Event{{RoomID: "r", CallID: "c2", Kind: CallStarted, Source: SourceUser}},
			PutKey: &CallKey{CallID: "c1", Key: []byte("other")},
		}},
		{"unknown source", Batch{Events: []Event{{RoomID: "r", CallID: "c2", Kind: CallStarted, Source: "mallory"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Append(ctx, tc.b); err == nil {
				t.Fatal("append succeeded, want an error")
			}
			if evs := mustCallEvents(t, s, "c2"); len(evs) != 0 {
				t.Fatalf("failed batch left %d events behind: %+v", len(evs), evs)
			}
			if k, err := s.Key(ctx, "c1"); err != nil || string(k) != "k1" {
				t.Fatalf("key of c1 = %q, %v; want k1", k, err)
			}
		})
	}
}

func TestSchemaRefusesUpdateAndDeleteOfEvents(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, Batch{Events: []Event{
		started("r", "c"),
		{RoomID: "r", CallID: "c", Kind: ParticipantJoined, Identity: "bob#1", UserID: "bob", SID: "PA_1", Source: SourceLiveKit},
	}})
	before := mustCallEvents(t, s, "c")

	for _, q := range []string{
		`UPDATE events SET user_id = 'mallory'`,
		`UPDATE events SET seq = seq + 100 WHERE kind = 'participant_joined'`,
		`UPDATE events SET kind = 'call_ended' WHERE kind = 'call_started'`,
		`DELETE FROM events`,
		`DELETE FROM events WHERE kind = 'participant_joined'`,
		`INSERT OR REPLACE INTO events (seq, at_ms, room_id, call_id, kind, source)
			SELECT seq, at_ms, room_id, call_id, 'call_ended', source FROM events WHERE kind = 'call_started'`,
		`REPLACE INTO events (seq, at_ms, room_id, call_id, kind, source) VALUES (2, 0, 'r', 'c', 'participant_left', 'user')`,
		`INSERT INTO events (seq, at_ms, room_id, call_id, kind, source) VALUES (1, 0, 'r', 'c', 'call_started', 'user')
			ON CONFLICT (seq) DO UPDATE SET user_id = 'mallory'`,
	} {
		_, err := s.db.ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s:\nerr = %v, want an append-only refusal", q, err)
		}
	}
	after := mustCallEvents(t, s, "c")
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("rows changed after refused writes:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestActiveEventsReturnsOnlyOpenCallsInSeqOrder(t *testing.T) {
	s, _ := openStore(t)
	joined := func(room, call, id string) Event {
		return Event{RoomID: room, CallID: call, Kind: ParticipantJoined, Identity: id, Source: SourceUser}
	}
	var want []int64
	keep := func(evs []Event, open ...bool) {
		for i, e := range evs {
			if open[i] {
				want = append(want, e.Seq)
			}
		}
	}
	// Interleave an ended call, two open ones and a stray event of a call
	// that never started, so order and filtering are both visible.
	keep(mustAppend(t, s, Batch{Events: []Event{started("a", "old"), started("b", "b1")}}), false, true)
	keep(mustAppend(t, s, Batch{Events: []Event{joined("a", "old", "x#1"), joined("b", "b1", "y#1")}}), false, true)
	keep(mustAppend(t, s, Batch{Events: []Event{ended("a", "old"), started("a", "a2")}}), false, true)
	keep(mustAppend(t, s, Batch{Events: []Event{joined("c", "ghost", "z#1"), joined("a", "a2", "x#1")}}), false, true)
	keep(mustAppend(t, s, Batch{Events: []Event{joined("b", "b1", "w#1")}}), true)

	evs, err := s.ActiveEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range evs {
		got = append(got, e.Seq)
		if e.CallID != "a2" && e.CallID != "b1" {
			t.Errorf("event of call %s (not open) returned: %+v", e.CallID, e)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("active seqs = %v, want %v", got, want)
	}
}

// TestProjectionRebuiltAfterRestartEqualsLive builds state live, closes
// the store, reopens the file and rebuilds the projection from the log
// alone, as the server does at boot.
func TestRecentBoundariesLooksOnlyAtTheTailOfTheLog(t *testing.T) {
	s, _ := openStore(t)
	joined := func(call, who string) Event {
		return Event{RoomID: "r", CallID: call, Kind: ParticipantJoined, Identity: who + "#d", UserID: who, Source: SourceLiveKit}
	}
	// seq 1..4: an old call; 5..9: a newer one that ended; 10..11: one still running.
	mustAppend(t, s, Batch{Events: []Event{started("r", "old"), joined("old", "a"), joined("old", "b"), ended("r", "old")}})
	mustAppend(t, s, Batch{Events: []Event{started("r", "mid"), joined("mid", "a"), joined("mid", "b"), joined("mid", "c"), ended("r", "mid")}})
	mustAppend(t, s, Batch{Events: []Event{started("r2", "new"), joined("new", "a")}})

	kinds := func(n int) []string {
		t.Helper()
		evs, err := s.RecentBoundaries(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, fmt.Sprintf("%d:%s:%s", e.Seq, e.CallID, e.Kind))
		}
		return out
	}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{1, nil},
		{2, []string{"10:new:call_started"}},
		{7, []string{"5:mid:call_started", "9:mid:call_ended", "10:new:call_started"}},
		{6, []string{"9:mid:call_ended", "10:new:call_started"}},
		{100, []string{"1:old:call_started", "4:old:call_ended", "5:mid:call_started", "9:mid:call_ended", "10:new:call_started"}},
	} {
		if got := kinds(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("last %d events: boundaries %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestProjectionRebuiltAfterRestartEqualsLive(t *testing.T) {
	s, path := openStore(t)
	live := NewProjection()
	apply := func(evs ...Event) {
		t.Helper()
		for _, e := range mustAppend(t, s, Batch{Events: evs}) {
			live.Apply(e)
		}
	}
	lk := func(room, call string, k Kind, id, sid, evID string) Event {
		return Event{RoomID: room, CallID: call, Kind: k, Identity: id, UserID: strings.Split(id, "#")[0],
			Name: strings.ToUpper(id), SID: sid, Source: SourceLiveKit, LiveKitEventID: evID}
	}
	user := func(room, call string, k Kind, id string) Event {
		return Event{RoomID: room, CallID: call, Kind: k, Identity: id, UserID: strings.Split(id, "#")[0],
			Name: strings.ToUpper(id), Source: SourceUser}
	}
	apply(started("a", "c1"), user("a", "c1", ParticipantJoined, "x#1"))
	apply(lk("a", "c1", ParticipantJoined, "x#1", "S1", "EV1"), user("a", "c1", ParticipantJoined, "y#1"))
	apply(lk("a", "c1", ParticipantJoined, "y#1", "S2", "EV2"))
	apply(user("a", "c1", ParticipantJoined, "y#1")) // y reconnects: pending again
	apply(lk("a", "c1", ParticipantLeft, "y#1", "S2", "EV3"))
	apply(user("a", "c1", ParticipantJoined, "p#1")) // still pending at restart
	apply(started("b", "c2"), lk("b", "c2", ParticipantJoined, "z#1", "S3", "EV4"))
	apply(lk("b", "c2", ParticipantLeft, "z#1", "S3", "EV5"), ended("b", "c2"))
	apply(started("d", "c3"), lk("d", "c3", ParticipantJoined, "q#1", "S4", "EV6"))
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
		rebuilt.Apply(e)
	}

	if len(live.Calls()) != 2 {
		t.Fatalf("live projection has %d calls, want 2 (the test setup is wrong)", len(live.Calls()))
	}
	if !reflect.DeepEqual(rebuilt.Calls(), live.Calls()) {
		t.Fatalf("rebuilt differs from live:\nrebuilt %s\nlive    %s", dumpCalls(rebuilt), dumpCalls(live))
	}
	c := rebuilt.Call("a")
	if c == nil || rebuilt.Call("b") != nil || rebuilt.Call("d") == nil {
		t.Fatalf("rebuilt calls: %s", dumpCalls(rebuilt))
	}
	x, y, p := c.Participants["x#1"], c.Participants["y#1"], c.Participants["p#1"]
	switch {
	case len(c.Participants) != 3 || x == nil || y == nil || p == nil:
		t.Fatalf("participants of a: %s", dumpCalls(rebuilt))
	case x.SID != "S1" || !y.Pending() || !p.Pending() || p.PendingSince.IsZero():
		t.Fatalf("sessions of a: %s", dumpCalls(rebuilt))
	case !reflect.DeepEqual(c.LeftSIDs, map[string]bool{"S2": true}):
		t.Fatalf("LeftSIDs = %v", c.LeftSIDs)
	case !reflect.DeepEqual(c.WebhookIDs, map[string]bool{"EV1": true, "EV2": true, "EV3": true}):
		t.Fatalf("WebhookIDs = %v", c.WebhookIDs)
	case c.Seq != evs[len(evs)-3].Seq: // the last two events belong to c3
		t.Fatalf("Seq = %d, want %d", c.Seq, evs[len(evs)-3].Seq)
	}
}

func dumpCalls(p *Projection) string {
	var b strings.Builder
	for _, c := range p.Calls() {
		fmt.Fprintf(&b, "\n  call %s room %s seq %d left %v hooks %v", c.ID, c.RoomID, c.Seq, c.LeftSIDs, c.WebhookIDs)
		for _, part := range c.Sorted() {
			fmt.Fprintf(&b, "\n    %+v", *part)
		}
	}
	return b.String()
}

// TestStoreConnectionHasHousePragmas checks the pragmas on the
// connection the store actually writes with; key shredding is only as
// good as secure_delete being on there.
func TestStoreConnectionHasHousePragmas(t *testing.T) {
	s, _ := openStore(t)
	for pragma, want := range map[string]string{
		"secure_delete": "1",
		"journal_mode":  "wal",
		"busy_timeout":  "5000",
		"foreign_keys":  "1",
		"synchronous":   "1",
	} {
		var got string
		if err := s.db.QueryRowContext(context.Background(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestOpenUsesTheExactPathEvenWithURICharacters guards the DSN: SQLite
// parses it as a URI, so an unescaped '#', '?' or '%' in a directory name
// would open (and shred keys in) some other file.
func TestOpenUsesTheExactPathEvenWithURICharacters(t *testing.T) {
	for _, dir := range []string{"hash#dir", "query?dir", "percent%41dir", "space dir"} {
		t.Run(dir, func(t *testing.T) {
			parent := t.TempDir()
			path := filepath.Join(parent, dir, "log.db")
			if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			key := randomKey(t)
			mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})
			if !bytes.Contains(diskBytes(t, path), key) {
				entries, _ := os.ReadDir(parent)
				t.Fatalf("key not written to %s; %s holds %v", path, parent, entries)
			}
			var secure int
			if err := s.db.QueryRow("PRAGMA secure_delete").Scan(&secure); err != nil || secure != 1 {
				t.Fatalf("secure_delete = %d, %v; the DSN lost its pragmas", secure, err)
			}
		})
	}
}

func TestKeyIsReadableOnlyWhileStored(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	key := randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})
	if got, err := s.Key(ctx, "c"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Key(c) = %x, %v; want %x", got, err, key)
	}
	if got, err := s.Key(ctx, "unknown"); err != nil || got != nil {
		t.Fatalf("Key(unknown) = %x, %v; want nil, nil", got, err)
	}
	if all, err := s.CallKeys(ctx); err != nil || len(all) != 1 || !bytes.Equal(all["c"].Key, key) || all["c"].Index != 0 {
		t.Fatalf("CallKeys = %v, %v; want only c's key", all, err)
	}
	// Shredding a call that has no key is not an error.
	mustAppend(t, s, Batch{Events: []Event{ended("r2", "nokey")}, ShredKey: "nokey"})
	if got, err := s.Key(ctx, "c"); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Key(c) after shredding another call = %x, %v", got, err)
	}
}

// TestShreddedKeyLeavesEveryFile is the point of the key table: once a
// call ends its key must not be recoverable from the database, the WAL or
// the shared-memory file.
func TestShreddedKeyLeavesEveryFile(t *testing.T) {
	for _, checkpointFirst := range []bool{false, true} {
		name := "key only in the WAL"
		if checkpointFirst {
			name = "key checkpointed into the database file"
		}
		t.Run(name, func(t *testing.T) {
			s, path := openStore(t)
			ctx := context.Background()
			key := randomKey(t)
			mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})
			if checkpointFirst {
				if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
					t.Fatal(err)
				}
				db, err := os.ReadFile(path)
				if err != nil || !bytes.Contains(db, key) {
					t.Fatalf("key not in the database file after a checkpoint (%v); this case would prove nothing", err)
				}
			}
			if !bytes.Contains(diskBytes(t, path), key) {
				t.Fatal("key not found on disk while the call is active; the search below would prove nothing")
			}

			mustAppend(t, s, Batch{Events: []Event{ended("r", "c")}, ShredKey: "c"})
			mustWaitShreds(t, s)

			if got, err := s.Key(ctx, "c"); err != nil || got != nil {
				t.Fatalf("Key(c) after shredding = %x, %v; want nil", got, err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				raw, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				if bytes.Contains(raw, key) {
					t.Errorf("shredded key still in %s", filepath.Base(p))
				}
			}
			assertEventsNeverHoldKeys(t, s, "c", [][]byte{key})
		})
	}
}

// TestRotatedKeyReplacesTheOldOneInEveryFile: when someone leaves a call
// that goes on, its key is replaced; the old one must leave the database,
// the WAL and the shared-memory file at once, as an ended call's does,
// while the new one (with its index) is what the store answers.
func TestRotatedKeyReplacesTheOldOneInEveryFile(t *testing.T) {
	for _, checkpointFirst := range []bool{false, true} {
		name := "old key only in the WAL"
		if checkpointFirst {
			name = "old key checkpointed into the database file"
		}
		t.Run(name, func(t *testing.T) {
			s, path := openStore(t)
			ctx := context.Background()
			old, next := randomKey(t), randomKey(t)
			mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: old}})
			if checkpointFirst {
				if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Contains(diskBytes(t, path), old) {
				t.Fatal("old key not on disk before the rotation; the search below would prove nothing")
			}
			mustAppend(t, s, Batch{Events: []Event{left("r", "c", "bob#d")}, RotateKey: &CallKey{CallID: "c", Key: next, Index: 1}})
			mustWaitShreds(t, s)

			got, err := s.CallKey(ctx, "c")
			if err != nil || got == nil || !bytes.Equal(got.Key, next) || got.Index != 1 {
				t.Fatalf("CallKey(c) after rotation = %+v, %v; want the new key at index 1", got, err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				raw, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				if bytes.Contains(raw, old) {
					t.Errorf("the rotated-out key is still in %s", filepath.Base(p))
				}
			}
			if !bytes.Contains(diskBytes(t, path), next) {
				t.Error("the new key is not on disk: a restart would lose it")
			}
		})
	}
	t.Run("a call without a key", func(t *testing.T) {
		s, _ := openStore(t)
		_, err := s.Append(context.Background(), Batch{Events: []Event{left("r", "c", "bob#d")}, RotateKey: &CallKey{CallID: "c", Key: randomKey(t), Index: 1}})
		if err == nil {
			t.Fatal("rotating the key of a call that has none succeeded")
		}
		if evs, _ := s.CallEvents(context.Background(), "c"); len(evs) != 0 {
			t.Fatalf("a failed rotation left %d events", len(evs))
		}
	})
}

// TestGroupCommitKeepsEachBatchAllOrNothing: batches appended at once
// share transactions, and a batch that fails (here: rotating the key of a
// call that has none) is rolled back alone; the others' facts are written
// and each caller sees exactly its own outcome.
func TestGroupCommitKeepsEachBatchAllOrNothing(t *testing.T) {
	s, _ := openStore(t)
	// The writer waits a moment before each group, so batches pile up
	// and share transactions.
	s.beforeGroup = func() { time.Sleep(20 * time.Millisecond) }
	ctx := context.Background()
	const n = 60
	var wg sync.WaitGroup
	results := make([]error, n)
	seqs := make([][]Event, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprint("c", i)
			b := Batch{Events: []Event{started(id, id), left(id, id, "a#1")}}
			if i%5 == 0 {
				b.RotateKey = &CallKey{CallID: id, Key: []byte("k"), Index: 1}
			}
			seqs[i], results[i] = s.Append(ctx, b)
		})
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprint("c", i)
		logged := mustCallEvents(t, s, id)
		if i%5 == 0 {
			if results[i] == nil || len(logged) != 0 || seqs[i] != nil {
				t.Errorf("bad batch %s: err %v, %d events logged, %d returned", id, results[i], len(logged), len(seqs[i]))
			}
			continue
		}
		if results[i] != nil || len(logged) != 2 || len(seqs[i]) != 2 || logged[0].Seq != seqs[i][0].Seq || logged[1].Seq != seqs[i][1].Seq {
			t.Errorf("good batch %s: err %v, logged %v, returned %v", id, results[i], logged, seqs[i])
		}
	}
	if s.shared.Load() == 0 {
		t.Fatal("no batches shared a transaction; the test proves nothing about group commit")
	}
}

// TestWritesShareTheGroupCommitAndFailAlone: another component's writes
// (Write) go into the writer's group transactions beside appended
// batches; a failing one leaves nothing, and neither the batches nor the
// other writes of its group lose anything.
func TestWritesShareTheGroupCommitAndFailAlone(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE notes (id TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	s.beforeGroup = func() { time.Sleep(20 * time.Millisecond) }
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprint("w", i)
			if i%2 == 0 {
				_, errs[i] = s.Append(ctx, Batch{Events: []Event{started(id, id)}})
				return
			}
			errs[i] = s.Write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO notes (id) VALUES (?)`, id); err != nil {
					return err
				}
				if i%4 == 3 {
					return errors.New("refused after writing")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprint("w", i)
		var notes int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM notes WHERE id = ?`, id).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		switch {
		case i%2 == 0:
			if errs[i] != nil || len(mustCallEvents(t, s, id)) != 1 {
				t.Errorf("batch %s: err %v", id, errs[i])
			}
		case i%4 == 3:
			if errs[i] == nil || notes != 0 {
				t.Errorf("failing write %s: err %v, %d rows kept", id, errs[i], notes)
			}
		default:
			if errs[i] != nil || notes != 1 {
				t.Errorf("write %s: err %v, %d rows", id, errs[i], notes)
			}
		}
	}
	if s.shared.Load() == 0 {
		t.Fatal("nothing shared a transaction; the test proves nothing about group commit")
	}
}

// TestTheShredderTakesKeysOutUnasked: nobody waits for a shred's
// checkpoint, yet moments after the commit the key is in no file.
func TestTheShredderTakesKeysOutUnasked(t *testing.T) {
	s, path := openStore(t)
	key := randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})
	mustAppend(t, s, Batch{Events: []Event{ended("r", "c")}, ShredKey: "c"})
	deadline := time.Now().Add(2 * time.Second)
	for bytes.Contains(diskBytes(t, path), key) {
		if time.Now().After(deadline) {
			t.Fatal("the shredded key is still on disk 2 s after its commit")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConcurrentShredsEachLeaveNoTrace: shreds that run at the same time
// share checkpoints, and once WaitShreds returns after its own shred,
// each key is out of every file.
func TestConcurrentShredsEachLeaveNoTrace(t *testing.T) {
	s, path := openStore(t)
	const n = 24
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = randomKey(t)
		id := fmt.Sprint("c", i)
		mustAppend(t, s, Batch{Events: []Event{started(id, id)}, PutKey: &CallKey{CallID: id, Key: keys[i]}})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range keys {
		wg.Go(func() {
			id := fmt.Sprint("c", i)
			if _, err := s.Append(context.Background(), Batch{Events: []Event{ended(id, id)}, ShredKey: id}); err != nil {
				errs <- err
				return
			}
			if err := s.WaitShreds(context.Background()); err != nil {
				errs <- err
				return
			}
			if bytes.Contains(diskBytes(t, path), keys[i]) {
				errs <- fmt.Errorf("shred of %s returned with its key still on disk", id)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestShreddingManyKeysKeepsOnlyTheActiveOne ends all calls but one, in
// an order unrelated to insertion, so deleted cells are spread over the
// key table; only the live call's key may remain on disk.
func TestShreddingManyKeysKeepsOnlyTheActiveOne(t *testing.T) {
	const n, kept = 50, 17
	s, path := openStore(t)
	ctx := context.Background()
	id := func(i int) string { return fmt.Sprintf("call-%02d", i) }
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = randomKey(t)
		mustAppend(t, s, Batch{Events: []Event{started(id(i), id(i))}, PutKey: &CallKey{CallID: id(i), Key: keys[i]}})
	}
	disk := diskBytes(t, path)
	for i, k := range keys {
		if !bytes.Contains(disk, k) {
			t.Fatalf("key %d not on disk while active; the search below would prove nothing", i)
		}
	}

	for step := range n {
		i := (step * 7) % n // 7 is coprime with 50: every call once, scattered
		if i == kept {
			continue
		}
		mustAppend(t, s, Batch{Events: []Event{ended(id(i), id(i))}, ShredKey: id(i)})
	}
	mustWaitShreds(t, s)

	disk = diskBytes(t, path)
	for i, k := range keys {
		got, err := s.Key(ctx, id(i))
		if err != nil {
			t.Fatal(err)
		}
		if i == kept {
			if !bytes.Equal(got, k) || !bytes.Contains(disk, k) {
				t.Errorf("the active call's key is gone (Key = %x)", got)
			}
			continue
		}
		if got != nil {
			t.Errorf("Key(%s) = %x after shredding", id(i), got)
		}
		if bytes.Contains(disk, k) {
			t.Errorf("shredded key of %s is still on disk", id(i))
		}
	}
	for i := range keys {
		assertEventsNeverHoldKeys(t, s, id(i), keys)
	}
}

// assertEventsNeverHoldKeys checks that no text field of the call's
// events contains any of the keys, raw or hex-encoded.
func assertEventsNeverHoldKeys(t *testing.T, s *Store, callID string, keys [][]byte) {
	t.Helper()
	evs := mustCallEvents(t, s, callID)
	if len(evs) == 0 {
		t.Fatalf("no events for %s", callID)
	}
	for _, e := range evs {
		fields := []string{e.RoomID, e.CallID, string(e.Kind), e.Identity, e.UserID, e.Name, e.SID,
			string(e.Source), e.LiveKitEventID, e.Reason}
		for _, k := range keys {
			for _, f := range fields {
				if strings.Contains(f, string(k)) || strings.Contains(f, fmt.Sprintf("%x", k)) {
					t.Fatalf("event %d of %s carries key material in %q", e.Seq, callID, f)
				}
			}
		}
	}
}

func TestConcurrentAppendsAllSucceedWithUniqueSeqs(t *testing.T) {
	const n = 20
	s, _ := openStore(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}})
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]Event, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			e := Event{RoomID: "r", CallID: "c", Kind: ParticipantJoined, Identity: fmt.Sprintf("u%d#1", i),
				Source: SourceUser}
			evs, err := s.Append(context.Background(), Batch{Events: []Event{e}})
			if err == nil {
				got[i] = evs[0]
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()

	seen := map[int64]string{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if other, dup := seen[got[i].Seq]; dup || got[i].Seq == 0 {
			t.Fatalf("seq %d given to %s and %s", got[i].Seq, other, got[i].Identity)
		}
		seen[got[i].Seq] = got[i].Identity
	}
	read := mustCallEvents(t, s, "c")
	if len(read) != n+1 {
		t.Fatalf("log holds %d events, want %d", len(read), n+1)
	}
	for _, e := range read[1:] {
		if seen[e.Seq] != e.Identity {
			t.Fatalf("logged seq %d is %s, append reported %q", e.Seq, e.Identity, seen[e.Seq])
		}
	}
}

func BenchmarkAppendJoin(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "log.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, Batch{Events: []Event{started("r", "c")}}); err != nil {
		b.Fatal(err)
	}
	e := Event{RoomID: "r", CallID: "c", Kind: ParticipantJoined, Identity: "a#1", UserID: "a", Name: "A",
		SID: "PA_1", Source: SourceLiveKit, LiveKitEventID: "EV_1"}
	for b.Loop() {
		if _, err := s.Append(ctx, Batch{Events: []Event{e}}); err != nil {
			b.Fatal(err)
		}
	}
}

// A reader holding an old snapshot makes the shred's checkpoint fail; the
// key then sits in the WAL until CheckpointIfDue succeeds once the reader
// is gone.
func TestAFailedShredCheckpointIsRetried(t *testing.T) {
	s, path := openStore(t)
	ctx := context.Background()
	key := randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})

	tx := holdSnapshot(t, path)
	if err := s.CheckpointIfDue(ctx); err != nil {
		t.Fatalf("checkpoint with none owed: %v", err)
	}
	evs, err := s.Append(ctx, Batch{Events: []Event{ended("r", "c")}, ShredKey: "c"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("shred with a reader holding a snapshot = %v, %v; want the facts committed", evs, err)
	}
	if err := s.WaitShreds(ctx); err == nil {
		t.Fatal("the shred's checkpoint succeeded with a reader holding a snapshot")
	}
	if !bytes.Contains(diskBytes(t, path), key) {
		t.Fatal("the key left the files although the checkpoint failed; this test proves nothing")
	}
	tx.Rollback()
	if err := s.CheckpointIfDue(ctx); err != nil {
		t.Fatalf("retried checkpoint: %v", err)
	}
	if bytes.Contains(diskBytes(t, path), key) {
		t.Fatal("the shredded key is still on disk after the retried checkpoint")
	}
	var timeout int
	if err := s.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout); err != nil || timeout != 5000 {
		t.Fatalf("busy_timeout after checkpoints = %d, %v; want it restored to 5000", timeout, err)
	}
}

// holdSnapshot opens another connection to the file and keeps a read
// snapshot open (as a reader in another process would), which makes a
// WAL checkpoint report busy until the returned transaction ends.
func holdSnapshot(t *testing.T, path string) *sql.Tx {
	t.Helper()
	reader, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	tx, err := reader.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM call_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return tx
}
