package chatto

import (
	"context"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// A ring is a fact in the log: ring_started carries its deadline and
// ring_stopped how it ended, so the timer loop can resume every deadline
// from the log after a restart and no device rings for a call that is
// gone.

// ringStarted is the fact that userID is rung by the device byIdentity
// until now + RingTimeout; busy records whether they are in another call.
func (s *Service) ringStarted(ctx context.Context, roomID, callID, byIdentity, userID, why string, now time.Time) eventlog.Event {
	e := eventlog.Event{
		At: now, RoomID: roomID, CallID: callID, Kind: eventlog.RingStarted, Identity: byIdentity,
		UserID: userID, Name: s.userName(ctx, userID), Source: eventlog.SourceUser, Reason: why,
		Deadline: now.Add(s.cfg.RingTimeout),
	}
	if s.inOtherCall(userID, roomID) {
		e.Detail = eventlog.DetailBusy
	}
	return e
}

// ringStopped is the fact that r's ring is over.
func ringStopped(call *eventlog.Call, r *eventlog.Ring, reason string, src eventlog.Source) eventlog.Event {
	return eventlog.Event{
		RoomID: call.RoomID, CallID: call.ID, Kind: eventlog.RingStopped, Identity: r.By,
		UserID: r.UserID, Name: r.Name, Source: src, Reason: reason,
	}
}

// inOtherCall reports whether the user has a device in an active call
// of another room.
func (s *Service) inOtherCall(userID, roomID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.proj.UserCalls(userID) {
		if c.RoomID != roomID {
			return true
		}
	}
	return false
}

// DeclineBusy is the reason a rung user gives when they are in another
// call; a direct call then ends as busy rather than declined.
const DeclineBusy = "busy"

// Decline stops the caller's ring. In a call nobody has answered yet
// (a direct room's) that ends the call as declined, or busy.
func (s *Service) Decline(ctx context.Context, c Caller, roomID, reason string) error {
	if reason != "" && reason != DeclineBusy {
		return Errorf(EINVALID, "reason must be empty or \"busy\"")
	}
	if err := s.authorize(ctx, c.UserID, roomID); err != nil {
		return err
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call, err := s.activeCall(roomID)
	if err != nil {
		return err
	}
	r := call.Rings[c.UserID]
	if r == nil {
		return Errorf(ENOTRINGING, "this call is not ringing for you")
	}
	stop := ringStopped(call, r, eventlog.RingDeclined, eventlog.SourceUser)
	stop.Detail = reason
	b := eventlog.Batch{Events: []eventlog.Event{stop}}
	if call.Ringing() && len(call.Rings) == 1 {
		outcome := eventlog.OutcomeDeclined
		if reason == DeclineBusy {
			outcome = eventlog.OutcomeBusy
		}
		b.Events = append(b.Events, callEnded(call, eventlog.SourceUser, eventlog.RingDeclined, outcome))
		b.ShredKey = call.ID
	}
	return s.record(ctx, roomID, b)
}

// callEnded is the fact that ends call for a reason other than the last
// participant leaving.
func callEnded(call *eventlog.Call, src eventlog.Source, reason string, outcome eventlog.Outcome) eventlog.Event {
	return eventlog.Event{
		RoomID: call.RoomID, CallID: call.ID, Kind: eventlog.CallEnded, Source: src,
		Reason: reason, Outcome: outcome,
	}
}

// Invite rings a room member into the room's running call. An unanswered
// invite times out without ending the call. Inviting someone already
// being rung changes nothing.
func (s *Service) Invite(ctx context.Context, c Caller, roomID, userID string) (*CallView, error) {
	if err := s.authorize(ctx, c.UserID, roomID); err != nil {
		return nil, err
	}
	switch userID {
	case "":
		return nil, Errorf(EINVALID, "user_id is required")
	case c.UserID:
		// Outside a call it would ring the caller's own devices.
		return nil, Errorf(EINVALID, "you cannot invite yourself; join the call instead")
	}
	// Before the invitee is looked up, so that a room without a call does
	// not tell whether a user exists. Checked again under the room lock:
	// the call may end meanwhile.
	if s.call(roomID) == nil {
		return nil, errNoCallToInvite()
	}
	if wait := s.invites.take(c.UserID, s.clock.Now()); wait > 0 {
		e := Errorf(ERATELIMITED, "too many invites; try again in a moment")
		e.RetryAfter = wait
		return nil, e
	}
	if _, err := s.host.User(ctx, userID); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EUSERNOTFOUND, "there is no such user")
		}
		return nil, err
	}
	member, err := s.host.IsMember(ctx, roomID, userID)
	if err != nil {
		return nil, err
	}
	if !member {
		return nil, Errorf(ENOTMEMBER, "that user is not a member of this room")
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil {
		return nil, errNoCallToInvite()
	}
	// Someone an admin took out of the call does not ring others into it.
	if err := s.checkRemoved(call, c.UserID, s.clock.Now()); err != nil {
		return nil, err
	}
	for _, p := range call.Participants {
		if p.UserID == userID {
			return nil, Errorf(EALREADYINCALL, "that user is already in the call")
		}
	}
	if call.Rings[userID] == nil {
		by := Identity(c.UserID, c.DeviceID)
		b := eventlog.Batch{Events: []eventlog.Event{s.ringStarted(ctx, roomID, call.ID, by, userID, eventlog.RingInvite, s.clock.Now())}}
		evs, err := s.commit(ctx, b)
		if err != nil {
			return nil, err
		}
		s.announce(ctx, roomID, evs)
	}
	return s.View(roomID), nil
}

