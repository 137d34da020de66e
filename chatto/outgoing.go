package chatto

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// Outgoing webhooks tell host servers about calls (to ring a phone in the
// background, say). The service turns facts into webhook payloads and
// queues one delivery per subscribed endpoint in the outbox, inside the
// transaction that appends the facts: a fact is never committed without
// its deliveries, nor a delivery without its fact. Sending, signing and
// retrying are the delivery worker's (package outgoing).

// Outgoing webhook types. Their names and payloads are a contract with
// receivers.
const (
	WebhookCallStarted = "call.started"
	WebhookCallRinging = "call.ringing"
	WebhookCallEnded   = "call.ended"
	// WebhookCallMissed is sent once per rung user whose ring ran out
	// unanswered, for a direct call and for an invite alike.
	WebhookCallMissed = "call.missed"
)

// WebhookEvents returns every outgoing webhook type.
func WebhookEvents() []string {
	return []string{WebhookCallStarted, WebhookCallRinging, WebhookCallEnded, WebhookCallMissed}
}

// OutgoingEndpoint is a receiver of outgoing webhooks as the service sees
// it. Its secret is not here: only the delivery worker signs.
type OutgoingEndpoint struct {
	// Endpoint names the receiver in the outbox (the server uses its URL);
	// the delivery worker finds the URL and secret by it.
	Endpoint string
	// Events are the webhook types it wants; empty means all.
	Events []string
}

func (e OutgoingEndpoint) wants(typ string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, typ)
}

// outgoing is the service's part of outgoing webhooks.
type outgoing struct {
	endpoints []OutgoingEndpoint
	// notify wakes the delivery worker after a commit that queued
	// deliveries, so it sends them now rather than at its next poll.
	notify func()
}

// WithOutgoing makes the service queue outgoing webhooks for endpoints
// and call notify (which must not block) after each commit that queued
// some.
func WithOutgoing(endpoints []OutgoingEndpoint, notify func()) Option {
	return func(s *Service) {
		s.outgoing = outgoing{endpoints: slices.Clone(endpoints), notify: notify}
	}
}

// queued tells the delivery worker that a commit queued n deliveries.
func (o outgoing) queued(n int) {
	if n > 0 && o.notify != nil {
		o.notify()
	}
}

// Webhook is an outgoing webhook body, in the Standard Webhooks shape.
type Webhook struct {
	Type string `json:"type"`
	// Timestamp is when the fact happened.
	Timestamp time.Time `json:"timestamp"`
	// Data is one of the *Data types below, by Type.
	Data any `json:"data"`
}

// CallStartedData is the data of call.started.
type CallStartedData struct {
	CallID    string    `json:"call_id"`
	RoomID    string    `json:"room_id"`
	Type      string    `json:"type"` // "audio" or "video"
	CreatedBy string    `json:"created_by"`
	StartedAt time.Time `json:"started_at"`
}

// CallRingingData is the data of call.ringing: UserID is being rung by
// Caller until ExpiresAt.
type CallRingingData struct {
	CallID    string    `json:"call_id"`
	RoomID    string    `json:"room_id"`
	UserID    string    `json:"user_id"`
	Caller    string    `json:"caller"`
	ExpiresAt time.Time `json:"expires_at"`
	// Busy says the rung user is in another call.
	Busy bool `json:"busy"`
}

