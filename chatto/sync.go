package chatto

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// This file keeps the log in step with LiveKit: webhooks as they arrive,
// reconciliation against RoomService on a timer, and the join grace.

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
	case "participant_joined":
		p := ev.GetParticipant()
		userID, ok := UserOfIdentity(p.GetIdentity())
		cur := call.Participants[p.GetIdentity()]
		if !ok || p.GetSid() == "" || call.LeftSIDs[p.GetSid()] || (cur != nil && cur.SID == p.GetSid()) {
			return nil
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name, e.SID = eventlog.ParticipantJoined, p.GetIdentity(), userID, p.GetName(), p.GetSid()
		b.Events = append(b.Events, e)
	case "participant_left", "participant_connection_aborted":
		p := ev.GetParticipant()
		if p.GetSid() == "" || call.LeftSIDs[p.GetSid()] {
			return nil
		}
		// Recorded even when the session is not (or no longer) the
		// participant's current one: the tombstone stops a late
		// participant_joined of that session from resurrecting it.
		e := base
		e.Kind, e.Identity, e.SID, e.Reason = eventlog.ParticipantLeft, p.GetIdentity(), p.GetSid(), "left"
		e.UserID, _ = UserOfIdentity(p.GetIdentity())
		if ev.GetEvent() == "participant_connection_aborted" {
			e.Reason = "aborted"
		}
		b.Events = append(b.Events, e)
	case "room_finished":
		// Everyone LiveKit had is gone. Devices still pending may yet
		// connect (LiveKit recreates the room), so the grace decides them.
		for _, p := range call.Sorted() {
			if p.Pending() {
				continue
			}
			e := base
			e.Kind, e.Identity, e.UserID, e.SID, e.Reason = eventlog.ParticipantLeft, p.Identity, p.UserID, p.SID, "room_finished"
			b.Events = append(b.Events, e)
		}
	default:
		return nil
	}
	evs, err := s.commitEnding(ctx, call, b, eventlog.SourceLiveKit)
	if err != nil {
		return err
	}
	s.announce(ctx, roomID, evs)
	return nil
}

// Run redelivers the notices a crash may have lost, reconciles at once
// and then every ReconcileInterval, and enforces the join grace, until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	s.redeliverNotices(ctx)
	if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("startup reconcile failed; calls are kept until LiveKit answers", "err", err)
	}
	reconcile := time.NewTicker(s.cfg.ReconcileInterval)
	defer reconcile.Stop()
	grace := time.NewTicker(min(time.Second, s.cfg.JoinGrace/4))
	defer grace.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reconcile.C:
			if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reconcile failed; calls are kept until LiveKit answers", "err", err)
			}
		case <-grace.C:
			s.expirePending(ctx)
		}
	}
}

// Reconcile compares every active call with LiveKit and records what the
// log missed. A failure to reach LiveKit changes nothing: an unreachable
// server is not proof that a call is empty.
func (s *Service) Reconcile(ctx context.Context) error {
	err := s.reconcile(ctx)
	s.health.record(err)
	return err
}

func (s *Service) reconcile(ctx context.Context) error {
	rooms, err := s.lk.Rooms(ctx)
	if err != nil {
		return err
	}
	s.mu.RLock()
	calls := s.proj.Calls()
	s.mu.RUnlock()
	var errs []error
	for _, c := range calls {
		errs = append(errs, s.reconcileRoom(ctx, c.RoomID, !rooms[livekit.RoomName(c.RoomID, c.ID)]))
	}
	for name := range rooms {
		errs = append(errs, s.deleteIfStale(ctx, name))
	}
	return errors.Join(errs...)
}

