// Package calltest boots the real product for tests: a real livekit-server
// on loopback, a webhook relay in front of the real server (the only fake,
// used to drop or hold webhooks), and the standalone server itself on a
// SQLite file in a temp dir.
package calltest

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
)

// LogWriter sends output to the test log.
func LogWriter(t testing.TB) io.Writer { return testWriter{t} }

// Eventually polls cond until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Identities lists the participants of a call view ("" for nil).
func Identities(v *chatto.CallView) map[string]bool {
	out := map[string]bool{}
	if v != nil {
		for _, p := range v.Participants {
			out[p.Identity] = p.Connected
		}
	}
	return out
}

// testWriter sends output to the test log, quietly after the test ended.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // logging after the test finished panics
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// KeyOnDisk reports whether any of the server's database files holds
// key, once every shred committed so far has been checkpointed (the
// server does that moments after a call ends or its key is rotated; this
// waits for it instead of racing it).
func (e *Env) KeyOnDisk(key []byte) bool {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Main.Store().WaitShreds(ctx); err != nil {
		e.t.Fatalf("wait for shreds: %v", err)
	}
	return FileContains(e.t, e.Config.Database.Path, key)
}

// FileContains reports whether any of the SQLite files of db (the file,
// its -wal and -shm) contains needle.
func FileContains(t testing.TB, db string, needle []byte) bool {
	t.Helper()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		raw, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("read %s: %v", p, err)
		}
		if bytes.Contains(raw, needle) {
			return true
		}
	}
	return false
}
