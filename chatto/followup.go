package chatto

import (
	"context"
	"errors"

	"github.com/chattocalls/chatto/livekit"
)

// A decision about a call is made and recorded under the room's lock;
// what it then asks of LiveKit (disconnecting devices, changing their
// permissions) runs after the lock is released, because LiveKit may be
// slow and rooms share lock stripes: a slow RoomService must not hold up
// joins in other rooms.
//
// LiveKit removes participants by identity, not by session, so a removal
// that runs late could take a session the device started after the
// decision. A fence closes that gap: it is raised, under the room lock,
// for every identity a decision removes, and lowered once LiveKit has
// been told; until then the identity gets no new token (Join waits).

// followUp is what one decision leaves for LiveKit.
type followUp struct {
	roomID, callID string
	remove         []removal
	fix            []roleFix
}

// removal is one identity to disconnect. If reason is set, userID's
// clients are told why (call.removed).
type removal struct {
	identity, userID, reason string
}

// roleFix is a device whose LiveKit permissions do not match its role.
type roleFix struct {
	identity string
	listener bool
}

// empty reports whether the follow-up asks nothing of LiveKit.
func (f *followUp) empty() bool { return len(f.remove) == 0 && len(f.fix) == 0 }

// fence is a removal of an identity that LiveKit has not yet done; done
// closes when the last one (n) is.
type fence struct {
	n    int
	done chan struct{}
}

func fenceKey(roomID, identity string) string { return roomID + "\x00" + identity }

// raise raises the fences of f's removals. The caller holds the room
// lock, and calls it only once f's facts are committed.
func (s *Service) raise(f *followUp) {
	if len(f.remove) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range f.remove {
		k := fenceKey(f.roomID, r.identity)
		fc := s.fences[k]
		if fc == nil {
			fc = &fence{done: make(chan struct{})}
			s.fences[k] = fc
		}
		fc.n++
	}
}

// lower lowers one fence of an identity.
func (s *Service) lower(roomID, identity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fenceKey(roomID, identity)
	fc := s.fences[k]
	if fc == nil {
		return
	}
	if fc.n--; fc.n == 0 {
		close(fc.done)
		delete(s.fences, k)
	}
}

// fenceOf returns what to wait for before the identity may get a token,
// or nil if no removal of it is outstanding.
func (s *Service) fenceOf(roomID, identity string) <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if fc := s.fences[fenceKey(roomID, identity)]; fc != nil {
		return fc.done
	}
	return nil
}

// follow does what f asks of LiveKit. The caller does not hold the room
// lock. Failures are logged: the facts are recorded already, and the
// reconcile repeats what LiveKit missed (it disconnects whoever may not
// be in the call and compares permissions with roles).
func (s *Service) follow(ctx context.Context, f followUp) {
	ctx = context.WithoutCancel(ctx)
	lkRoom := s.lk.RoomName(f.roomID, f.callID)
	// Permissions first: a device that must not publish loses its tracks
	// as soon as possible.
	for _, fx := range f.fix {
		err := s.lk.SetListener(ctx, lkRoom, fx.identity, fx.listener)
		if err != nil && !errors.Is(err, livekit.ErrParticipantNotFound) {
			s.log.WarnContext(ctx, "align livekit permissions with the participant's role", "room", f.roomID, "err", err)
		}
	}
	for _, r := range f.remove {
		if err := s.lk.RemoveParticipant(ctx, lkRoom, r.identity); err != nil {
			s.log.WarnContext(ctx, "remove participant from livekit", "room", f.roomID, "err", err)
		}
		s.lower(f.roomID, r.identity)
		if r.reason == "" {
			continue
		}
		ev := RemovedEvent{Type: EventCallRemoved, RoomID: f.roomID, CallID: f.callID, Identity: r.identity, Reason: r.reason}
		if err := s.host.Publish(ctx, []string{r.userID}, ev); err != nil {
			s.log.WarnContext(ctx, "publish call removed", "room", f.roomID, "err", err)
		}
	}
}

// followLater is follow without anyone waiting for it (a webhook's answer,
// a leave's): Run waits for it before it returns.
func (s *Service) followLater(ctx context.Context, f followUp) {
	if f.empty() {
		return
	}
	s.background(ctx, func(ctx context.Context) { s.follow(ctx, f) })
}

// waitFence returns once a fence (fenceOf) is lowered; the caller does
// not hold the room lock.
func waitFence(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
