// Package outage tracks a failure that repeats until something outside
// the server changes (space freed, a lock released), so that it is
// reported once when it starts and once when it ends, not on every retry.
package outage

import (
	"sync"
	"time"
)

// Tracker is one kind of outage. The zero value has none.
type Tracker struct {
	mu       sync.Mutex
	since    time.Time // zero while there is none
	failures int
}

// Fail counts one failure at now and reports whether it starts the outage.
func (o *Tracker) Fail(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures++
	if !o.since.IsZero() {
		return false
	}
	o.since = now
	return true
}

// End ends the outage, if there is one, and says when it began and how
// many failures it saw.
func (o *Tracker) End() (since time.Time, failures int, ended bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	since, failures = o.since, o.failures
	o.since, o.failures = time.Time{}, 0
	return since, failures, !since.IsZero()
}
