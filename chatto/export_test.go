package chatto

// SetReconcilePause lets tests run f between a reconcile's snapshot of
// the calls and its listing of LiveKit's rooms.
func SetReconcilePause(s *Service, f func()) {
	if f == nil {
		s.reconcilePause.Store(nil)
		return
	}
	s.reconcilePause.Store(&f)
}