func errNoCallToInvite() error {
	return Errorf(ENOCALL, "the room has no call to invite to; start one by joining")
}

// Merge answers a ring in direct room roomID by bringing the caller into
// the call the rung user is already in (room intoRoom): the direct call
// ends as merged and the caller is told to join intoRoom's call. The
// caller must be a member of intoRoom; otherwise nothing changes.
func (s *Service) Merge(ctx context.Context, c Caller, roomID, intoRoom string) error {
	if intoRoom == "" || intoRoom == roomID {
		return Errorf(EINVALID, "into_room must name another room")
	}
	if err := s.authorize(ctx, c.UserID, roomID); err != nil {
		return err
	}
	if err := s.authorize(ctx, c.UserID, intoRoom); err != nil {
		return err
	}
	target := s.View(intoRoom)
	if target == nil {
		return Errorf(ENOCALL, "the room to merge into has no call")
	}
	if !inView(target, c.UserID) {
		return Errorf(ENOTINCALL, "you are not in the call you want to merge into")
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call, err := s.activeCall(roomID)
	if err != nil {
		return err
	}
	r := call.Rings[c.UserID]
	if r == nil || !call.Ringing() {
		return Errorf(ENOTRINGING, "this call is not ringing for you")
	}
	caller := call.StartedBy
	ok, err := s.host.IsMember(ctx, intoRoom, caller)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(ECALLERNOTMEMBER, "the caller is not a member of the room you want to merge into")
	}
	end := callEnded(call, eventlog.SourceUser, eventlog.RingMerged, eventlog.OutcomeMerged)
	end.Detail = intoRoom
	b := eventlog.Batch{
		Events:   []eventlog.Event{ringStopped(call, r, eventlog.RingMerged, eventlog.SourceUser), end},
		ShredKey: call.ID,
	}
	evs, err := s.commit(ctx, b)
	if err != nil {
		return err
	}
	// Tell the caller where to go before the ended call reaches them, so
	// their page moves instead of reporting a plain end.
	moved := MovedEvent{Type: EventCallMoved, CallID: call.ID, FromRoom: roomID, IntoRoom: intoRoom}
	if err := s.host.Publish(ctx, []string{caller}, moved); err != nil {
		s.log.WarnContext(ctx, "publish call moved", "room", roomID, "err", err)
	}
	s.announce(ctx, roomID, evs)
	return nil
}

func inView(v *CallView, userID string) bool {
	for _, p := range v.Participants {
		if p.UserID == userID {
			return true
		}
	}
	return false
}

// expireRings stops every ring whose deadline has passed, as missed; a
// call nobody answered ends with it. At startup this also settles rings
// whose deadline passed while the server was down.
func (s *Service) expireRings(ctx context.Context) {
	now := s.clock.Now()
	var rooms []string
	s.mu.RLock()
	for _, c := range s.proj.Calls() {
		for _, r := range c.Rings {
			if !r.Deadline.After(now) {
				rooms = append(rooms, c.RoomID)
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, roomID := range rooms {
		if err := s.expireRoomRings(ctx, roomID, now); err != nil && ctx.Err() == nil && !storageFull(err) {
			s.log.WarnContext(ctx, "cannot record missed rings; retrying", "room", roomID, "err", err)
		}
	}
}

func (s *Service) expireRoomRings(ctx context.Context, roomID string, now time.Time) error {
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil {
		return nil
	}
	var b eventlog.Batch
	for _, r := range call.SortedRings() {
		if !r.Deadline.After(now) {
			b.Events = append(b.Events, ringStopped(call, r, eventlog.RingMissed, eventlog.SourceTimer))
		}
	}
	if len(b.Events) == 0 {
		return nil
	}
	if call.Ringing() && len(b.Events) == len(call.Rings) {
		b.Events = append(b.Events, callEnded(call, eventlog.SourceTimer, eventlog.RingMissed, eventlog.OutcomeMissed))
		b.ShredKey = call.ID
	}
	return s.record(ctx, roomID, b)
}

// nextDeadline is the earliest moment the timer loop has work: a ring
// timing out or a pending device's join grace running out (or, after a
// failed check, its retry). Zero means none.
func (s *Service) nextDeadline() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.proj.EachCall(func(c *eventlog.Call) {
		for _, r := range c.Rings {
			consider(r.Deadline)
		}
		for _, p := range c.Participants {
			if p.Pending() {
				at := p.PendingSince.Add(s.cfg.JoinGrace)
				if retry := s.graceRetry[c.RoomID]; retry.After(at) {
					at = retry
				}
				consider(at)
			}
		}
	})
	return next
}
