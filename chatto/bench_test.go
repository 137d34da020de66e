package chatto_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// The benchmarks come in pairs: the plugin's path and the bare LiveKit
// primitive it cannot avoid, measured in the same run so their ratio
// means something.

// BenchmarkJoinThroughPlugin is a full join request handled in-process:
// session lookup, membership check, log append, token and key.
func BenchmarkJoinThroughPlugin(b *testing.B) {
	// The per-user join limit would stop one user's loop at once.
	env := calltest.Start(b, func(c *config.Config) { c.LiveKit.JoinBurst = 1 << 30 })
	alice := env.Login("alice")
	alice.Join("general", "warm") // the call exists; joins below rejoin it
	h := env.Main.Handler()
	body := []byte(`{"device_id":"bench"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/rooms/general/call/join", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+alice.Token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("join: %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkTokenFloor mints the same token with nothing around it.
func BenchmarkTokenFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		t := true
		_, err := auth.NewAccessToken(calltest.APIKey, calltest.APISecret).
			SetIdentity("alice#bench").SetName("Alice").
			SetMetadata(`{"user_id":"alice","name":"Alice","device_id":"bench"}`).
			SetValidFor(10 * time.Minute).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: "chatto_general_x", CanPublish: &t, CanSubscribe: &t}).
			ToJWT()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// webhookRequests builds n signed participant_joined webhooks, each a new
// session of the same device, so every one appends a fact.
func webhookRequests(b *testing.B, url, room string, n int) []*http.Request {
	out := make([]*http.Request, n)
	for i := range out {
		out[i] = signedWebhook(b, url, webhookBody(b, fmt.Sprintf("EV_%d", i), "participant_joined", room, "alice#a", fmt.Sprintf("PA_%d", i)), calltest.APISecret)
	}
	return out
}

// BenchmarkWebhookThroughPlugin is webhook ingestion in-process: verify,
// decode, dedupe, append, project, announce.
func BenchmarkWebhookThroughPlugin(b *testing.B) {
	env := calltest.Start(b)
	j := env.Login("alice").Join("general", "a")
	reqs := webhookRequests(b, "/webhooks/livekit", j.LiveKitRoom, b.N)
	h := env.Main.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, reqs[i])
		if w.Code != 200 {
			b.Fatalf("webhook: %d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkWebhookVerifyFloor is webhook.ReceiveWebhookEvent alone on the
// same kind of requests.
func BenchmarkWebhookVerifyFloor(b *testing.B) {
	reqs := webhookRequests(b, "/webhooks/livekit", "chatto_general_x", b.N)
	keys := auth.NewSimpleKeyProvider(calltest.APIKey, calltest.APISecret)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := webhook.ReceiveWebhookEvent(reqs[i], keys); err != nil {
			b.Fatal(err)
		}
	}
}
