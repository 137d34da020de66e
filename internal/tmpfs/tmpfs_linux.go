//go:build linux

package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv names the test a child process runs inside its own mount
// namespace.
const childEnv = "CHATTO_TMPFS_TEST"

// Mount gives the calling test a tmpfs of size bytes. In the test process
// go test started, it runs the same test again in a child process with a
// private mount namespace (as root, or as an unprivileged user through a
// user namespace), reports the child's output and result as this test's,
// and returns ok false: the caller then returns at once. In that child it
// mounts the tmpfs and returns its directory with ok true.
//
// A machine that cannot create the namespace or mount the tmpfs fails the
// test with the reason; it is never skipped.
func Mount(t *testing.T, size int64) (dir string, ok bool) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return mount(t, size), true
	}
	runChild(t)
	return "", false
}

// runChild runs t again in a child process in its own mount namespace.
func runChild(t *testing.T) {
	t.Helper()
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	timeout := 2 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 5*time.Second
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(pattern, "/"), "-test.v", "-test.count=1",
		"-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		// Unprivileged: a user namespace in which this user is root may
		// have a mount namespace of its own.
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	out, err := cmd.CombinedOutput()
	t.Logf("the test ran in a child process with a private mount namespace:\n%s", out)
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		t.Fatalf("cannot start the test in a private mount namespace (needs root, or unprivileged user namespaces): %v", err)
	case err != nil:
		t.Fatalf("the test failed in its child process (%v); its output is above", err)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Fatalf("the child process did not run %s; its output is above", t.Name())
	}
}

// mount makes every mount of this (child) process's namespace private, so
// nothing mounted here shows in the parent's, and mounts a tmpfs of size
// bytes on a fresh directory.
func mount(t *testing.T, size int64) string {
	t.Helper()
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make the child's mounts private: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV,
		fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s: %v", size, dir, err)
	}
	// Registered after TempDir's own cleanup, so it runs first: the
	// directory is removed once nothing is mounted on it.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Filler is a file that takes every free block of a filesystem.
type Filler struct {
	t    testing.TB
	path string
}

// Fill fills the filesystem holding dir up to its last block.
func Fill(t testing.TB, dir string) *Filler {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err = f.Write(chunk); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		f.Close()
		t.Fatalf("fill %s: %v, want ENOSPC", dir, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n := Free(t, dir); n != 0 {
		t.Fatalf("%d bytes still free on %s after filling it", n, dir)
	}
	return &Filler{t: t, path: path}
}

// Release gives n bytes (a multiple of the page size) back by shortening
// the filler.
func (f *Filler) Release(n int64) {
	f.t.Helper()
	fi, err := os.Stat(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.Truncate(f.path, max(fi.Size()-n, 0)); err != nil {
		f.t.Fatal(err)
	}
}

// Remove deletes the filler, giving all its space back.
func (f *Filler) Remove() {
	f.t.Helper()
	if err := os.Remove(f.path); err != nil {
		f.t.Fatal(err)
	}
}

// Free returns how many bytes an unprivileged writer may still use on the
// filesystem holding dir.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}
