package eventlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

// A backup taken while calls run holds the running calls, their keys and
// the whole history, and not one byte of a key shredded before it, even
// while the source's WAL still holds the key's old frames (a reader kept
// the shred's checkpoint from finishing).
func TestBackupCopiesLiveRowsAndNoShreddedKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, filepath.Join(dir, "chatto.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := func() []byte {
		k := make([]byte, 32)
		rand.Read(k)
		return k
	}
	ended, running := key(), key()
	start := func(room, call string, k []byte) {
		t.Helper()
		if _, err := st.Append(ctx, Batch{PutKey: &CallKey{CallID: call, Key: k}, Events: []Event{
			{RoomID: room, CallID: call, Kind: CallStarted, Source: SourceUser, UserID: "a", Identity: "a#1"},
			{RoomID: room, CallID: call, Kind: ParticipantJoined, Source: SourceUser, UserID: "a", Identity: "a#1"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "chatto.db")
	start("r1", "c1", ended)
	start("r2", "c2", running)
	reader := holdSnapshot(t, src)
	// The shred commits; its checkpoint cannot finish under the reader.
	st.Append(ctx, Batch{ShredKey: "c1", Events: []Event{
		{RoomID: "r1", CallID: "c1", Kind: CallEnded, Source: SourceUser, Outcome: OutcomeCompleted},
	}})
	if wal, _ := os.ReadFile(src + "-wal"); !bytes.Contains(wal, ended) {
		t.Fatal("the ended call's key is not in the WAL; the test proves nothing")
	}

	dst := filepath.Join(dir, "backup.db")
	info, err := st.Backup(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Events != 5 || info.RunningCalls != 1 || info.Bytes == 0 {
		t.Fatalf("backup info = %+v, want 5 events and 1 running call", info)
	}
	reader.Rollback()
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, ended) {
		t.Fatal("the backup holds the shredded key of an ended call")
	}
	if !bytes.Contains(raw, running) {
		t.Fatal("the backup lacks the key of the running call (so the scan proves nothing)")
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	for _, p := range []string{dst + "-wal", dst + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("checking the backup left %s behind", p)
		}
	}

	// It opens as a store with the same state.
	restored, err := Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	evs, err := restored.ActiveEvents(ctx)
	if err != nil || len(evs) != 2 || evs[0].CallID != "c2" {
		t.Fatalf("restored active events = %+v, %v", evs, err)
	}
	if k, err := restored.Key(ctx, "c2"); err != nil || !bytes.Equal(k, running) {
		t.Fatalf("restored key of the running call = %x, %v", k, err)
	}
	if k, _ := restored.Key(ctx, "c1"); k != nil {
		t.Fatal("the restored copy has a key for the ended call")
	}

	// A backup never overwrites a file.
	if _, err := st.Backup(ctx, dst); err == nil {
		t.Fatal("a second backup to the same file succeeded")
	}
	// A failed backup leaves nothing behind.
	bad := filepath.Join(dir, "no-such-dir", "backup.db")
	if _, err := st.Backup(ctx, bad); err == nil {
		t.Fatal("a backup into a missing directory succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("a failed backup left %s: %v", bad, err)
	}
}
