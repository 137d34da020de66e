package eventlog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestAShredCutShortByACrashIsFinishedAtOpen: the process dies after a
// call_ended commit deleted its key but before the checkpoint moved the
// key's old WAL frames out (here a reader's snapshot holds the checkpoint
// off, and the files are copied as the crash left them). Opening the log
// again must finish the shred, not leave the key in the WAL until some
// later call ends.
func TestAShredCutShortByACrashIsFinishedAtOpen(t *testing.T) {
	s, path := openStore(t)
	ctx := context.Background()
	key := randomKey(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c")}, PutKey: &CallKey{CallID: "c", Key: key}})

	tx := holdSnapshot(t, path)
	defer tx.Rollback()
	if evs, err := s.Append(ctx, Batch{Events: []Event{ended("r", "c")}, ShredKey: "c"}); err != nil || len(evs) != 1 {
		t.Fatalf("shred with a reader holding a snapshot = %v, %v; want the facts committed", evs, err)
	}
	if err := s.WaitShreds(ctx); err == nil {
		t.Fatal("the shred's checkpoint succeeded with a reader holding a snapshot")
	}

	// The crash: the files as they are now, never closed or checkpointed.
	crashed := filepath.Join(t.TempDir(), "log.db")
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(diskBytes(t, crashed), key) {
		t.Fatal("the crashed files do not hold the key; this test proves nothing")
	}

	again, err := Open(ctx, crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if bytes.Contains(diskBytes(t, crashed), key) {
		t.Fatal("after reopening a log whose shred a crash cut short, the ended call's key is still in its files")
	}
	if evs, err := again.CallEvents(ctx, "c"); err != nil || len(evs) != 2 {
		t.Fatalf("the call's facts after the crash: %d, %v; want started and ended", len(evs), err)
	}
}
