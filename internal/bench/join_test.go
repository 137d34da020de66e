package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/livekit/protocol/auth"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

const benchPassword = "bench-password"

// concurrency is the number of callers each HTTP benchmark runs with.
var concurrency = []int{1, 16, 64}

// caller is one benchmark client: its own user, room and device.
type caller struct {
	room  string
	token string
	join  string // path of the join request
	leave string
}

// cycle runs b.N join+leave cycles spread over n goroutines, one per
// caller, recording each join's latency. It reports joins/s and the
// join's p50 and p99 in milliseconds.
func cycle(b *testing.B, client *http.Client, base string, callers []caller, n int) {
	b.Helper()
	var next atomic.Int64
	var lat Latencies
	var failed atomic.Value
	var wg sync.WaitGroup
	body := []byte(`{"device_id":"d"}`)
	b.ResetTimer()
	start := time.Now()
	for g := range n {
		c := callers[g]
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := post(client, base+c.join, c.token, body); err != nil {
					failed.Store(err)
					return
				}
				lat.Add(time.Since(t0))
				if err := post(client, base+c.leave, c.token, body); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lat.Len())/elapsed.Seconds(), "joins/s")
	b.ReportMetric(Ms(lat.Quantile(0.5)), "p50-ms")
	b.ReportMetric(Ms(lat.Quantile(0.99)), "p99-ms")
}

func post(client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("POST %s: %d %s", url, res.StatusCode, msg)
	}
	return nil
}

func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// joinEnv starts the product with one user and one room per caller.
// Even callers' rooms keep a call running (another device of the same
// user holds a token, and the join grace is long), so their joins and
// leaves come and go in a call that persists; odd callers are alone, so
// each join starts a call and each leave ends it.
func joinEnv(b *testing.B, callers int) (*calltest.Env, []caller) {
	env := calltest.Start(b, func(c *config.Config) {
		lk := &c.LiveKit
		lk.JoinBurst, lk.JoinInterval = 1<<30, time.Millisecond
		lk.MaxPendingDevices = 1 << 20
		lk.JoinGrace = time.Hour
	})
	h := env.Main.Host()
	ctx := context.Background()
	out := make([]caller, callers)
	client := httpClient()
	for i := range out {
		user, room := fmt.Sprintf("u%02d", i), fmt.Sprintf("bench-%02d", i)
		if err := h.AddUser(ctx, user, "User "+user, benchPassword); err != nil {
			b.Fatal(err)
		}
		if err := h.AddRoom(ctx, room, "Bench "+room, chatto.RoomGroup, []string{user}, []string{user}); err != nil {
			b.Fatal(err)
		}
		token, err := h.Login(ctx, user, benchPassword, "127.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		c := caller{room: room, token: token, join: "/api/rooms/" + room + "/call/join", leave: "/api/rooms/" + room + "/call/leave"}
		if i%2 == 0 {
			if err := post(client, env.BaseURL+c.join, token, []byte(`{"device_id":"holder"}`)); err != nil {
				b.Fatal(err)
			}
		}
		out[i] = c
	}
	return env, out
}

// BenchmarkJoinHTTP is the product's join (and leave) over HTTP on
// loopback: session, membership, rate limits, the log append, LiveKit
// room creation for a new call, token and key.
func BenchmarkJoinHTTP(b *testing.B) {
	for _, n := range concurrency {
		b.Run(fmt.Sprintf("callers=%d", n), func(b *testing.B) {
			env, callers := joinEnv(b, n)
			cycle(b, httpClient(), env.BaseURL, callers, n)
		})
	}
}

// BenchmarkJoinHTTPFloor is the minimal token service: an echo handler
// that authenticates a bearer token and mints a LiveKit JWT (all that
// Element's lk-jwt-service does), and a leave that only authenticates,
// driven exactly as BenchmarkJoinHTTP.
func BenchmarkJoinHTTPFloor(b *testing.B) {
	for _, n := range concurrency {
		b.Run(fmt.Sprintf("callers=%d", n), func(b *testing.B) {
			srv, callers := floorService(b, n)
			cycle(b, httpClient(), srv.URL, callers, n)
		})
	}
}

func floorService(b *testing.B, n int) (*httptest.Server, []caller) {
	sessions := make(map[string]string, n) // token -> user
	callers := make([]caller, n)
	for i := range callers {
		user := fmt.Sprintf("u%02d", i)
		tok := fmt.Sprintf("session-%02d-%s", i, strings.Repeat("x", 32))
		sessions[tok] = user
		callers[i] = caller{token: tok, join: "/rooms/bench-" + user + "/token", leave: "/rooms/bench-" + user + "/leave"}
	}
	var mu sync.RWMutex
	authed := func(c echo.Context) (string, bool) {
		tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		mu.RLock()
		user, known := sessions[tok]
		mu.RUnlock()
		return user, ok && known
	}
	e := echo.New()
	e.POST("/rooms/:room/token", func(c echo.Context) error {
		user, ok := authed(c)
		if !ok {
			return c.NoContent(http.StatusUnauthorized)
		}
		var req struct {
			DeviceID string `json:"device_id"`
		}
		if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
			return c.NoContent(http.StatusBadRequest)
		}
		yes := true
		jwt, err := auth.NewAccessToken(calltest.APIKey, calltest.APISecret).
			SetIdentity(user + "#" + req.DeviceID).SetName(user).SetValidFor(10 * time.Minute).
			SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: c.Param("room"), CanPublish: &yes, CanSubscribe: &yes}).
			ToJWT()
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"token": jwt, "livekit_url": "ws://127.0.0.1:7880"})
	})
	e.POST("/rooms/:room/leave", func(c echo.Context) error {
		if _, ok := authed(c); !ok {
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.JSON(http.StatusOK, map[string]bool{"left": true})
	})
	srv := httptest.NewServer(e)
	b.Cleanup(srv.Close)
	return srv, callers
}
