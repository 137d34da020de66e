package eventlog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/migrate"
)

// testdata/v1.db was written by the release before migrations existed
// (schema.sql with IF NOT EXISTS): an ended call whose key was shredded
// and a live call in alice-bob whose key is still stored. It must
// upgrade in place with every event and key intact.
const v1LiveKey = "v1-active-call-key-0123456789abc"

func copyV1(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/v1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chatto.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// allVersions lists the versions of the embedded migrations.
func allVersions(t *testing.T) []int {
	t.Helper()
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range ms {
		out = append(out, m.Version)
	}
	if len(out) < 2 {
		t.Fatalf("only %d migrations embedded", len(out))
	}
	return out
}

func TestV1DatabaseUpgradesInPlaceKeepingEventsAndKeys(t *testing.T) {
	ctx := context.Background()
	path := copyV1(t)
	if !bytes.Contains(diskBytes(t, path), []byte(v1LiveKey)) {
		t.Fatal("the v1 file does not hold the live call's key; the test data is wrong")
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open v1 database: %v", err)
	}
	defer s.Close()

	var versions []int
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations WHERE component = 'eventlog' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if want := allVersions(t); !slices.Equal(versions, want) {
		t.Fatalf("applied migrations = %v, want %v", versions, want)
	}

	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	type row struct {
		seq                            int64
		at                             time.Time
		room, call, identity, sid, lev string
		kind                           Kind
		source                         Source
		reason                         string
	}
	want := []row{
		{1, t0, "general", "oldcall", "", "", "", CallStarted, SourceUser, ""},
		{2, t0, "general", "oldcall", "alice#d1", "", "", ParticipantJoined, SourceUser, ""},
		{3, t0.Add(time.Second), "general", "oldcall", "alice#d1", "PA_1", "EV_1", ParticipantJoined, SourceLiveKit, ""},
		{4, t0.Add(65 * time.Second), "general", "oldcall", "alice#d1", "PA_1", "EV_2", ParticipantLeft, SourceLiveKit, "left"},
		{5, t0.Add(65 * time.Second), "general", "oldcall", "", "", "EV_2", CallEnded, SourceLiveKit, "last_left"},
		{6, t0.Add(100 * time.Second), "alice-bob", "livecall", "", "", "", CallStarted, SourceUser, ""},
		{7, t0.Add(100 * time.Second), "alice-bob", "livecall", "bob#d2", "", "", ParticipantJoined, SourceUser, ""},
		{8, t0.Add(101 * time.Second), "alice-bob", "livecall", "bob#d2", "PA_2", "EV_3", ParticipantJoined, SourceLiveKit, ""},
		{9, t0.Add(102 * time.Second), "alice-bob", "livecall", "alice#d3", "", "", ParticipantJoined, SourceUser, ""},
	}
	var got []row
	for _, call := range []string{"oldcall", "livecall"} {
		for _, e := range mustCallEvents(t, s, call) {
			got = append(got, row{e.Seq, e.At.UTC(), e.RoomID, e.CallID, e.Identity, e.SID, e.LiveKitEventID, e.Kind, e.Source, e.Reason})
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events after upgrade:\n got %v\nwant %v", got, want)
	}

	if key, err := s.Key(ctx, "livecall"); err != nil || string(key) != v1LiveKey {
		t.Fatalf("live call's key after upgrade = %q, %v", key, err)
	}
	if key, err := s.Key(ctx, "oldcall"); err != nil || key != nil {
		t.Fatalf("ended call's key after upgrade = %q, %v; want none", key, err)
	}

	// The projection rebuilt from the upgraded file still has the live call.
	evs, err := s.ActiveEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProjection()
	for _, e := range evs {
		p.Apply(e)
	}
	c := p.Call("alice-bob")
	if c == nil || c.ID != "livecall" || len(c.Participants) != 2 || c.Type != TypeVideo || c.Ringing() {
		t.Fatalf("rebuilt call = %+v", c)
	}
	for id, p := range c.Participants {
		if p.Role != RoleSpeaker {
			t.Fatalf("participant %s logged before roles has role %q, want speaker", id, p.Role)
		}
	}

	// New kinds and columns are accepted; history is still append-only.
	deadline := time.UnixMilli(time.Now().Add(time.Minute).UnixMilli())
	evs = mustAppend(t, s, Batch{Events: []Event{{RoomID: "alice-bob", CallID: "livecall", Kind: RingStarted,
		UserID: "carol", Source: SourceUser, Reason: RingInvite, Deadline: deadline}}})
	if read := mustCallEvents(t, s, "livecall"); !read[len(read)-1].Deadline.Equal(deadline) {
		t.Fatalf("ring deadline read back as %v, want %v", read[len(read)-1].Deadline, deadline)
	}
	for _, q := range []string{`UPDATE events SET reason = 'x' WHERE seq = 1`, `DELETE FROM events WHERE seq = 1`,
		`INSERT OR REPLACE INTO events (seq, at_ms, room_id, call_id, kind, source) VALUES (1, 0, 'r', 'c', 'call_ended', 'user')`} {
		if _, err := s.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on the upgraded table", q)
		}
	}
	if evs[0].Seq != 10 {
		t.Fatalf("first new event got seq %d, want 10", evs[0].Seq)
	}
}

func TestReopeningAnUpgradedDatabaseAppliesNothing(t *testing.T) {
	ctx := context.Background()
	path := copyV1(t)
	for range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component = 'eventlog'`).Scan(&n); err != nil || n != len(allVersions(t)) {
		t.Fatalf("schema_migrations rows = %d, %v; want one per migration", n, err)
	}
	if got := len(mustCallEvents(t, s, "oldcall")) + len(mustCallEvents(t, s, "livecall")); got != 9 {
		t.Fatalf("events after three opens = %d, want 9", got)
	}
}
