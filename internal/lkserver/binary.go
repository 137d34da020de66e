// Package lkserver builds the pinned real livekit-server and runs it on
// loopback, for tests and the dev command.
//
// The server is built from source through the small Go module in
// internal/tools/livekit, so the product's go.mod does not inherit
// livekit-server's dependency graph. The binary is built once and cached in the
// user cache directory.
package lkserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Version is the livekit-server release pinned in internal/tools/livekit/go.mod.
// Newer releases do not build through the module proxy available here.
const Version = "v1.13.5"

// BinaryEnv names the environment variable that, when set, points at a
// prebuilt livekit-server and disables building.
const BinaryEnv = "CHATTO_LIVEKIT_SERVER_BIN"

const (
	serverPackage = "github.com/livekit/livekit-server/cmd/server"
	toolsDir      = "internal/tools/livekit"
)

// Binary returns the path of a built livekit-server Version.
//
// If CHATTO_LIVEKIT_SERVER_BIN is set, that file is used as is. Otherwise the
// binary is cached at <user cache dir>/chatto/livekit-server-<Version> and
// built there on first use with the go command from the internal/tools/livekit
// module of this repository. Concurrent callers, including other processes
// such as test binaries of other packages, wait on a lock file so that only one
// of them builds.
func Binary(ctx context.Context) (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("lkserver: %s=%q: %w", BinaryEnv, p, err)
		}
		return p, nil
	}

	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("lkserver: locate user cache dir (set XDG_CACHE_HOME or %s): %w", BinaryEnv, err)
	}
	dir := filepath.Join(cache, "chatto")
	bin := filepath.Join(dir, "livekit-server-"+Version)
	if checkExecutable(bin) == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lkserver: create cache dir: %w", err)
	}

	unlock, err := lockFile(ctx, filepath.Join(dir, "livekit-build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	// Another process may have finished the build while we waited.
	if checkExecutable(bin) == nil {
		return bin, nil
	}
	if err := build(ctx, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// Cached reports whether Binary can return at once, without building
// livekit-server.
func Cached() bool {
	if p := os.Getenv(BinaryEnv); p != "" {
		return checkExecutable(p) == nil
	}
	cache, err := os.UserCacheDir()
	return err == nil && checkExecutable(filepath.Join(cache, "chatto", "livekit-server-"+Version)) == nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", p)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", p)
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel
// the wait. The lock is released when the returned function is called or the
// process dies.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lkserver: open build lock: %w", err)
	}
	announced := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lkserver: lock %s: %w", path, err)
		}
		if !announced {
			fmt.Fprintf(os.Stderr, "lkserver: waiting for another process to finish building livekit-server %s (lock %s)\n", Version, path)
			announced = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lkserver: waiting for build lock %s: %w", path, context.Cause(ctx))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// build compiles livekit-server into a temporary directory next to bin and
// renames it into place, so bin never exists half-written.
func build(ctx context.Context, bin string) error {
	modDir, err := findToolsModule()
	if err != nil {
		return err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("lkserver: the go command is needed to build livekit-server %s (or set %s): %w", Version, BinaryEnv, err)
	}

	tmpDir, err := os.MkdirTemp(filepath.Dir(bin), "build-")
	if err != nil {
		return fmt.Errorf("lkserver: create build dir: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	out := filepath.Join(tmpDir, "livekit-server")

	fmt.Fprintf(os.Stderr, "lkserver: building livekit-server %s (first run, ~3 min)… from %s into %s\n", Version, modDir, bin)
	start := time.Now()
	log := newTail(8 << 10)
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, serverPackage)
	cmd.Dir = modDir
	// A go.work above the repository must not pull the tools module into a
	// workspace with the product module.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout = io.MultiWriter(log, os.Stderr)
	cmd.Stderr = io.MultiWriter(log, os.Stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lkserver: BUILD OF livekit-server %s FAILED (go build in %s): %w\n%s", Version, modDir, err, log)
	}

	versionOut, err := exec.CommandContext(ctx, out, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("lkserver: built livekit-server does not run: %w\n%s", err, versionOut)
	}
	if want := strings.TrimPrefix(Version, "v"); !strings.Contains(string(versionOut), want) {
		return fmt.Errorf("lkserver: built livekit-server reports %q, want version %s; check %s/go.mod", strings.TrimSpace(string(versionOut)), want, modDir)
	}
	if err := os.Rename(out, bin); err != nil {
		return fmt.Errorf("lkserver: install built livekit-server: %w", err)
	}
	fmt.Fprintf(os.Stderr, "lkserver: built livekit-server %s in %s\n", Version, time.Since(start).Round(time.Second))
	return nil
}

// findToolsModule locates internal/tools/livekit: first by walking up from the
// working directory (go test runs in the package directory, go run wherever
// it was started), then relative to this source file, which holds as long as
// the binary was built from this checkout without -trimpath.
func findToolsModule() (string, error) {
	var tried []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, toolsDir)
			if isToolsModule(cand) {
				return cand, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
		tried = append(tried, "parents of "+wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		cand := filepath.Join(filepath.Dir(file), "..", "tools", "livekit")
		if isToolsModule(cand) {
			return filepath.Clean(cand), nil
		}
		tried = append(tried, cand)
	}
	return "", fmt.Errorf("lkserver: cannot find %s/go.mod to build livekit-server %s (looked in %s); run from the repository or set %s",
		toolsDir, Version, strings.Join(tried, ", "), BinaryEnv)
}

func isToolsModule(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil && fi.Mode().IsRegular()
}
