package chatto

import (
	"context"
	"fmt"
	"slices"
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
	return s.viewLocked(c, now)
}

// viewLocked shows a call with its live state; s.mu is held.
func (s *Service) viewLocked(c *eventlog.Call, now time.Time) *CallView {
	v := viewOf(c, s.hands[c.ID], now)
	v.Rev = s.handRev[c.ID]
	if k := s.keys[c.ID]; k != nil {
		v.KeyIndex = k.Index
	}
	return v
}

// viewOf shows a call at time now. A ring past its deadline is left out
// even before the timer loop records it as missed, so a page that loads
// in between never shows a ring that is over.
func viewOf(c *eventlog.Call, hands map[string]time.Time, now time.Time) *CallView {
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
		pv := ParticipantView{
			Identity: p.Identity, UserID: p.UserID, Name: p.Name, JoinedAt: p.JoinedAt, Connected: !p.Pending(),
			Role: p.Role,
		}
		if at, ok := hands[p.Identity]; ok {
			pv.HandRaisedAt = &at
		}
		v.Participants = append(v.Participants, pv)
	}
	for _, r := range c.SortedRings() {
		if r.Deadline.After(now) {
			v.Ringing = append(v.Ringing, RingView{UserID: r.UserID, Name: r.Name, ExpiresAt: r.Deadline, Busy: r.Busy,
				Caller: ringer(c, r)})
		}
	}
	return v
}

// ringer names who rang r, taking the name from one of their devices in
// the call (an inviter who is not in it is named by id).
func ringer(c *eventlog.Call, r *eventlog.Ring) User {
	id, _ := UserOfIdentity(r.By)
	for _, p := range c.Participants {
		if p.UserID == id && p.Name != "" {
			return User{ID: id, Name: p.Name}
		}
	}
	return User{ID: id, Name: id}
}

// RoomCall returns the room's active call for a member, or nil.
func (s *Service) RoomCall(ctx context.Context, userID, roomID string) (*CallView, error) {
	if err := s.authorize(ctx, userID, roomID); err != nil {
		return nil, err
	}
	return s.View(roomID), nil
}

// ActiveCalls returns the active calls in the user's rooms, ordered by
// room id. It looks only at the user's rooms, so its cost does not grow
// with the calls running elsewhere.
func (s *Service) ActiveCalls(ctx context.Context, userID string) ([]*CallView, error) {
	rooms, err := s.host.UserRooms(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("chatto: rooms of %s: %w", userID, err)
	}
	rooms = slices.Sorted(slices.Values(rooms))
	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*CallView, 0, 4)
	for _, room := range rooms {
		if c := s.proj.Call(room); c != nil {
			out = append(out, s.viewLocked(c, now))
		}
	}
	return out, nil
}
