package chatto

import (
	"context"
	"errors"
	"slices"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// Room admins moderate a call: roles, muting, removal and lowering hands.
// Each right is enforced where it matters: a listener's token and
// LiveKit permissions forbid publishing, a mute is done by LiveKit, a
// removed device is disconnected by LiveKit and refused new tokens.

// requireAdmin checks that the caller is a member and an admin of the
// room.
func (s *Service) requireAdmin(ctx context.Context, userID, roomID string) error {
	if err := s.authorize(ctx, userID, roomID); err != nil {
		return err
	}
	admin, err := s.isAdmin(ctx, roomID, userID)
	if err != nil {
		return err
	}
	if !admin {
		return Errorf(ENOTALLOWED, "only a room admin can do that")
	}
	return nil
}

// participant returns the call and one of its participants, or
// not_in_call. The caller holds the room lock.
func (s *Service) participant(roomID, identity string) (*eventlog.Call, *eventlog.Participant, error) {
	call := s.call(roomID)
	if call == nil || call.Participants[identity] == nil {
		return nil, nil, Errorf(ENOTINCALL, "that participant is not in the room's call")
	}
	return call, call.Participants[identity], nil
}

// SetRole makes a participant's user a speaker or a listener, live, on
// every device of theirs: LiveKit changes their permissions (unpublishing
// what a new listener had out) and later tokens carry the role, also if
// the user leaves and comes back.
func (s *Service) SetRole(ctx context.Context, c Caller, roomID, identity, role string) (*CallView, error) {
	if role != eventlog.RoleSpeaker && role != eventlog.RoleListener {
		return nil, Errorf(EINVALID, "role must be \"speaker\" or \"listener\"")
	}
	if err := s.requireAdmin(ctx, c.UserID, roomID); err != nil {
		return nil, err
	}
	unlock := s.lockRoom(roomID)
	call, p, err := s.participant(roomID, identity)
	if err != nil {
		unlock()
		return nil, err
	}
	callID, userID := call.ID, p.UserID
	devices := s.devicesOf(call, userID, role)
	if len(devices) == 0 && call.Roles[userID] == role {
		unlock()
		return s.View(roomID), nil
	}
	unlock()
	// LiveKit first, outside the room lock: if it cannot be told, a
	// demoted user would keep publishing while the log says otherwise.
	lkRoom := s.lk.RoomName(roomID, callID)
	for _, id := range devices {
		err = s.lk.SetListener(ctx, lkRoom, id, role == eventlog.RoleListener)
		switch {
		case errors.Is(err, livekit.ErrParticipantNotFound):
			// Not connected (yet): its token is checked when it is.
		case err != nil:
			s.log.WarnContext(ctx, "change participant role in livekit", "room", roomID, "err", err)
			return nil, Errorf(EUNAVAILABLE, "the call server (LiveKit) cannot be reached; try again shortly")
		}
	}
	unlock = s.lockRoom(roomID)
	call, p, err = s.participant(roomID, identity)
	if err != nil || call.ID != callID {
		unlock()
		return nil, Errorf(ENOTINCALL, "that participant is not in the room's call")
	}
	// A device of the user that joined meanwhile gets the permissions
	// too, once the role is recorded.
	f := followUp{roomID: roomID, callID: callID}
	for _, id := range s.devicesOf(call, userID, role) {
		if !slices.Contains(devices, id) {
			f.fix = append(f.fix, roleFix{identity: id, listener: role == eventlog.RoleListener})
		}
	}
	b := eventlog.Batch{Events: []eventlog.Event{{
		RoomID: roomID, CallID: callID, Kind: eventlog.RoleChanged, Identity: identity, UserID: userID,
		Name: p.Name, Role: role, Source: eventlog.SourceUser, Detail: c.UserID,
	}}}
	err = s.record(ctx, roomID, b)
	unlock()
	if err != nil {
		return nil, err
	}
	s.follow(ctx, f)
	return s.View(roomID), nil
}

// devicesOf lists the identities of the user's devices in the call whose
// role is not role. The caller holds the room lock.
func (s *Service) devicesOf(call *eventlog.Call, userID, role string) []string {
	var out []string
	for _, p := range call.Sorted() {
		if p.UserID == userID && p.Role != role {
			out = append(out, p.Identity)
		}
	}
	return out
}

// Mute sources a room admin may mute.
var muteSources = map[string]lkproto.TrackSource{
	"microphone":   lkproto.TrackSource_MICROPHONE,
	"camera":       lkproto.TrackSource_CAMERA,
	"screen_share": lkproto.TrackSource_SCREEN_SHARE,
}

// Mute mutes one source of a participant through LiveKit. The participant
// may unmute it again (a listener cannot publish at all). A mute is live
// state in LiveKit, not a fact in the log.
func (s *Service) Mute(ctx context.Context, c Caller, roomID, identity, source string) error {
	src, ok := muteSources[source]
	if !ok {
		return Errorf(EINVALID, "source must be \"microphone\", \"camera\" or \"screen_share\"")
	}
	if err := s.requireAdmin(ctx, c.UserID, roomID); err != nil {
		return err
	}
	unlock := s.lockRoom(roomID)
	call, _, err := s.participant(roomID, identity)
	unlock()
	if err != nil {
		return err
	}
	err = s.lk.MuteSource(ctx, s.lk.RoomName(roomID, call.ID), identity, src)
	switch {
	case errors.Is(err, livekit.ErrParticipantNotFound):
		return Errorf(ENOTINCALL, "that participant is not connected to the call")
	case errors.Is(err, livekit.ErrNoTrack):
		return Errorf(ENOTRACK, "that participant does not publish a %s track", source)
	case err != nil:
		s.log.WarnContext(ctx, "mute participant in livekit", "room", roomID, "err", err)
		return Errorf(EUNAVAILABLE, "the call server (LiveKit) cannot be reached; try again shortly")
	}
	s.log.InfoContext(ctx, "participant muted by a room admin", "room", roomID, "call", call.ID, "identity", identity,
		"source", source, "by", c.UserID)
	return nil
}

// Remove takes a participant's user out of the call: every device of
// theirs leaves (participant_left, reason removed) and is disconnected by
// LiveKit, and none of them may come back (join, token, key, or a
// LiveKit connection with a token from before) for RemoveCooldown.
func (s *Service) Remove(ctx context.Context, c Caller, roomID, identity string) error {
	if err := s.requireAdmin(ctx, c.UserID, roomID); err != nil {
		return err
	}
	unlock := s.lockRoom(roomID)
	call, p, err := s.participant(roomID, identity)
	if err != nil {
		unlock()
		return err
	}
	var b eventlog.Batch
	f := followUp{roomID: roomID, callID: call.ID}
	for _, d := range call.Sorted() {
		if d.UserID != p.UserID {
			continue
		}
		b.Events = append(b.Events, eventlog.Event{
			RoomID: roomID, CallID: call.ID, Kind: eventlog.ParticipantLeft, Identity: d.Identity, UserID: d.UserID,
			Name: d.Name, SID: d.SID, Generation: d.Generation, Source: eventlog.SourceUser,
			Reason: eventlog.ReasonRemoved, Detail: c.UserID,
		})
		f.remove = append(f.remove, removal{identity: d.Identity, userID: d.UserID, reason: eventlog.ReasonRemoved})
	}
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceUser)
	if err == nil {
		s.announce(ctx, roomID, evs)
		s.raise(&f)
	}
	unlock()
	if err != nil {
		return err
	}
	s.follow(ctx, f)
	return nil
}

