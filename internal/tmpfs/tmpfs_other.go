//go:build !linux

package tmpfs

import "testing"

// Mount fails the test: mount namespaces and tmpfs are Linux's.
func Mount(t *testing.T, size int64) (dir string, ok bool) {
	t.Helper()
	t.Fatal("a private tmpfs needs Linux (mount namespaces)")
	return "", false
}

// Filler is a file that takes every free block of a filesystem.
type Filler struct{}

// Fill fails the test: see Mount.
func Fill(t testing.TB, dir string) *Filler {
	t.Helper()
	t.Fatal("a private tmpfs needs Linux (mount namespaces)")
	return nil
}

// Release does nothing: see Mount.
func (f *Filler) Release(n int64) {}

// Remove does nothing: see Mount.
func (f *Filler) Remove() {}

// Free fails the test: see Mount.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	t.Fatal("a private tmpfs needs Linux (mount namespaces)")
	return 0
}
