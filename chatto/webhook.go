package chatto

import (
	"context"
	"fmt"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/eventlog"
)

// HandleWebhook applies a verified LiveKit webhook. Events for rooms that
// are not an active call of ours are ignored. An error means nothing was
// recorded and LiveKit should retry.
func (s *Service) HandleWebhook(ctx context.Context, ev *lkproto.WebhookEvent) error {
	res, err := s.applyWebhook(ctx, ev)
	if err == nil {
		s.metrics.webhookApplied(res)
	}
	return err
}

// applyWebhook is HandleWebhook; it also says what the webhook did.
func (s *Service) applyWebhook(ctx context.Context, ev *lkproto.WebhookEvent) (webhookResult, error) {
	roomID, callID, ok := s.lk.ParseRoomName(ev.GetRoom().GetName())
	if !ok {
		return webhookIgnored, nil
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil || call.ID != callID {
		s.deleteLateRoom(ctx, ev)
		return webhookIgnored, nil
	}
	if ev.GetId() != "" && call.WebhookIDs[ev.GetId()] {
		return webhookDuplicate, nil
	}
	base := eventlog.Event{RoomID: roomID, CallID: callID, Source: eventlog.SourceLiveKit, LiveKitEventID: ev.GetId()}
	var b eventlog.Batch
	var revoked []string
	var fix []roleFix
	switch ev.GetEvent() {
	case webhook.EventParticipantJoined:
		p := ev.GetParticipant()
		userID, ok := UserOfIdentity(p.GetIdentity())
		cur := call.Participants[p.GetIdentity()]
		if !ok || p.GetSid() == "" || call.LeftSIDs[p.GetSid()] || (cur != nil && cur.SID == p.GetSid()) {
			return webhookIgnored, nil
		}
		if staleSession(cur, p) {
			// A late join of a session older than the one the device
			// has (or had before it asked for a new token).
			return webhookIgnored, nil
		}
		member, err := s.host.IsMember(ctx, roomID, userID)
		if err != nil {
			return webhookIgnored, fmt.Errorf("chatto: membership of %s in %s: %w", userID, roomID, err)
		}
		e := base
		e.Identity, e.UserID, e.Name, e.SID, e.SessionStart = p.GetIdentity(), userID, p.GetName(), p.GetSid(), sessionStart(p)
		if !member {
			// Someone who is no longer in the room (a token from before
			// they left): record the session as over and disconnect it.
			e.Kind, e.Reason = eventlog.ParticipantLeft, eventlog.ReasonRevoked
			b.Events = append(b.Events, e)
			revoked = append(revoked, e.Identity)
			break
		}
		e.Kind = eventlog.ParticipantJoined
		if cur == nil {
			e.Role = roleOf(p)
		} else if cur.Role != roleOf(p) {
			// Its token predates an admin's change of its role.
			fix = append(fix, roleFix{identity: e.Identity, listener: cur.Role == eventlog.RoleListener})
		}
		b.Events = append(b.Events, acceptRing(call, userID, eventlog.SourceLiveKit)...)
		b.Events = append(b.Events, e)
	case webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted:
		p := ev.GetParticipant()
		if p.GetSid() == "" || call.LeftSIDs[p.GetSid()] {
			return webhookIgnored, nil
		}
		// Recorded even when the session is not (or no longer) the
		// participant's current one: the tombstone stops a late
		// participant_joined of that session from resurrecting it.
		e := base
		e.Kind, e.Identity, e.SID, e.Reason = eventlog.ParticipantLeft, p.GetIdentity(), p.GetSid(), eventlog.ReasonLeft
		e.UserID, _ = UserOfIdentity(p.GetIdentity())
		e.SessionStart = sessionStart(p)
		if cur := call.Participants[p.GetIdentity()]; cur != nil && cur.Pending() && ownSession(cur, p) {
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
		return webhookIgnored, nil
	}
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceLiveKit)
	if err != nil {
		return webhookIgnored, err
	}
	s.announce(ctx, roomID, evs)
	s.removeFromLiveKit(ctx, roomID, callID, revoked)
	s.fixRoles(ctx, roomID, callID, fix)
	if len(evs) == 0 {
		return webhookIgnored, nil
	}
	return webhookApplied, nil
}

// roleFix is a device whose LiveKit permissions do not match its role.
type roleFix struct {
	identity string
	listener bool
}

// fixRoles gives devices the permissions of their role, e.g. a device
// demoted while it held a speaker's token and had not connected yet.
func (s *Service) fixRoles(ctx context.Context, roomID, callID string, fixes []roleFix) {
	for _, f := range fixes {
		if err := s.lk.SetListener(context.WithoutCancel(ctx), s.lk.RoomName(roomID, callID), f.identity, f.listener); err != nil {
			s.log.WarnContext(ctx, "align livekit permissions with the participant's role", "room", roomID, "err", err)
		}
	}
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

// removeFromLiveKit disconnects devices that must not be in the call.
func (s *Service) removeFromLiveKit(ctx context.Context, roomID, callID string, identities []string) {
	for _, id := range identities {
		if err := s.lk.RemoveParticipant(context.WithoutCancel(ctx), s.lk.RoomName(roomID, callID), id); err != nil {
			s.log.WarnContext(ctx, "remove a non-member from livekit", "room", roomID, "err", err)
		}
	}
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