// RemovedEvent (call.removed) tells a user's clients that a device of
// theirs was taken out of a call: reason removed (by an admin) or revoked
// (they are no longer a member of the room).
type RemovedEvent struct {
	Type     string `json:"type"`
	RoomID   string `json:"room_id"`
	CallID   string `json:"call_id"`
	Identity string `json:"identity"`
	Reason   string `json:"reason"`
}

// EventType implements RealtimeEvent.
func (e RemovedEvent) EventType() string { return EventCallRemoved }

// Revoke takes a user who is no longer a member of a room out of its
// call: every device of theirs leaves (reason revoked) and is disconnected
// by LiveKit, a ring for them stops, and their clients are told. Hosts
// call it (through Plugin.MemberRemoved) when a user leaves or is removed
// from a room; later tokens are refused because they are not a member.
func (s *Service) Revoke(ctx context.Context, roomID, userID string) error {
	unlock := s.lockRoom(roomID)
	call := s.call(roomID)
	if call == nil {
		unlock()
		return nil
	}
	var b eventlog.Batch
	f := followUp{roomID: roomID, callID: call.ID}
	for _, p := range call.Sorted() {
		if p.UserID == userID {
			b.Events = append(b.Events, eventlog.Event{
				RoomID: roomID, CallID: call.ID, Kind: eventlog.ParticipantLeft, Identity: p.Identity, UserID: userID,
				Name: p.Name, SID: p.SID, Generation: p.Generation, Source: eventlog.SourceUser, Reason: eventlog.ReasonRevoked,
			})
			f.remove = append(f.remove, removal{identity: p.Identity, userID: userID, reason: eventlog.ReasonRevoked})
		}
	}
	if r := call.Rings[userID]; r != nil {
		b.Events = append(b.Events, ringStopped(call, r, eventlog.RingCancelled, eventlog.SourceUser))
	}
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceUser)
	if err == nil {
		s.announce(ctx, roomID, evs)
		s.raise(&f)
	}
	unlock()
	if err != nil {
		return err
	}
	s.follow(ctx, f)
	return nil
}

