package tmpfs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chattocalls/chatto/internal/tmpfs"
)

// The tmpfs is mounted only in the child's namespace, holds size bytes,
// fills up to its last block and gets its space back, in part or all; the test process go
// test started never sees it.
func TestMountIsPrivateFillsAndFrees(t *testing.T) {
	const size = 1 << 20
	dir, ok := tmpfs.Mount(t, size)
	if !ok {
		if mounts, err := os.ReadFile("/proc/self/mountinfo"); err != nil || strings.Contains(string(mounts), t.Name()) {
			t.Fatalf("the child's tmpfs shows in the parent's mounts (%v):\n%s", err, mounts)
		}
		return
	}
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err != nil || !strings.Contains(string(mounts), dir+" ") {
		t.Fatalf("%s is not a mount point in the child (%v)", dir, err)
	}
	if free := tmpfs.Free(t, dir); free != size {
		t.Fatalf("a fresh %d-byte tmpfs has %d bytes free", size, free)
	}
	filler := tmpfs.Fill(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "more"), make([]byte, 4096), 0o600); err == nil {
		t.Fatal("a write to a full tmpfs succeeded")
	}
	filler.Release(8192)
	if free := tmpfs.Free(t, dir); free != 8192 {
		t.Fatalf("%d bytes free after releasing 8192", free)
	}
	filler.Remove()
	if err := os.WriteFile(filepath.Join(dir, "more"), make([]byte, 4096), 0o600); err != nil {
		t.Fatalf("a write after the filler was removed: %v", err)
	}
}
