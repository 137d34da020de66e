package chatto

import (
	"sync"
	"time"
)

// Bounds on what one user can make the service do (livekit.join_burst,
// join_interval, max_pending_devices, and the invite budget below). A
// client that joins in a loop, or many tabs that take tokens and never
// connect, would otherwise fill calls with pending devices and the log
// with facts; one that invites in a loop would ring others' phones (each
// invite is a fact and a call.ringing webhook) and probe which user ids
// exist.

// The invite budget: a caller may ring a handful of people at once, then
// one more every few seconds. Constants rather than settings: no client
// of ours comes near it, and nobody has asked to tune it.
const (
	inviteBurst    = 10
	inviteInterval = 2 * time.Second
)

// userLimiter is a token bucket per user: burst actions at once, then one
// every interval.
type userLimiter struct {
	burst    float64
	interval time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one action of the user's budget, or says how long to wait.
func (l *userLimiter) take(userID string, now time.Time) (wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = make(map[string]*bucket)
	}
	b := l.buckets[userID]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[userID] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)/float64(l.interval))
	}
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(l.interval))
	}
	b.tokens--
	if len(l.buckets) > 10000 {
		l.prune(now)
	}
	return 0
}

// prune forgets users whose bucket has refilled: they would start full.
func (l *userLimiter) prune(now time.Time) {
	for u, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.interval) >= l.burst {
			delete(l.buckets, u)
		}
	}
}

// pendingOf counts the user's devices that hold a token LiveKit has not
// confirmed, except identity (a device asking again is not a new one).
func (s *Service) pendingOf(userID, identity string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.proj.UserCalls(userID) {
		for _, p := range c.Participants {
			if p.UserID == userID && p.Identity != identity && p.Pending() {
				n++
			}
		}
	}
	return n
}
