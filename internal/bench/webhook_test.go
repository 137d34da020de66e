package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/livekit"
)

// signed is one webhook delivery, body and signature, made before the
// clock starts.
type signed struct {
	body []byte
	auth string
}

// sessions makes n signed participant_joined webhooks, each a new LiveKit
// session of the device identity in lkRoom, so each one is a new fact.
func sessions(b *testing.B, lkRoom, identity string, from, n int) []signed {
	b.Helper()
	out := make([]signed, n)
	for i := range out {
		ev := &lkproto.WebhookEvent{
			Id: fmt.Sprintf("EV_%s_%d", identity, from+i), Event: webhook.EventParticipantJoined,
			Room:        &lkproto.Room{Name: lkRoom},
			Participant: &lkproto.ParticipantInfo{Identity: identity, Name: identity, Sid: fmt.Sprintf("PA_%s_%d", identity, from+i), JoinedAtMs: time.Now().UnixMilli() + int64(from+i)},
			CreatedAt:   time.Now().Unix(),
		}
		body, err := protojson.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(body)
		jwt, err := auth.NewAccessToken(calltest.APIKey, calltest.APISecret).SetValidFor(time.Hour).
			SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
		if err != nil {
			b.Fatal(err)
		}
		out[i] = signed{body: body, auth: jwt}
	}
	return out
}

// deliver posts each goroutine's webhooks to url, n goroutines at once,
// and reports webhooks/s and the p50 and p99 latency.
func deliver(b *testing.B, url string, perCaller [][]signed) {
	b.Helper()
	client := httpClient()
	var lat Latencies
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, reqs := range perCaller {
		wg.Go(func() {
			for _, r := range reqs {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(r.body))
				req.Header.Set("Content-Type", "application/webhook+json")
				req.Header.Set("Authorization", r.auth)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				msg, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					failed.Store(fmt.Errorf("webhook: %d %s", res.StatusCode, msg))
					return
				}
				lat.Add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.Len())/elapsed.Seconds(), "webhooks/s")
	b.ReportMetric(Ms(lat.Quantile(0.5)), "p50-ms")
	b.ReportMetric(Ms(lat.Quantile(0.99)), "p99-ms")
}

// split shares b.N webhooks among n callers.
func split(total, n int) []int {
	out := make([]int, n)
	for i := range total {
		out[i%n]++
	}
	return out
}

// BenchmarkWebhookHTTP is LiveKit's webhook into the product over HTTP:
// signature check, decode, dedupe, the log append, projection and the
// realtime update, one room (and call) per caller.
func BenchmarkWebhookHTTP(b *testing.B) {
	for _, n := range concurrency {
		b.Run(fmt.Sprintf("callers=%d", n), func(b *testing.B) {
			env, callers := joinEnv(b, n)
			svc := env.Service()
			per := split(b.N, n)
			all := make([][]signed, n)
			for i, c := range callers {
				v := svc.View(c.room)
				if v == nil {
					// Odd callers' rooms have no call yet: start one.
					if err := post(httpClient(), env.BaseURL+c.join, c.token, []byte(`{"device_id":"holder"}`)); err != nil {
						b.Fatal(err)
					}
					v = svc.View(c.room)
				}
				all[i] = sessions(b, livekit.RoomName(svc.ServerID(), c.room, v.ID), userOf(i)+"#holder", 0, per[i])
			}
			deliver(b, env.BaseURL+"/webhooks/livekit", all)
			if lost := env.Relay.Dropped(); len(lost) != 0 {
				b.Fatalf("relay dropped %d webhooks", len(lost))
			}
		})
	}
}

// BenchmarkWebhookHTTPFloor is webhook.ReceiveWebhookEvent alone behind
// an HTTP handler, on the same kind of signed requests, driven the same
// way.
func BenchmarkWebhookHTTPFloor(b *testing.B) {
	keys := auth.NewSimpleKeyProvider(calltest.APIKey, calltest.APISecret)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := webhook.ReceiveWebhookEvent(r, keys); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	for _, n := range concurrency {
		b.Run(fmt.Sprintf("callers=%d", n), func(b *testing.B) {
			per := split(b.N, n)
			all := make([][]signed, n)
			for i := range all {
				all[i] = sessions(b, "floor-room", userOf(i)+"#holder", 0, per[i])
			}
			deliver(b, srv.URL, all)
		})
	}
}

func userOf(i int) string { return fmt.Sprintf("u%02d", i) }
