package chatto

import (
	"context"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// HandleWebhook applies a verified LiveKit webhook. Events for rooms that
// are not an active call of ours are ignored. An error means nothing was
// recorded and LiveKit should retry.
func (s *Service) HandleWebhook(ctx context.Context, ev *lkproto.WebhookEvent) error {
	roomID, callID, ok := livekit.ParseRoomName(ev.GetRoom().GetName())
	if !ok {
		return nil
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil || call.ID != callID || (ev.GetId() != "" && call.WebhookIDs[ev.GetId()]) {
		return nil
	}
	base := eventlog.Event{RoomID: roomID, CallID: callID, Source: eventlog.SourceLiveKit, LiveKitEventID: ev.GetId()}
	var b eventlog.Batch
	switch ev.GetEvent() {
	case webhook.EventParticipantJoined:
		p := ev.GetParticipant()
		userID, ok := UserOfIdentity(p.GetIdentity())
		cur := call.Participants[p.GetIdentity()]
		if !ok || p.GetSid() == "" || call.LeftSIDs[p.GetSid()] || (cur != nil && cur.SID == p.GetSid()) {
			return nil
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name, e.SID = eventlog.ParticipantJoined, p.GetIdentity(), userID, p.GetName(), p.GetSid()
		b.Events = append(b.Events, acceptRing(call, userID, eventlog.SourceLiveKit)...)
		b.Events = append(b.Events, e)
	case webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted:
		p := ev.GetParticipant()
		if p.GetSid() == "" || call.LeftSIDs[p.GetSid()] {
			return nil
		}
		// Recorded even when the session is not (or no longer) the
		// participant's current one: the tombstone stops a late
		// participant_joined of that session from resurrecting it.
		e := base
		e.Kind, e.Identity, e.SID, e.Reason = eventlog.ParticipantLeft, p.GetIdentity(), p.GetSid(), eventlog.ReasonLeft
		e.UserID, _ = UserOfIdentity(p.GetIdentity())
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
		return nil
	}
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceLiveKit)
	if err != nil {
		return err
	}
	s.announce(ctx, roomID, evs)
	return nil
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