// CallEndedData is the data of call.ended: the whole call.
type CallEndedData struct {
	CallID    string    `json:"call_id"`
	RoomID    string    `json:"room_id"`
	Type      string    `json:"type"`
	CreatedBy string    `json:"created_by"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// Outcome is completed, missed, declined, busy, cancelled or merged.
	Outcome string `json:"outcome"`
	// DurationSeconds is 0 unless the call completed.
	DurationSeconds int64 `json:"duration_seconds"`
	// Participants joined the call, Rung were rung; user ids in order of
	// first join and first ring.
	Participants []string `json:"participants"`
	Rung         []string `json:"rung"`
}

// CallMissedData is the data of call.missed: UserID's ring from Caller
// ran out unanswered.
type CallMissedData struct {
	CallID string `json:"call_id"`
	RoomID string `json:"room_id"`
	UserID string `json:"user_id"`
	Caller string `json:"caller"`
}

// outboxItems returns the outgoing webhook deliveries that the events of
// one batch cause. They are appended with the events, in the same
// transaction.
func (s *Service) outboxItems(ctx context.Context, evs []eventlog.Event) []eventlog.OutboxItem {
	if len(s.outgoing.endpoints) == 0 {
		return nil
	}
	var items []eventlog.OutboxItem
	for i, e := range evs {
		hook, ok := s.webhook(ctx, e, evs[:i])
		if !ok || !s.subscribed(hook.Type) {
			continue
		}
		payload, err := json.Marshal(hook)
		if err != nil {
			s.log.ErrorContext(ctx, "cannot encode an outgoing webhook", "type", hook.Type, "call", e.CallID, "err", err)
			continue
		}
		// One id for the fact on every endpoint, so a receiver behind two
		// endpoints can tell it is the same; kept in the row, so every
		// retry repeats it.
		id := "msg_" + rand.Text()
		for _, ep := range s.outgoing.endpoints {
			if ep.wants(hook.Type) {
				items = append(items, eventlog.OutboxItem{ID: id, Endpoint: ep.Endpoint, Event: hook.Type, Payload: payload})
			}
		}
	}
	return items
}

func (s *Service) subscribed(typ string) bool {
	for _, ep := range s.outgoing.endpoints {
		if ep.wants(typ) {
			return true
		}
	}
	return false
}

// webhook is the outgoing webhook a fact causes, if any; before are the
// events of its batch that come before it, not yet in the log.
func (s *Service) webhook(ctx context.Context, e eventlog.Event, before []eventlog.Event) (Webhook, bool) {
	at := webhookTime(e.At)
	caller, _ := UserOfIdentity(e.Identity)
	switch {
	case e.Kind == eventlog.CallStarted:
		typ := e.CallType
		if typ == "" {
			typ = eventlog.TypeVideo
		}
		return Webhook{Type: WebhookCallStarted, Timestamp: at, Data: CallStartedData{
			CallID: e.CallID, RoomID: e.RoomID, Type: typ, CreatedBy: e.UserID, StartedAt: at,
		}}, true
	case e.Kind == eventlog.RingStarted:
		return Webhook{Type: WebhookCallRinging, Timestamp: at, Data: CallRingingData{
			CallID: e.CallID, RoomID: e.RoomID, UserID: e.UserID, Caller: caller,
			ExpiresAt: webhookTime(e.Deadline), Busy: e.Detail == eventlog.DetailBusy,
		}}, true
	case e.Kind == eventlog.RingStopped && e.Reason == eventlog.RingMissed:
		return Webhook{Type: WebhookCallMissed, Timestamp: at, Data: CallMissedData{
			CallID: e.CallID, RoomID: e.RoomID, UserID: e.UserID, Caller: caller,
		}}, true
	case e.Kind == eventlog.CallEnded:
		if !s.subscribed(WebhookCallEnded) {
			return Webhook{}, false
		}
		c := s.endingSummary(ctx, e, before)
		return Webhook{Type: WebhookCallEnded, Timestamp: at, Data: CallEndedData{
			CallID: e.CallID, RoomID: e.RoomID, Type: c.Type, CreatedBy: c.CreatedBy,
			StartedAt: webhookTime(c.StartedAt), EndedAt: at, Outcome: string(c.Outcome),
			DurationSeconds: int64(c.duration() / time.Second), Participants: c.Participants, Rung: c.Rung,
		}}, true
	}
	return Webhook{}, false
}

// endingSummary is the whole story of the call that end ends. The batch
// holding end is not in the log yet, so the log's events of the call are
// followed by the batch's own up to end.
func (s *Service) endingSummary(ctx context.Context, end eventlog.Event, before []eventlog.Event) callSummary {
	evs, err := s.store.CallEvents(ctx, end.CallID)
	if err != nil {
		// The facts are about to be appended to the same database, so
		// this is rare; the webhook then says only what the batch knows.
		s.log.WarnContext(ctx, "cannot read a call's events for its call.ended webhook", "call", end.CallID, "err", err)
	}
	for _, e := range before {
		if e.CallID == end.CallID {
			evs = append(evs, e)
		}
	}
	return summarize(append(evs, end))
}

// webhookTime is t as the log keeps it (milliseconds), in UTC, so a
// webhook and the call history agree to the millisecond.
func webhookTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}
