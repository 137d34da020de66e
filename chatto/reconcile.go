package chatto

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	lkproto "github.com/livekit/protocol/livekit"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// This file keeps the log in step with LiveKit and with time:
// reconciliation against RoomService on a timer, and the loop that runs
// the deadlines the log holds (ring timeouts, join grace).

// graceRetryAfter is how long a join-grace check that could not reach
// LiveKit waits before it tries again.
const graceRetryAfter = time.Second

// Run redelivers the notices a crash may have lost, settles the rings
// whose deadline passed while the server was down, reconciles at once and
// then every ReconcileInterval, and runs every ring and join-grace
// deadline as it comes, until ctx ends. Each time it wakes it also
// retries an owed shred checkpoint and the notices the host refused.
func (s *Service) Run(ctx context.Context) {
	defer s.bg.Wait()
	s.redeliverNotices(ctx)
	s.expireRings(ctx)
	if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "startup reconcile failed; calls are kept until LiveKit answers", "err", err)
	}
	reconcile := time.NewTicker(s.cfg.ReconcileInterval)
	defer reconcile.Stop()
	overdue := false
	for {
		stop := func() bool { return false }
		next := s.nextDeadline()
		if !next.IsZero() {
			wait := next.Sub(s.clock.Now())
			if wait <= 0 && overdue {
				// The last pass could not settle a deadline (the database
				// failed); do not spin on it.
				wait = graceRetryAfter
			}
			overdue = wait <= 0
			stop = s.clock.AfterFunc(wait, s.kick)
		}
		woke := false
		select {
		case <-ctx.Done():
			stop()
			return
		case <-reconcile.C:
			if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil && !storageFull(err) {
				s.log.WarnContext(ctx, "reconcile failed; calls are kept until LiveKit answers", "err", err)
			}
		case <-s.wake:
			woke = true
		}
		stop()
		// Most wakes announce a new deadline, which lies ahead: unless the
		// earliest deadline known has come, nothing is due, and the passes
		// over every call wait for the timer (or the reconcile tick).
		if !woke || overdue || s.due(next) {
			s.expireRings(ctx)
			s.expirePending(ctx)
		}
		if err := s.store.CheckpointIfDue(ctx); err != nil && ctx.Err() == nil {
			s.checkpointFailed(err)
		} else if err == nil {
			s.checkpointDone()
		}
		s.repostNotices(ctx)
	}
}

// due reports whether a deadline has come: next, the earliest known
// before the wait, or (none known then) the earliest now.
func (s *Service) due(next time.Time) bool {
	if next.IsZero() {
		next = s.nextDeadline()
	}
	return !next.IsZero() && !s.clock.Now().Before(next)
}

// Reconcile compares every active call with LiveKit and records what the
// log missed. A failure to reach LiveKit changes nothing: an unreachable
// server is not proof that a call is empty.
func (s *Service) Reconcile(ctx context.Context) error {
	err := s.reconcile(ctx)
	s.health.record(err)
	s.metrics.reconciled(err, time.Now())
	return err
}

