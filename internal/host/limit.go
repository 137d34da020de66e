package host

import (
	"net/netip"
	"sync"
	"time"
)

// Limits on failed sign-ins. Each account and each client address has a
// bucket of attempts that refills at a steady rate; every attempt takes
// one and a successful one gives it back, so only failures count. An
// account tolerates a few typos and then allows one guess a minute; an
// address, which may be many people behind one NAT, a few more.
const (
	accountBurst = 5
	accountEvery = time.Minute
	addressBurst = 20
	addressEvery = 30 * time.Second
	// maxBuckets bounds memory: buckets are keyed by names an attacker
	// chooses. Full buckets carry no information and are swept first.
	maxBuckets = 100_000
)

// loginLimiter limits failed sign-ins per account and per address.
type loginLimiter struct {
	account, address *limiter
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		account: newLimiter(accountBurst, accountEvery),
		address: newLimiter(addressBurst, addressEvery),
	}
}

// begin takes an attempt from the account's and the address's buckets. If
// either is empty it takes none and returns how long until both have one.
// It takes before the password is checked, so parallel guesses cannot all
// slip in before the first failure counts.
func (l *loginLimiter) begin(userID, addr string, now time.Time) time.Duration {
	key := addressKey(addr)
	// Lock order: account, then address.
	l.account.mu.Lock()
	defer l.account.mu.Unlock()
	l.address.mu.Lock()
	defer l.address.mu.Unlock()
	wait := max(l.account.waitLocked(userID, now), l.address.waitLocked(key, now))
	if wait > 0 {
		return wait
	}
	l.account.takeLocked(userID, now)
	l.address.takeLocked(key, now)
	return 0
}

// refund gives back the attempts begin took: the sign-in succeeded (or
// failed for a reason that was not the password).
func (l *loginLimiter) refund(userID, addr string, now time.Time) {
	l.account.give(userID, now)
	l.address.give(addressKey(addr), now)
}

// addressKey groups IPv6 clients by /64, the block one subscriber usually
// gets, so that rotating through it does not reset the limit.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// limiter is a set of token buckets.
type limiter struct {
	burst   float64
	every   time.Duration
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, every time.Duration) *limiter {
	return &limiter{burst: float64(burst), every: every, buckets: make(map[string]*bucket)}
}

// levelLocked returns key's tokens at now (refilled since last seen).
func (l *limiter) levelLocked(key string, now time.Time) float64 {
	b, ok := l.buckets[key]
	if !ok {
		return l.burst
	}
	return min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
}

func (l *limiter) waitLocked(key string, now time.Time) time.Duration {
	lvl := l.levelLocked(key, now)
	if lvl >= 1 {
		return 0
	}
	return time.Duration((1 - lvl) * float64(l.every))
}

func (l *limiter) takeLocked(key string, now time.Time) {
	lvl := l.levelLocked(key, now)
	if len(l.buckets) >= maxBuckets {
		l.sweepLocked(now)
	}
	l.buckets[key] = &bucket{tokens: lvl - 1, at: now}
}

func (l *limiter) give(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.buckets[key]; !ok {
		return
	}
	lvl := min(l.burst, l.levelLocked(key, now)+1)
	if lvl >= l.burst {
		delete(l.buckets, key)
		return
	}
	l.buckets[key] = &bucket{tokens: lvl, at: now}
}

// sweepLocked drops full buckets, and if that is not enough, all of them:
// losing the count is better than running out of memory.
func (l *limiter) sweepLocked(now time.Time) {
	for k := range l.buckets {
		if l.levelLocked(k, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
