package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/lkserver"
)

// TestDevCommandRunsTheWholeProduct is the README's run command: it must
// bring up LiveKit and the server so that two clients share a call.
func TestDevCommandRunsTheWholeProduct(t *testing.T) {
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	lkPort, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := writeConfig(t, fmt.Sprintf("[webserver]\nurl = %q\nlisten = \"127.0.0.1:%d\"\n[database]\npath = %q\n",
		base, port, filepath.Join(t.TempDir(), "chatto.db")))

	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "-config", cfg, "-livekit-port", fmt.Sprint(lkPort)},
			io.MultiWriter(calltest.LogWriter(t), stdout), io.MultiWriter(calltest.LogWriter(t), stderr))
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("dev exited with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("dev did not stop within 15s of cancellation")
		}
	}()
	calltest.Eventually(t, 3*time.Minute, "dev server healthy", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	env := calltest.Attach(t, base)
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	calltest.Connect(t, bob.Join("general", "b"))
	calltest.Eventually(t, 20*time.Second, "both connected through webhooks from the dev LiveKit", func() bool {
		v := alice.Call("general")
		return v != nil && len(v.Participants) == 2 && v.Participants[0].Connected && v.Participants[1].Connected
	})

	// What the person who ran it reads: the URL and the sign-ins last,
	// no request lines, no configuration dump, and no build notice for a
	// livekit-server that is already built.
	out := strings.TrimSpace(stdout.String())
	lines := strings.Split(out, "\n")
	if len(lines) < 2 || !strings.Contains(out, "open "+base) || !strings.Contains(lines[len(lines)-2], "alice, bob, carol or dave") {
		t.Fatalf("dev's output ends with:\n%s", out)
	}
	for _, noise := range []string{"http request", "config=", "building livekit-server"} {
		if strings.Contains(stderr.String(), noise) {
			t.Errorf("dev's log has %q in it:\n%s", noise, stderr.String())
		}
	}
}
