package calltest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestLeakCheckCatchesPlantedSecrets plays the API with a stand-in server
// that leaks on purpose, through the same Client.Raw, Stream and log
// writer the suite uses, and checks that each leak is found and that a
// key in its own join answer is not one.
func TestLeakCheckCatchesPlantedSecrets(t *testing.T) {
	key := bytes.Repeat([]byte{0xFB, 0xFF, 0xBF, 0x01}, 8) // "+/+/" in base64, "-_-_" in base64url
	b64 := base64.StdEncoding.EncodeToString(key)
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5E}, 32))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/rooms/general/call/join": // legitimate: the caller's own key
			fmt.Fprintf(w, `{"call_id":"c1","e2ee_key":%q}`, b64)
		case "/api/rooms/general/call/token": // another key in a join answer
			fmt.Fprintf(w, `{"e2ee_key":%q,"call":{"note":%q}}`, other, b64)
		case "/api/rooms/general/messages":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"error":{"code":"internal","message":"secret %s"}}`, APISecret)
		case "/api/events":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "event: call.updated\ndata: {\"k\":%q}\n\n", hex.EncodeToString(key))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close) // after the stream's cleanup has hung up

	e := &Env{t: t, BaseURL: srv.URL}
	c := &Client{t: t, env: e, User: "alice", Token: "t"}
	c.Raw("POST", "/api/rooms/general/call/join", nil)
	if got := e.Leaks(); len(got) != 0 {
		t.Fatalf("a key in its own join answer was reported: %v", got)
	}
	c.Raw("POST", "/api/rooms/general/call/token", nil)
	c.Raw("POST", "/api/rooms/general/messages", map[string]string{"text": "hi"})
	Next(t, Stream(t, e, c), 5*time.Second, "call.updated", nil)
	fmt.Fprintf(e, "level=DEBUG msg=oops key=%s\n", base64.RawURLEncoding.EncodeToString(key))

	got := e.Leaks()
	for _, want := range []string{
		"key 0 (base64) in answer to POST /api/rooms/general/call/token (200)",
		"the API secret in answer to POST /api/rooms/general/messages (500)",
		"key 0 (hex) in event stream of alice",
		"key 0 (base64url) in the server's logs",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("leak not reported: %s\nreported: %q", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("reported %d leaks, want 4: %q", len(got), got)
	}
}

// TestLeakCheckCatchesKeysFromOutside checks keys registered with AddKey
// (a browser's) and text recorded with Observe (its console).
func TestLeakCheckCatchesKeysFromOutside(t *testing.T) {
	e := &Env{t: t}
	raw := bytes.Repeat([]byte{0x42, 0x99}, 16)
	e.AddKey(base64.StdEncoding.EncodeToString(raw))
	e.Observe("browser console of bob", "log: fine")
	if got := e.Leaks(); len(got) != 0 {
		t.Fatalf("clean text reported: %v", got)
	}
	e.Observe("browser console of bob", "debug: key "+string(raw))
	if got := e.Leaks(); !slices.Equal(got, []string{"key 0 (raw) in browser console of bob"}) {
		t.Fatalf("got %q", got)
	}
}