// deleteIfStale removes a LiveKit room of ours that belongs to no active
// call, e.g. one left behind while this server was down.
func (s *Service) deleteIfStale(ctx context.Context, name string) error {
	roomID, callID, ok := livekit.ParseRoomName(name)
	if !ok {
		return nil
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	if c := s.call(roomID); c != nil && c.ID == callID {
		return nil
	}
	s.log.Info("deleting stale livekit room", "room", roomID, "call", callID)
	return s.lk.DeleteRoom(ctx, name)
}

// expirePending reconciles the rooms that have a device whose join grace
// is over, so a client that got a token and never connected (or whose
// participant_joined was lost) is settled by asking LiveKit.
func (s *Service) expirePending(ctx context.Context) {
	deadline := time.Now().Add(-s.cfg.JoinGrace)
	var rooms []string
	s.mu.RLock()
	for _, c := range s.proj.Calls() {
		for _, p := range c.Participants {
			if p.Pending() && p.PendingSince.Before(deadline) {
				rooms = append(rooms, c.RoomID)
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, r := range rooms {
		if err := s.reconcileRoom(ctx, r, false); err != nil && ctx.Err() == nil {
			s.log.Warn("join grace check failed; pending devices kept", "room", r, "err", err)
		}
	}
}

// reconcileRoom brings one room's call in line with LiveKit. roomGone
// says a listing already showed that LiveKit has no such room.
func (s *Service) reconcileRoom(ctx context.Context, roomID string, roomGone bool) error {
	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	if call == nil {
		return nil
	}
	var present []*lkproto.ParticipantInfo
	if !roomGone {
		var err error
		present, err = s.lk.Participants(ctx, livekit.RoomName(roomID, call.ID))
		if err != nil && !errors.Is(err, livekit.ErrRoomNotFound) {
			return err
		}
	}
	b := s.diff(call, present, time.Now())
	evs, err := s.commitEnding(ctx, call, b, eventlog.SourceReconcile)
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		s.log.Info("reconciled call with livekit", "room", roomID, "call", call.ID, "events", len(evs))
	}
	s.announce(ctx, roomID, evs)
	return nil
}

// diff returns the events that turn call into what LiveKit reports.
func (s *Service) diff(call *eventlog.Call, present []*lkproto.ParticipantInfo, now time.Time) eventlog.Batch {
	var b eventlog.Batch
	seen := make(map[string]bool, len(present))
	base := eventlog.Event{RoomID: call.RoomID, CallID: call.ID, Source: eventlog.SourceReconcile}
	for _, p := range present {
		userID, ok := UserOfIdentity(p.GetIdentity())
		if !ok || call.LeftSIDs[p.GetSid()] {
			continue
		}
		seen[p.GetIdentity()] = true
		if cur := call.Participants[p.GetIdentity()]; cur != nil && cur.SID == p.GetSid() {
			continue
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name, e.SID = eventlog.ParticipantJoined, p.GetIdentity(), userID, p.GetName(), p.GetSid()
		b.Events = append(b.Events, e)
	}
	for _, p := range call.Sorted() {
		if seen[p.Identity] {
			continue
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name = eventlog.ParticipantLeft, p.Identity, p.UserID, p.Name
		switch {
		case !p.Pending():
			e.SID, e.Reason = p.SID, "absent"
		case now.Sub(p.PendingSince) >= s.cfg.JoinGrace:
			e.Source, e.Reason = eventlog.SourceTimer, "grace_expired"
		default:
			continue
		}
		b.Events = append(b.Events, e)
	}
	return b
}

// healthState remembers how the last reconcile went.
type healthState struct {
	mu      sync.Mutex
	lastOK  time.Time
	lastErr error
	lastAt  time.Time
}

func (h *healthState) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastAt, h.lastErr = time.Now(), err
	if err == nil {
		h.lastOK = h.lastAt
	}
}

// Health is the plugin's state for /healthz.
type Health struct {
	OK              bool       `json:"ok"`
	ActiveCalls     int        `json:"active_calls"`
	LastReconcile   *time.Time `json:"last_reconcile,omitempty"`
	LastReconcileOK *time.Time `json:"last_reconcile_ok,omitempty"`
	ReconcileError  string     `json:"reconcile_error,omitempty"`
}

// Health reports the database and the last reconcile. A failed reconcile
// means LiveKit is unreachable: calls are kept but may be stale.
func (s *Service) Health(ctx context.Context) Health {
	s.mu.RLock()
	h := Health{ActiveCalls: len(s.keys)}
	s.mu.RUnlock()
	s.health.mu.Lock()
	if !s.health.lastAt.IsZero() {
		at := s.health.lastAt
		h.LastReconcile = &at
	}
	if !s.health.lastOK.IsZero() {
		ok := s.health.lastOK
		h.LastReconcileOK = &ok
	}
	if s.health.lastErr != nil {
		h.ReconcileError = fmt.Sprintf("livekit: %s", errorSummary(s.health.lastErr))
	}
	s.health.mu.Unlock()
	h.OK = h.ReconcileError == "" && s.store.Ping(ctx) == nil
	return h
}

// errorSummary shortens an error for health output. LiveKit client errors
// never include the API secret, only URLs and status text.
func errorSummary(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}
