// Package clock has a clock that tests move by hand, so timers of the
// call service (ring deadlines, join grace) run without sleeping.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Manual is a clock that only moves when told to. It satisfies
// chatto.Clock.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
	nextID int
}

type timer struct {
	id  int
	at  time.Time
	f   func()
	off bool
}

// NewManual returns a clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// AfterFunc runs f in its own goroutine once the clock has been moved d
// past now (at once if d <= 0). The returned stop reports whether it
// stopped f from running.
func (m *Manual) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	t := &timer{id: m.nextID, at: m.now.Add(d), f: f}
	if d <= 0 {
		t.off = true
		go f()
		return func() bool { return false }
	}
	m.timers = append(m.timers, t)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		if t.off {
			return false
		}
		t.off = true
		return true
	}
}

// Advance moves the clock forward by d and fires the timers now due, in
// deadline order.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	var due, keep []*timer
	for _, t := range m.timers {
		switch {
		case t.off:
		case !t.at.After(m.now):
			t.off = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	m.timers = keep
	m.mu.Unlock()
	sort.Slice(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].id < due[j].id
	})
	for _, t := range due {
		go t.f()
	}
}

// Pending reports how many timers wait for the clock to move.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.timers {
		if !t.off {
			n++
		}
	}
	return n
}