func (s *Service) reconcile(ctx context.Context) error {
	// Calls first, LiveKit's rooms second: a call that starts in between
	// is not in the snapshot (and its room, in the listing, is checked
	// under the room lock), whereas the other order would take its room
	// for gone.
	s.mu.RLock()
	calls := s.proj.Calls()
	s.mu.RUnlock()
	if pause := s.reconcilePause.Load(); pause != nil {
		(*pause)()
	}
	rooms, err := s.lk.Rooms(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range calls {
		errs = append(errs, s.reconcileRoom(ctx, c.RoomID, !rooms[s.lk.RoomName(c.RoomID, c.ID)]))
	}
	for name := range rooms {
		errs = append(errs, s.deleteIfStale(ctx, name))
	}
	return errors.Join(errs...)
}

// deleteIfStale removes a LiveKit room of this server that belongs to no
// active call, e.g. one left behind while this server was down. Only a
// room whose call is in this server's log is ever deleted: a room with
// this server's prefix but an unknown call is somebody else's.
func (s *Service) deleteIfStale(ctx context.Context, name string) error {
	roomID, callID, ok := s.lk.ParseRoomName(name)
	if !ok {
		return nil
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	if c := s.call(roomID); c != nil && c.ID == callID {
		return nil
	}
	ours, err := s.store.HasCall(ctx, callID)
	if err != nil || !ours {
		return err
	}
	s.log.InfoContext(ctx, "deleting stale livekit room", "room", roomID, "call", callID)
	return s.lk.DeleteRoom(ctx, name)
}

// expirePending reconciles the rooms that have a device whose join grace
// is over, so a client that got a token and never connected (or whose
// participant_joined was lost) is settled by asking LiveKit. A room whose
// check fails is tried again graceRetryAfter later.
func (s *Service) expirePending(ctx context.Context) {
	now := s.clock.Now()
	deadline := now.Add(-s.cfg.JoinGrace)
	var rooms []string
	s.mu.RLock()
	for _, c := range s.proj.Calls() {
		if now.Before(s.graceRetry[c.RoomID]) {
			continue
		}
		for _, p := range c.Participants {
			if p.Pending() && !p.PendingSince.After(deadline) {
				rooms = append(rooms, c.RoomID)
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, r := range rooms {
		if err := s.reconcileRoom(ctx, r, false); err != nil && ctx.Err() == nil {
			// Say it once per outage, not on every retry.
			level := slog.LevelDebug
			if _, failing := s.graceRetry[r]; !failing && !storageFull(err) {
				level = slog.LevelWarn
			}
			s.graceRetry[r] = now.Add(graceRetryAfter)
			s.log.Log(ctx, level, "join grace check failed; pending devices kept until LiveKit answers", "room", r, "err", err)
			continue
		}
		delete(s.graceRetry, r)
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
		present, err = s.lk.Participants(ctx, s.lk.RoomName(roomID, call.ID))
		if err != nil && !errors.Is(err, livekit.ErrRoomNotFound) {
			return err
		}
	}
	member, err := s.memberships(ctx, roomID, call, present)
	if err != nil {
		return err
	}
	b, revoked, fix := s.diff(call, present, member, s.clock.Now())
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceReconcile)
	if err != nil {
		return err
	}
	s.metrics.reconcileRepairs.Add(float64(len(evs)))
	if len(evs) > 0 {
		s.log.InfoContext(ctx, "reconciled call with livekit", "room", roomID, "call", call.ID, "events", len(evs))
	}
	s.announce(ctx, roomID, evs)
	s.removeFromLiveKit(ctx, roomID, call.ID, revoked)
	s.fixRoles(ctx, roomID, call.ID, fix)
	return nil
}

// memberships asks the host, once per user, whether the users in the call
// or in LiveKit's room are still members.
func (s *Service) memberships(ctx context.Context, roomID string, call *eventlog.Call, present []*lkproto.ParticipantInfo) (map[string]bool, error) {
	member := map[string]bool{}
	check := func(userID string) error {
		if _, done := member[userID]; done || userID == "" {
			return nil
		}
		ok, err := s.host.IsMember(ctx, roomID, userID)
		if err != nil {
			return fmt.Errorf("chatto: membership of %s in %s: %w", userID, roomID, err)
		}
		member[userID] = ok
		return nil
	}
	for _, p := range call.Participants {
		if err := check(p.UserID); err != nil {
			return nil, err
		}
	}
	for _, p := range present {
		userID, _ := UserOfIdentity(p.GetIdentity())
		if err := check(userID); err != nil {
			return nil, err
		}
	}
	return member, nil
}

// diff returns the events that turn call into what LiveKit reports, the
// devices in LiveKit to disconnect because their user is no longer a
// member of the room (member says who is), and those whose permissions
// do not match their role.
func (s *Service) diff(call *eventlog.Call, present []*lkproto.ParticipantInfo, member map[string]bool, now time.Time) (eventlog.Batch, []string, []roleFix) {
	var b eventlog.Batch
	var revoked []string
	var fix []roleFix
	seen := make(map[string]bool, len(present))
	base := eventlog.Event{RoomID: call.RoomID, CallID: call.ID, Source: eventlog.SourceReconcile}
	accepted := map[string]bool{}
	for _, p := range present {
		userID, ok := UserOfIdentity(p.GetIdentity())
		if !ok || call.LeftSIDs[p.GetSid()] {
			continue
		}
		if !member[userID] {
			revoked = append(revoked, p.GetIdentity())
			continue
		}
		seen[p.GetIdentity()] = true
		cur := call.Participants[p.GetIdentity()]
		if cur != nil && cur.Role != roleOf(p) {
			fix = append(fix, roleFix{identity: p.GetIdentity(), listener: cur.Role == eventlog.RoleListener})
		}
		if cur != nil && cur.SID == p.GetSid() {
			continue
		}
		if !accepted[userID] {
			accepted[userID] = true
			b.Events = append(b.Events, acceptRing(call, userID, eventlog.SourceReconcile)...)
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name, e.SID = eventlog.ParticipantJoined, p.GetIdentity(), userID, p.GetName(), p.GetSid()
		e.SessionStart = sessionStart(p)
		if cur == nil {
			e.Role = roleOf(p)
		}
		b.Events = append(b.Events, e)
	}
	for _, p := range call.Sorted() {
		if seen[p.Identity] {
			continue
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name = eventlog.ParticipantLeft, p.Identity, p.UserID, p.Name
		switch {
		case !member[p.UserID]:
			e.SID, e.Reason = p.SID, eventlog.ReasonRevoked
		case !p.Pending():
			e.SID, e.Reason = p.SID, eventlog.ReasonAbsent
		case now.Sub(p.PendingSince) >= s.cfg.JoinGrace:
			e.Source, e.Reason = eventlog.SourceTimer, eventlog.ReasonGraceExpired
		default:
			continue
		}
		b.Events = append(b.Events, e)
	}
	return b, revoked, fix
}
