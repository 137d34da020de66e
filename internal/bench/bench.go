// Package bench holds the side-by-side benchmarks of issue 12: each runs
// a product path and the floor it stands on, in the same run, under the
// same concurrency, and reports both (see BENCHMARKS.md and
// scripts/bench.sh). The benchmarks are in this package's tests; this file
// holds what they share.
package bench

import (
	"slices"
	"sync"
	"time"
)

// Latencies collects request latencies from many goroutines.
type Latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one latency.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Quantile returns the q-quantile (0 < q ≤ 1) of what was recorded, by
// the nearest-rank method, or 0 with nothing recorded.
func (l *Latencies) Quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Len is how many latencies were recorded.
func (l *Latencies) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// Ms converts a duration to milliseconds, for b.ReportMetric.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
