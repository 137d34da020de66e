package chatto

import (
	"context"
	"fmt"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// View returns the public view of the room's active call, or nil.
func (s *Service) View(roomID string) *CallView {
	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.proj.Call(roomID)
	if c == nil {
		return nil
	}
	return viewOf(c, now)
}

// viewOf shows a call at time now. A ring past its deadline is left out
// even before the timer loop records it as missed, so a page that loads
// in between never shows a ring that is over.
func viewOf(c *eventlog.Call, now time.Time) *CallView {
	v := &CallView{
		ID: c.ID, RoomID: c.RoomID, Type: c.Type, State: StateActive, CreatedBy: c.StartedBy,
		StartedAt: c.StartedAt, StartedBy: c.StartedBy, Seq: c.Seq,
		Participants: make([]ParticipantView, 0, len(c.Participants)),
		Ringing:      make([]RingView, 0, len(c.Rings)),
	}
	if c.Ringing() {
		v.State = StateRinging
	}
	for _, p := range c.Sorted() {
		v.Participants = append(v.Participants, ParticipantView{
			Identity: p.Identity, UserID: p.UserID, Name: p.Name, JoinedAt: p.JoinedAt, Connected: !p.Pending(),
		})
	}
	for _, r := range c.SortedRings() {
		if r.Deadline.After(now) {
			v.Ringing = append(v.Ringing, RingView{UserID: r.UserID, Name: r.Name, ExpiresAt: r.Deadline, Busy: r.Busy})
		}
	}
	return v
}

// RoomCall returns the room's active call for a member, or nil.
func (s *Service) RoomCall(ctx context.Context, userID, roomID string) (*CallView, error) {
	if err := s.authorize(ctx, userID, roomID); err != nil {
		return nil, err
	}
	return s.View(roomID), nil
}

// ActiveCalls returns the active calls in the user's rooms.
func (s *Service) ActiveCalls(ctx context.Context, userID string) ([]*CallView, error) {
	now := s.clock.Now()
	s.mu.RLock()
	all := make([]*CallView, 0, len(s.keys))
	for _, c := range s.proj.Calls() {
		all = append(all, viewOf(c, now))
	}
	s.mu.RUnlock()
	out := make([]*CallView, 0, len(all))
	for _, v := range all {
		ok, err := s.host.IsMember(ctx, v.RoomID, userID)
		if err != nil {
			return nil, fmt.Errorf("chatto: membership of %s in %s: %w", userID, v.RoomID, err)
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}
