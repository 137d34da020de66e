package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
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

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "-config", cfg, "-livekit-port", fmt.Sprint(lkPort)}, calltest.LogWriter(t), calltest.LogWriter(t))
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
}
