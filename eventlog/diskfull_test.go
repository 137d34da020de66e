package eventlog

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chattocalls/chatto/internal/tmpfs"
)

// openOnTmpfs opens a store on a tmpfs of its own (see tmpfs.Mount). ok is
// false in the test process go test started, where the test then returns.
func openOnTmpfs(t *testing.T) (s *Store, path string, dir string, ok bool) {
	t.Helper()
	dir, ok = tmpfs.Mount(t, 1<<20)
	if !ok {
		return nil, "", "", false
	}
	path = filepath.Join(dir, "log.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path, dir, true
}

// snapshot is what the log holds: the active calls rebuilt from it and
// the key of each.
func snapshot(t *testing.T, s *Store) ([]*Call, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	evs, err := s.ActiveEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProjection()
	for _, e := range evs {
		p.Apply(e)
	}
	keys := map[string][]byte{}
	for _, c := range p.Calls() {
		if keys[c.ID], err = s.Key(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	return p.Calls(), keys
}

func integrityOK(t *testing.T, s *Store) {
	t.Helper()
	var res string
	if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
}

// A batch appended while the disk is full fails with ErrFull and leaves
// the log exactly as it was: no fact, no new key, no shredded one. Once
// space returns, the same batch is written whole.
func TestAnAppendOnAFullDiskFailsWithErrFullAndWritesNothing(t *testing.T) {
	s, path, dir, ok := openOnTmpfs(t)
	if !ok {
		return
	}
	ctx := context.Background()
	oldKey, newKey := randomKey(t), randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r1", "c1")}, PutKey: &CallKey{CallID: "c1", Key: oldKey}})
	beforeCalls, beforeKeys := snapshot(t, s)

	filler := tmpfs.Fill(t, dir)
	b := Batch{
		Events:   []Event{ended("r1", "c1"), started("r2", "c2")},
		ShredKey: "c1",
		PutKey:   &CallKey{CallID: "c2", Key: newKey},
		Outbox:   []OutboxItem{{ID: "msg_1", Endpoint: "https://hooks.example/a", Event: "call.started", Payload: []byte(`{}`)}},
	}
	evs, err := s.Append(ctx, b)
	if !errors.Is(err, ErrFull) || evs != nil {
		t.Fatalf("append on a full disk = %v, %v; want no events and ErrFull", evs, err)
	}
	if calls, keys := snapshot(t, s); !reflect.DeepEqual(calls, beforeCalls) || !reflect.DeepEqual(keys, beforeKeys) {
		t.Fatalf("a refused append changed the log: calls %v, keys %d; before %v, keys %d", calls, len(keys), beforeCalls, len(beforeKeys))
	}
	if got, err := s.OutboxEntries(ctx, "msg_1"); err != nil || len(got) != 0 {
		t.Fatalf("a refused append left outbox entries %v, %v", got, err)
	}

	filler.Remove()
	if evs := mustAppend(t, s, b); evs[1].Kind != CallStarted {
		t.Fatalf("the retried append wrote %v", evs)
	}
	calls, keys := snapshot(t, s)
	if len(calls) != 1 || calls[0].ID != "c2" || !bytes.Equal(keys["c2"], newKey) {
		t.Fatalf("after the retry the log holds calls %v with keys %v; want c2 with its key", calls, keys)
	}
	if err := s.WaitShreds(ctx); err != nil {
		t.Fatalf("the retry's shred: %v", err)
	}
	if bytes.Contains(diskBytes(t, path), oldKey) {
		t.Fatal("the key of the call the retry ended is still on disk")
	}
	integrityOK(t, s)
}

// A shred whose commit fits in the last free blocks but whose checkpoint
// has to grow the database file (here by the pages of earlier events that
// are still only in the WAL) commits; its checkpoint fails with ErrFull
// and is owed. It keeps failing while the disk is full and succeeds once
// space returns: then the key is in no file.
func TestAShredCheckpointOnAFullDiskIsOwedUntilSpaceReturns(t *testing.T) {
	s, path, dir, ok := openOnTmpfs(t)
	if !ok {
		return
	}
	ctx := context.Background()
	key := randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})
	var history Batch // about 200 KiB of facts the WAL holds and the database file does not yet
	for range 100 {
		e := started("other", "o")
		e.Detail = strings.Repeat("x", 2000)
		history.Events = append(history.Events, e)
	}
	mustAppend(t, s, history)

	filler := tmpfs.Fill(t, dir)
	filler.Release(40 << 10) // room for the shred's WAL frames, not for the checkpoint
	if evs, err := s.Append(ctx, Batch{Events: []Event{ended("r", "c")}, ShredKey: "c"}); err != nil || len(evs) != 1 {
		t.Fatalf("shred on a nearly full disk = %v, %v; want the fact committed", evs, err)
	}
	if err := s.WaitShreds(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("the shred's checkpoint on a full disk = %v, want ErrFull", err)
	}
	if !bytes.Contains(diskBytes(t, path), key) {
		t.Fatal("the key left the files although the checkpoint failed; this test proves nothing")
	}
	if err := s.CheckpointIfDue(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("owed checkpoint on a full disk = %v, want ErrFull", err)
	}

	filler.Remove()
	if err := s.CheckpointIfDue(ctx); err != nil {
		t.Fatalf("owed checkpoint once space returned: %v", err)
	}
	if bytes.Contains(diskBytes(t, path), key) {
		t.Fatal("the shredded key is still on disk after the owed checkpoint")
	}
	if got := mustCallEvents(t, s, "c"); len(got) != 2 || got[1].Kind != CallEnded {
		t.Fatalf("the call's facts = %v; want started and ended", got)
	}
	integrityOK(t, s)
}