// SetHand raises or lowers a participant's hand. Without identity it is
// the caller's own device; lowering someone else's hand is for room
// admins. Hands are live state, not facts: see README.
func (s *Service) SetHand(ctx context.Context, c Caller, roomID, deviceID, identity string, raised bool) (*CallView, error) {
	if identity == "" {
		dev, err := deviceOf(c, deviceID)
		if err != nil {
			return nil, err
		}
		identity = Identity(c.UserID, dev)
	}
	if err := s.authorize(ctx, c.UserID, roomID); err != nil {
		return nil, err
	}
	if owner, _ := UserOfIdentity(identity); owner != c.UserID {
		admin, err := s.isAdmin(ctx, roomID, c.UserID)
		if err != nil {
			return nil, err
		}
		if raised || !admin {
			return nil, Errorf(ENOTALLOWED, "only a room admin can lower someone else's hand, and nobody can raise it")
		}
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call, _, err := s.participant(roomID, identity)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	hands := s.hands[call.ID]
	_, was := hands[identity]
	switch {
	case raised && !was:
		if hands == nil {
			hands = make(map[string]time.Time)
			s.hands[call.ID] = hands
		}
		hands[identity] = s.clock.Now()
	case !raised && was:
		delete(hands, identity)
	}
	if raised != was {
		s.handRev[call.ID]++
	}
	s.mu.Unlock()
	v := s.View(roomID)
	if raised != was {
		s.publishView(ctx, roomID, v)
	}
	return v, nil
}

// publishView sends the room's members the call as it is now, for live
// state that is not in the log (hands).
func (s *Service) publishView(ctx context.Context, roomID string, v *CallView) {
	room, err := s.host.Room(ctx, roomID)
	if err != nil {
		s.log.WarnContext(ctx, "cannot load room members for call update", "room", roomID, "err", err)
		return
	}
	if err := s.host.Publish(ctx, room.Members, CallEvent{Type: EventCallUpdated, RoomID: roomID, Call: v}); err != nil {
		s.log.WarnContext(ctx, "publish call update", "room", roomID, "err", err)
	}
}
