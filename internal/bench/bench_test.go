package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestQuantileIsNearestRank(t *testing.T) {
	var l Latencies
	if l.Quantile(0.5) != 0 {
		t.Fatal("quantile of nothing is not 0")
	}
	for i := 100; i >= 1; i-- {
		l.Add(time.Duration(i) * time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0.001: time.Millisecond} {
		if got := l.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestParseAndPair(t *testing.T) {
	out := `goos: linux
BenchmarkJoinHTTP/callers=64-2         	    3000	   1495386 ns/op	       668.7 joins/s	        40.92 p50-ms	       154.0 p99-ms
--- BENCH: BenchmarkJoinHTTP/callers=64-2
BenchmarkJoinHTTPFloor/callers=64-2    	    2000	     40072 ns/op	     24955 joins/s	         1.099 p50-ms	         4.927 p99-ms
BenchmarkBoot-2    	    1	     2000000000 ns/op
BenchmarkBootFloor-2    	    1	     1000000000 ns/op
PASS`
	res, err := Parse(strings.NewReader(out))
	if err != nil || len(res) != 4 {
		t.Fatalf("Parse = %d results, %v", len(res), err)
	}
	if res[0].Name != "BenchmarkJoinHTTP/callers=64" || res[0].N != 3000 || res[0].Metrics["p99-ms"] != 154 {
		t.Fatalf("first result = %+v", res[0])
	}
	pairs := Pairs(res)
	if len(pairs) != 2 {
		t.Fatalf("Pairs = %+v", pairs)
	}
	if p := pairs[0]; p.Name != "JoinHTTP/callers=64" || p.Rate != "joins/s" || math.Abs(p.Ratio-668.7/24955) > 1e-9 {
		t.Fatalf("join pair = %+v", p)
	}
	if p := pairs[1]; p.Rate != "ns/op" || p.Ratio != 0.5 {
		t.Fatalf("boot pair = %+v", p)
	}
}
