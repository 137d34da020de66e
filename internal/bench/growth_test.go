package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
)

// BenchmarkGrowth is BenchmarkJoinHTTP's cycle at 16 callers while 1, 100
// or 1,000 other calls run (one device each, in rooms of their own): the
// join's latency must not grow with the calls elsewhere, and memory only
// by what each call holds. rss-MB is this process's resident memory after
// the run (server and benchmark clients; LiveKit runs apart).
func BenchmarkGrowth(b *testing.B) {
	const callers = 16
	for _, calls := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			env, cs := joinEnv(b, callers)
			h, ctx := env.Main.Host(), context.Background()
			token := crowdUser(b, env)
			client := httpClient()
			for i := range calls {
				room := fmt.Sprintf("crowd-%04d", i)
				if err := h.AddRoom(ctx, room, room, chatto.RoomGroup, []string{"crowd"}, nil); err != nil {
					b.Fatal(err)
				}
				if err := post(client, env.BaseURL+"/api/rooms/"+room+"/call/join", token, []byte(`{"device_id":"d"}`)); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			cycle(b, client, env.BaseURL, cs, callers)
			b.ReportMetric(rssMB(b), "rss-MB")
		})
	}
}

// rssMB reads this process's resident set size.
func rssMB(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// crowdUser adds the user "crowd", who holds the many calls a benchmark
// runs beside the measured ones, and returns a session token for it.
func crowdUser(b *testing.B, env *calltest.Env) string {
	b.Helper()
	ctx := context.Background()
	if err := env.Main.Host().AddUser(ctx, "crowd", "Crowd", benchPassword); err != nil {
		b.Fatal(err)
	}
	token, err := env.Main.Host().Login(ctx, "crowd", benchPassword, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	return token
}
