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
	// for gone. Each call's snapshot also says how far its facts went, so
	// facts recorded after the listing are not undone by it.
	snaps := s.snapshots()
	if pause := s.reconcilePause.Load(); pause != nil {
		(*pause)()
	}
	rooms, err := s.lk.Rooms(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range snaps {
		errs = append(errs, s.reconcileRoom(ctx, c.roomID, &c, !rooms[s.lk.RoomName(c.roomID, c.callID)]))
	}
	for name := range rooms {
		errs = append(errs, s.deleteIfStale(ctx, name))
	}
	return errors.Join(errs...)
}

// callSnap is what a reconcile knew of a call before it asked LiveKit:
// its id, the sequence number of its latest fact, and its users.
type callSnap struct {
	roomID, callID string
	seq            int64
	users          []string
}

// snapshots takes a callSnap of every active call, ordered by room.
func (s *Service) snapshots() []callSnap {
	s.mu.RLock()
	defer s.mu.RUnlock()
	calls := s.proj.Calls()
	out := make([]callSnap, len(calls))
	for i, c := range calls {
		out[i] = snapshot(c)
	}
	return out
}

// snapshot is a callSnap of c; s.mu is held.
func snapshot(c *eventlog.Call) callSnap {
	snap := callSnap{roomID: c.RoomID, callID: c.ID, seq: c.Seq}
	for _, p := range c.Participants {
		snap.users = append(snap.users, p.UserID)
	}
	return snap
}

// deleteIfStale removes a LiveKit room of this server that belongs to no
// active call, e.g. one left behind while this server was down. Only a
// room whose call is in this server's log is ever deleted: a room with
// this server's prefix but an unknown call is somebody else's. The call
// is over, so nothing can make it active again while LiveKit is asked,
// which happens outside the room lock.
func (s *Service) deleteIfStale(ctx context.Context, name string) error {
	roomID, callID, ok := s.lk.ParseRoomName(name)
	if !ok {
		return nil
	}
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
		if err := s.reconcileRoom(ctx, r, nil, false); err != nil && ctx.Err() == nil {
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

// reconcileRoom brings one room's call in line with LiveKit. snap is what
// was known of the call before LiveKit was asked (nil: take it now), and
// roomGone says a listing already showed that LiveKit has no such room.
// LiveKit and the host are asked outside the room lock; under it, only
// devices with no fact newer than snap are judged by what LiveKit said.
func (s *Service) reconcileRoom(ctx context.Context, roomID string, snap *callSnap, roomGone bool) error {
	if snap == nil {
		s.mu.RLock()
		c := s.proj.Call(roomID)
		if c != nil {
			sn := snapshot(c)
			snap = &sn
		}
		s.mu.RUnlock()
		if snap == nil {
			return nil
		}
	}
	var present []*lkproto.ParticipantInfo
	if !roomGone {
		var err error
		present, err = s.lk.Participants(ctx, s.lk.RoomName(roomID, snap.callID))
		if err != nil && !errors.Is(err, livekit.ErrRoomNotFound) {
			return err
		}
	}
	member, err := s.memberships(ctx, roomID, snap.users, present)
	if err != nil {
		return err
	}
	unlock := s.lockRoom(roomID)
	call := s.call(roomID)
	if call == nil || call.ID != snap.callID {
		unlock()
		return nil
	}
	b, f := s.diff(call, present, member, snap.seq, s.clock.Now())
	evs, err := s.commitSettled(ctx, call, b, eventlog.SourceReconcile)
	if err == nil {
		s.announce(ctx, roomID, evs)
		s.raise(&f)
	}
	unlock()
	if err != nil {
		return err
	}
	s.metrics.reconcileRepairs.Add(float64(len(evs)))
	if len(evs) > 0 {
		s.log.InfoContext(ctx, "reconciled call with livekit", "room", roomID, "call", call.ID, "events", len(evs))
	}
	s.follow(ctx, f)
	return nil
}

// memberships asks the host, once per user, whether the users in the call
// or in LiveKit's room are still members.
func (s *Service) memberships(ctx context.Context, roomID string, users []string, present []*lkproto.ParticipantInfo) (map[string]bool, error) {
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
	for _, u := range users {
		if err := check(u); err != nil {
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

// diff returns the events that turn call into what LiveKit reported when
// the call was at sequence number seq, and what LiveKit must be told:
// sessions to disconnect because they may not be in the call (see
// admitSession) and devices whose permissions do not match their role.
// member says which users are members of the room; a user it does not
// know of joined after the snapshot and is left alone. Devices with a
// fact newer than seq are left alone too: LiveKit was asked before it.
func (s *Service) diff(call *eventlog.Call, present []*lkproto.ParticipantInfo, member map[string]bool, seq int64, now time.Time) (eventlog.Batch, followUp) {
	var b eventlog.Batch
	f := followUp{roomID: call.RoomID, callID: call.ID}
	seen := make(map[string]bool, len(present))
	base := eventlog.Event{RoomID: call.RoomID, CallID: call.ID, Source: eventlog.SourceReconcile}
	accepted := map[string]bool{}
	for _, p := range present {
		userID, ok := UserOfIdentity(p.GetIdentity())
		if !ok {
			continue
		}
		isMember, known := member[userID]
		if call.Touched[p.GetIdentity()] > seq || !known {
			seen[p.GetIdentity()] = true
			continue
		}
		cur := call.Participants[p.GetIdentity()]
		if call.LeftSIDs[p.GetSid()] {
			// A session known to be over that LiveKit still has: if it is
			// one that may not be in the call (a removal LiveKit missed),
			// it goes again.
			if _, v := s.admitSession(call, p, isMember, true); cur == nil && v == refuse {
				f.remove = append(f.remove, removal{identity: p.GetIdentity()})
			}
			continue
		}
		if cur != nil && cur.OtherGeneration(livekit.Generation(p)) {
			// An older join's session of a device that has a newer one:
			// it tells nothing about the device (and cannot be removed
			// by identity without the newer one).
			continue
		}
		if cur == nil || cur.SID != p.GetSid() {
			// A listing never ignores: it sees sessions connected now.
			e, v := s.admitSession(call, p, isMember, true)
			e.RoomID, e.CallID, e.Source = base.RoomID, base.CallID, base.Source
			if v == refuse {
				b.Events = append(b.Events, e)
				f.remove = append(f.remove, removal{identity: e.Identity})
				continue
			}
			if !accepted[userID] {
				accepted[userID] = true
				b.Events = append(b.Events, acceptRing(call, userID, eventlog.SourceReconcile)...)
			}
			b.Events = append(b.Events, e)
		} else if !isMember {
			// Its confirmed session goes with the device (below).
			f.remove = append(f.remove, removal{identity: p.GetIdentity()})
			continue
		}
		seen[p.GetIdentity()] = true
		if want := s.roleOfUser(call, cur, userID, p); want != roleOf(p) {
			f.fix = append(f.fix, roleFix{identity: p.GetIdentity(), listener: want == eventlog.RoleListener})
		}
	}
	for _, p := range call.Sorted() {
		if seen[p.Identity] || call.Touched[p.Identity] > seq {
			continue
		}
		isMember, known := member[p.UserID]
		if !known {
			continue
		}
		e := base
		e.Kind, e.Identity, e.UserID, e.Name = eventlog.ParticipantLeft, p.Identity, p.UserID, p.Name
		switch {
		case !isMember:
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
	return b, f
}
