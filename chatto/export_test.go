package chatto

import (
	"hash/maphash"

	"github.com/chattocalls/chatto/eventlog"
)

// SetReconcilePause lets tests run f between a reconcile's snapshot of
// the calls and its listing of LiveKit's rooms.
func SetReconcilePause(s *Service, f func()) {
	if f == nil {
		s.reconcilePause.Store(nil)
		return
	}
	s.reconcilePause.Store(&f)
}

// Settled runs f with copies of the service's active calls and keys
// while no call can change (every room lock is held, so no commit is
// between its append and its apply), for tests that compare memory with
// the log.
func Settled(s *Service, f func(calls []*eventlog.Call, keys map[string]eventlog.CallKey)) {
	for i := range s.stripes {
		s.stripes[i].Lock()
	}
	defer func() {
		for i := range s.stripes {
			s.stripes[i].Unlock()
		}
	}()
	s.mu.RLock()
	calls := s.proj.Calls()
	for i, c := range calls {
		calls[i] = c.Clone()
	}
	keys := make(map[string]eventlog.CallKey, len(s.keys))
	for id, k := range s.keys {
		keys[id] = *s.keyOf(k.CallID)
	}
	s.mu.RUnlock()
	f(calls, keys)
}

// RoomsShareLock reports whether two rooms share a lock stripe.
func RoomsShareLock(s *Service, a, b string) bool {
	return maphash.String(s.seed, a)%uint64(len(s.stripes)) == maphash.String(s.seed, b)%uint64(len(s.stripes))
}
