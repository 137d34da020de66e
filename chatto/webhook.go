package chatto

import (
	"context"
	"fmt"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// HandleWebhook applies a verified LiveKit webhook. Events for rooms that
// are not an active call of ours are ignored. An error means nothing was
// recorded and LiveKit should retry.
func (s *Service) HandleWebhook(ctx context.Context, ev *lkproto.WebhookEvent) error {
	res, f, err := s.applyWebhook(ctx, ev)
	if err != nil {
		return err
	}
	s.metrics.webhookApplied(res)
	// What LiveKit must be told runs after the room lock, and the answer
	// does not wait for it: LiveKit delivers a room's webhooks in order,
	// so a slow answer would hold up the room's next ones.
	s.followLater(ctx, f)
	return nil
}

// applyWebhook is HandleWebhook under the room lock; it also says what
// the webhook did and what LiveKit must be told.
func (s *Service) applyWebhook(ctx context.Context, ev *lkproto.WebhookEvent) (webhookResult, followUp, error) {
	roomID, callID, ok := s.lk.ParseRoomName(ev.GetRoom().GetName())
	f := followUp{roomID: roomID, callID: callID}
	if !ok {
		return webhookIgnored, f, nil
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil || call.ID != callID {
		s.deleteLateRoom(ctx, ev)
		return webhookIgnored, f, nil
	}
	if ev.GetId() != "" && call.WebhookIDs[ev.GetId()] {
		return webhookDuplicate, f, nil
	}
	base := eventlog.Event{RoomID: roomID, CallID: callID, Source: eventlog.SourceLiveKit, LiveKitEventID: ev.GetId()}
	var b eventlog.Batch
	switch ev.GetEvent() {
	case webhook.EventParticipantJoined:
		p := ev.GetParticipant()
		userID, ok := UserOfIdentity(p.GetIdentity())
		cur := call.Participants[p.GetIdentity()]
		if !ok || p.GetSid() == "" || call.LeftSIDs[p.GetSid()] || (cur != nil && cur.SID == p.GetSid()) {
			return webhookIgnored, f, nil
		}
		if cur != nil && (cur.OtherGeneration(livekit.Generation(p)) || staleSession(cur, p)) {
			// A late join of an older session of a device that has a
			// newer one (or had one, before it asked for a new token).
			return webhookIgnored, f, nil
		}
		member, err := s.host.IsMember(ctx, roomID, userID)
		if err != nil {
			return webhookIgnored, f, fmt.Errorf("chatto: membership of %s in %s: %w", userID, roomID, err)
		}
		e, v := s.admitSession(call, p, member, false)
		e.RoomID, e.CallID, e.Source, e.LiveKitEventID = base.RoomID, base.CallID, base.Source, base.LiveKitEventID
		if v == ignore {
			return webhookIgnored, f, nil
		}
		if v == refuse {
			b.Events = append(b.Events, e)
			f.remove = append(f.remove, removal{identity: e.Identity})
			break
		}
		if want := s.roleOfUser(call, cur, userID, p); want != roleOf(p) {
			// Its token predates an admin's change of its user's role.
			f.fix = append(f.fix, roleFix{identity: e.Identity, listener: want == eventlog.RoleListener})
		}
		b.Events = append(b.Events, acceptRing(call, userID, eventlog.SourceLiveKit)...)
		b.Events = append(b.Events, e)
	case webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted:
		p := ev.GetParticipant()
		if p.GetSid() == "" || call.LeftSIDs[p.GetSid()] {
			return webhookIgnored, f, nil
		}
		// Recorded even when the session is not (or no longer) the
		// participant's current one: the tombstone stops a late
		// participant_joined of that session from resurrecting it. A leave
		// of another generation than the device's current one removes
		// nothing (eventlog.Call.Apply).
		e := base
		e.Kind, e.Identity, e.SID, e.Reason = eventlog.ParticipantLeft, p.GetIdentity(), p.GetSid(), eventlog.ReasonLeft
		e.UserID, _ = UserOfIdentity(p.GetIdentity())
		e.SessionStart, e.Generation = sessionStart(p), livekit.Generation(p)
		if cur := call.Participants[p.GetIdentity()]; cur != nil && cur.Pending() && ownSession(cur, p) && !cur.OtherGeneration(e.Generation) {
			// The pending device's own session: LiveKit's join webhook
			// for it was lost. Record that it joined, so the leave
			// removes it now instead of when the join grace runs out.
			joined := e
			joined.Kind, joined.Reason, joined.Detail, joined.Name = eventlog.ParticipantJoined, "", "", cur.Name
			b.Events = append(b.Events, joined)
		}
		if r := p.GetDisconnectReason(); r != lkproto.DisconnectReason_UNKNOWN_REASON {
			e.Detail = r.String()
		}
		switch {
		case ev.GetEvent() == webhook.EventParticipantConnectionAborted:
			e.Reason = eventlog.ReasonAborted
		case p.GetDisconnectReason() == lkproto.DisconnectReason_DUPLICATE_IDENTITY:
			// The same identity connected again (a reload, a network
			// change): LiveKit closed this session for the new one,
			// whose participant_joined is on its way. The device stays.
			e.Reason = eventlog.ReasonReplaced
		case p.GetDisconnectReason() == lkproto.DisconnectReason_STATE_MISMATCH,
			p.GetDisconnectReason() == lkproto.DisconnectReason_MIGRATION:
			// LiveKit issued a full reconnect (its negotiation with the
			// client failed, say) or moved the client to another node:
			// the client comes back with the same token in a moment. The
			// device stays, pending, so the last device of a call going
			// through this does not end the call and shred its key.
			e.Reason = eventlog.ReasonReconnect
		}
		b.Events = append(b.Events, e)
	case webhook.EventRoomFinished:
		// Everyone LiveKit had is gone. Devices still pending may yet
		// connect (LiveKit recreates the room), so the grace decides them.
		for _, p := range call.Sorted() {
			if p.Pending() {
				continue
			}
			e := base
			e.Kind, e.Identity, e.UserID, e.SID, e.Reason = eventlog.ParticipantLeft, p.Identity, p.UserID, p.SID, eventlog.ReasonRoomFinished
			b.Events = append(b.Events, e)
		}
	default:
		return webhookIgnored, f, nil
	}
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceLiveKit)
	if err != nil {
		return webhookIgnored, followUp{}, err
	}
	s.announce(ctx, roomID, evs)
	s.raise(&f)
	if len(evs) == 0 {
		return webhookIgnored, f, nil
	}
	return webhookApplied, f, nil
}

// verdict is what becomes of a LiveKit session a webhook or a listing
// reports for a device that is not in the call under that session.
type verdict int

const (
	// admit: participant_joined adds or confirms the device.
	admit verdict = iota
	// refuse: the session may not be in the call, and no session of its
	// identity may: recorded as over (participant_left, so its own late
	// facts are ignored) and disconnected. LiveKit removes by identity,
	// which is safe only then.
	refuse
	// ignore: the session is of an older join of a device that has (or
	// may yet connect with) a newer one: it neither adds, replaces nor
	// removes the device, and is not disconnected, since removing its
	// identity could take the newer session.
	ignore
)

// admitSession decides about a LiveKit session of a device that is not
// in the call under that session, and returns the fact to record for
// admit (participant_joined) or refuse (participant_left). A session is
// refused if its user is no longer a member of the room (revoked), was
// removed by an admin within the cooldown, or if the device is not in the
// call and its latest join was ended (a leave): then no token of the
// identity is good. One of any other join than the device's latest is
// ignored when a webhook reports it (the session may be long gone, and
// the latest token may still connect), and refused when a listing does
// (connected now, it can never enter the call).
func (s *Service) admitSession(call *eventlog.Call, p *lkproto.ParticipantInfo, member, listed bool) (eventlog.Event, verdict) {
	userID, _ := UserOfIdentity(p.GetIdentity())
	identity, gen := p.GetIdentity(), livekit.Generation(p)
	cur := call.Participants[identity]
	e := eventlog.Event{
		Kind: eventlog.ParticipantJoined, Identity: identity, UserID: userID, Name: p.GetName(),
		SID: p.GetSid(), SessionStart: sessionStart(p), Generation: gen,
	}
	switch {
	case !member:
		e.Kind, e.Reason = eventlog.ParticipantLeft, eventlog.ReasonRevoked
		return e, refuse
	case s.removedFor(call, userID, s.clock.Now()) > 0:
		e.Kind, e.Reason, e.Detail = eventlog.ParticipantLeft, eventlog.ReasonRefused, eventlog.ReasonRemoved
		return e, refuse
	case cur == nil && gen != "" && call.EndedGenerations[call.Generations[identity]]:
		e.Kind, e.Reason, e.Detail = eventlog.ParticipantLeft, eventlog.ReasonRefused, eventlog.DetailStaleGeneration
		return e, refuse
	case cur == nil && !call.Admits(identity, gen) && listed:
		e.Kind, e.Reason, e.Detail = eventlog.ParticipantLeft, eventlog.ReasonRefused, eventlog.DetailStaleGeneration
		return e, refuse
	case cur == nil && !call.Admits(identity, gen):
		return e, ignore
	}
	if cur == nil {
		e.Role = s.roleOfUser(call, nil, userID, p)
	}
	return e, admit
}

// roleOfUser is the role a device LiveKit reports should have: its own
// if it is in the call, else the one an admin gave its user, else what
// its token grants.
func (s *Service) roleOfUser(call *eventlog.Call, cur *eventlog.Participant, userID string, p *lkproto.ParticipantInfo) string {
	if cur != nil {
		return cur.Role
	}
	if r := call.Roles[userID]; r != "" {
		return r
	}
	return roleOf(p)
}

// sessionStart is when LiveKit says the participant's session joined.
func sessionStart(p *lkproto.ParticipantInfo) time.Time {
	if ms := p.GetJoinedAtMs(); ms > 0 {
		return time.UnixMilli(ms)
	}
	if sec := p.GetJoinedAt(); sec > 0 {
		return time.Unix(sec, 0)
	}
	return time.Time{}
}

// deleteLateRoom deletes, after the answer, the LiveKit room a device
// made by connecting to a call that is not running: one that ended before
// its participant_joined arrived, or one whose stale token outlived it.
// Only a room whose call is in this server's log goes (deleteIfStale).
func (s *Service) deleteLateRoom(ctx context.Context, ev *lkproto.WebhookEvent) {
	if ev.GetEvent() != webhook.EventParticipantJoined && ev.GetEvent() != webhook.EventRoomStarted {
		return
	}
	name := ev.GetRoom().GetName()
	s.background(ctx, func(ctx context.Context) {
		if err := s.deleteIfStale(ctx, name); err != nil {
			s.log.DebugContext(ctx, "delete the livekit room of a call that is not running", "room", name, "err", err)
		}
	})
}

// staleSession reports whether p is a session of cur's device that is
// older than the one cur knows: it started before cur's current session
// or, for a device pending a new token, no later than its previous one.
// Only LiveKit's own times are compared.
func staleSession(cur *eventlog.Participant, p *lkproto.ParticipantInfo) bool {
	start := sessionStart(p)
	if cur == nil || start.IsZero() || cur.SessionStart.IsZero() {
		return false
	}
	if cur.Pending() {
		return !start.After(cur.SessionStart)
	}
	return start.Before(cur.SessionStart)
}

// ownSession reports whether session p, which just left, is the one a
// pending device connected with (rather than the session it had before
// its new token).
func ownSession(cur *eventlog.Participant, p *lkproto.ParticipantInfo) bool {
	start := sessionStart(p)
	return !start.IsZero() && (cur.SessionStart.IsZero() || start.After(cur.SessionStart))
}

// roleOf reads a participant's role from the permissions LiveKit reports.
func roleOf(p *lkproto.ParticipantInfo) string {
	if perm := p.GetPermission(); perm != nil && !perm.GetCanPublish() {
		return eventlog.RoleListener
	}
	return eventlog.RoleSpeaker
}

// acceptRing returns the ring_stopped that a rung user's device showing
// up in LiveKit implies, if they are being rung.
func acceptRing(call *eventlog.Call, userID string, src eventlog.Source) []eventlog.Event {
	r := call.Rings[userID]
	if r == nil {
		return nil
	}
	return []eventlog.Event{ringStopped(call, r, eventlog.RingAccepted, src)}
}
