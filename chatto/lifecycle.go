package chatto

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// JoinResult is what a client needs to connect to a call.
type JoinResult struct {
	CallID      string `json:"call_id"`
	RoomID      string `json:"room_id"`
	LiveKitURL  string `json:"livekit_url"`
	LiveKitRoom string `json:"livekit_room"`
	Identity    string `json:"identity"`
	DeviceID    string `json:"device_id"`
	Token       string `json:"token"`
	E2EEKey     string `json:"e2ee_key"` // standard base64 of KeySize bytes
	// E2EEKeyIndex is the key's index (CallView.KeyIndex): a client puts
	// the key in slot E2EEKeyIndex mod its key ring's size.
	E2EEKeyIndex int `json:"e2ee_key_index"`
	// E2EEPreviousKey, only in a join answer within seconds of a key
	// rotation, is the key the call had before (index
	// E2EEPreviousKeyIndex), which the devices already in the call may
	// still encrypt with for a moment: a client adds it to its key ring
	// for decrypting only.
	E2EEPreviousKey      string    `json:"e2ee_previous_key,omitempty"`
	E2EEPreviousKeyIndex *int      `json:"e2ee_previous_key_index,omitempty"`
	ExpiresAt            time.Time `json:"expires_at"`
	// Role is "speaker" or "listener"; a listener's token cannot publish.
	Role string    `json:"role"`
	Call *CallView `json:"call"`
}

// JoinRequest is what a client asks for when it joins.
type JoinRequest struct {
	// DeviceID names the device; empty means the session's device.
	DeviceID string
	// Type is the call type if this join starts the call: "audio",
	// "video" or empty for the configured default. Later joins keep the
	// call's type.
	Type string
	// Role may be "listener" for a joiner who only wants to listen; empty
	// or "speaker" takes the configured default. A role a room admin gave
	// this user in the call wins over both.
	Role string
}

// Join puts the caller's device into the room's call and returns a token
// and the call's key. With no call in the room it starts one; in a direct
// room that also rings the other member. A rung user's join accepts.
func (s *Service) Join(ctx context.Context, c Caller, roomID string, req JoinRequest) (*JoinResult, error) {
	dev, identity, err := s.admit(ctx, c, roomID, req.DeviceID)
	if err != nil {
		return nil, err
	}
	typ := req.Type
	if typ == "" {
		typ = s.cfg.DefaultType
	}
	if typ != eventlog.TypeAudio && typ != eventlog.TypeVideo {
		return nil, Errorf(EINVALID, "type must be \"audio\" or \"video\"")
	}
	if req.Role != "" && req.Role != eventlog.RoleSpeaker && req.Role != eventlog.RoleListener {
		return nil, Errorf(EINVALID, "role must be \"speaker\" or \"listener\"")
	}
	room, err := s.host.Room(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if wait := s.joins.take(c.UserID, s.clock.Now()); wait > 0 {
		e := Errorf(ERATELIMITED, "too many joins; try again in a moment")
		e.RetryAfter = wait
		return nil, e
	}
	if s.pendingOf(c.UserID, identity) >= s.cfg.MaxPendingDevices {
		e := Errorf(ERATELIMITED, "too many of your devices are still connecting; try again when they have")
		e.RetryAfter = s.cfg.JoinGrace
		return nil, e
	}

	unlock, call, err := s.lockForJoin(ctx, roomID, identity)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := s.clock.Now()
	var b eventlog.Batch
	var key, prev *eventlog.CallKey
	var callID string
	if call == nil {
		callID = newCallID()
		key = newKey(callID, 0)
		b.PutKey = key
		start := eventlog.Event{
			At: now, RoomID: roomID, CallID: callID, Kind: eventlog.CallStarted, Identity: identity,
			UserID: c.UserID, Name: c.Name, Source: eventlog.SourceUser, CallType: typ,
		}
		if room.Kind == RoomDirect {
			start.Detail = eventlog.RoomDirect
		}
		b.Events = append(b.Events, start)
	} else {
		callID = call.ID
		if err := s.checkRemoved(call, c.UserID, now); err != nil {
			return nil, err
		}
		s.mu.RLock()
		key = s.keyOf(callID)
		if key != nil {
			prev = s.handover(key)
		}
		s.mu.RUnlock()
		if call.Participants[identity] == nil && len(call.Participants) >= s.cfg.MaxParticipants {
			return nil, Errorf(ECALLFULL, "the call already has the maximum of %d participants", s.cfg.MaxParticipants)
		}
		if r := call.Rings[c.UserID]; r != nil {
			b.Events = append(b.Events, ringStopped(call, r, eventlog.RingAccepted, eventlog.SourceUser))
		}
	}
	role := s.roleFor(call, identity, c.UserID, req.Role)
	gen := newGeneration()
	b.Events = append(b.Events, eventlog.Event{
		At: now, RoomID: roomID, CallID: callID, Kind: eventlog.ParticipantJoined,
		Identity: identity, UserID: c.UserID, Name: c.Name, Source: eventlog.SourceUser, Role: role,
		Generation: gen,
	})
	if call == nil && room.Kind == RoomDirect {
		for _, m := range room.Members {
			if m != c.UserID {
				b.Events = append(b.Events, s.ringStarted(ctx, roomID, callID, identity, m, eventlog.RingCall, now))
			}
		}
	}
	evs, err := s.commit(ctx, b)
	if err != nil {
		return nil, err
	}
	res, err := s.grant(roomID, callID, identity, dev, role, gen, c, key)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		res.E2EEPreviousKey = base64.StdEncoding.EncodeToString(prev.Key)
		res.E2EEPreviousKeyIndex = &prev.Index
	}
	s.announce(ctx, roomID, evs)
	res.Call = s.View(roomID)
	return res, nil
}

// lockForJoin takes the room lock for a join of identity and returns the
// room's call (nil: the join starts one). A call start first checks that
// LiveKit answers: it creates the call's room, with the limits the token
// carries, when the first device connects, so an unreachable LiveKit
// fails the join now instead of leaving the user in a call nobody can
// reach. Neither that check nor a removal of identity that LiveKit has
// not yet done (a fence) is waited for under the lock.
func (s *Service) lockForJoin(ctx context.Context, roomID, identity string) (unlock func(), call *eventlog.Call, err error) {
	pinged := false
	for {
		if !pinged && s.call(roomID) == nil {
			if err := s.lk.Reachable(ctx); err != nil {
				s.log.WarnContext(ctx, "livekit unreachable on call start", "room", roomID, "err", err)
				return nil, nil, Errorf(EUNAVAILABLE, "the call server (LiveKit) cannot be reached; try again shortly")
			}
			pinged = true
		}
		unlock := s.lockRoom(roomID)
		call := s.call(roomID)
		if call == nil && !pinged {
			// The call ended since we looked.
			unlock()
			continue
		}
		if f := s.fenceOf(roomID, identity); f != nil {
			unlock()
			if err := waitFence(ctx, f); err != nil {
				return nil, nil, err
			}
			continue
		}
		return unlock, call, nil
	}
}

// roleFor is the role a joining device gets: its current one if it is in
// the call, else the one an admin gave its user in this call, else what
// it asked for if that is listener, else the configured default.
func (s *Service) roleFor(call *eventlog.Call, identity, userID, asked string) string {
	if call != nil {
		if p := call.Participants[identity]; p != nil {
			return p.Role
		}
		if r := call.Roles[userID]; r != "" {
			return r
		}
	}
	if asked == eventlog.RoleListener {
		return asked
	}
	return s.cfg.DefaultRole
}

// removedFor is how much of the cooldown after an admin removed the user
// from the call is left (0: none).
func (s *Service) removedFor(call *eventlog.Call, userID string, now time.Time) time.Duration {
	at, ok := call.Removed[userID]
	if !ok {
		return 0
	}
	return max(at.Add(s.cfg.RemoveCooldown).Sub(now), 0)
}

// checkRemoved refuses every device of a user an admin removed from the
// call within the cooldown.
func (s *Service) checkRemoved(call *eventlog.Call, userID string, now time.Time) error {
	if left := s.removedFor(call, userID, now); left > 0 {
		e := Errorf(EREMOVED, "a room admin removed you from the call; you may rejoin in %s", formatDuration(left+time.Second/2))
		e.RetryAfter = left // the page says when
		return e
	}
	return nil
}

// newGeneration names one join of a device.
func newGeneration() string {
	b := make([]byte, 9)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) grant(roomID, callID, identity, dev, role, gen string, c Caller, key *eventlog.CallKey) (*JoinResult, error) {
	lkRoom := s.lk.RoomName(roomID, callID)
	meta, _ := json.Marshal(map[string]string{"user_id": c.UserID, "name": c.Name, "device_id": dev})
	token, exp, err := s.lk.Token(livekit.TokenRequest{Room: lkRoom, Identity: identity, Name: c.Name, Metadata: string(meta),
		Listener: role == eventlog.RoleListener, Generation: gen})
	if err != nil {
		return nil, err
	}
	if key == nil || len(key.Key) != KeySize {
		// A call without its key cannot be joined encrypted; never hand
		// out an empty key.
		return nil, fmt.Errorf("chatto: call %s has no key", callID)
	}
	return &JoinResult{
		CallID: callID, RoomID: roomID, LiveKitURL: s.cfg.URL, LiveKitRoom: lkRoom,
		Identity: identity, DeviceID: dev, Token: token, Role: role,
		E2EEKey: base64.StdEncoding.EncodeToString(key.Key), E2EEKeyIndex: key.Index, ExpiresAt: exp,
	}, nil
}

// RefreshToken hands a device already in the call a fresh token.
func (s *Service) RefreshToken(ctx context.Context, c Caller, roomID, deviceID string) (*JoinResult, error) {
	dev, identity, err := s.admit(ctx, c, roomID, deviceID)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	call := s.proj.Call(roomID)
	var callID, role, gen string
	var key *eventlog.CallKey
	removed := error(nil)
	if call != nil {
		removed = s.checkRemoved(call, c.UserID, s.clock.Now())
		if p := call.Participants[identity]; p != nil {
			// The same join: the token carries the device's current
			// generation.
			callID, key, role, gen = call.ID, s.keyOf(call.ID), p.Role, p.Generation
		}
	}
	s.mu.RUnlock()
	if removed != nil {
		return nil, removed
	}
	if callID == "" {
		return nil, Errorf(ENOTINCALL, "this device is not in the room's call; join it first")
	}
	res, err := s.grant(roomID, callID, identity, dev, role, gen, c, key)
	if err != nil {
		return nil, err
	}
	res.Call = s.View(roomID)
	return res, nil
}

// KeyResult is a call's current E2EE key, for a device in the call.
type KeyResult struct {
	CallID       string `json:"call_id"`
	RoomID       string `json:"room_id"`
	E2EEKey      string `json:"e2ee_key"` // standard base64 of KeySize bytes
	E2EEKeyIndex int    `json:"e2ee_key_index"`
}

// CallKey hands a device in the room's call the call's current key: what
// it fetches after call.key_rotated, or when a call view shows a
// key_index above the one it holds. A device not in the call gets
// not_in_call, so someone who left cannot learn the key that replaced
// theirs.
func (s *Service) CallKey(ctx context.Context, c Caller, roomID, deviceID string) (*KeyResult, error) {
	_, identity, err := s.admit(ctx, c, roomID, deviceID)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	call := s.proj.Call(roomID)
	var key *eventlog.CallKey
	if call != nil {
		if err := s.checkRemoved(call, c.UserID, s.clock.Now()); err != nil {
			s.mu.RUnlock()
			return nil, err
		}
	}
	if call != nil && call.Participants[identity] != nil {
		key = s.keyOf(call.ID)
		if key == nil {
			s.mu.RUnlock()
			return nil, fmt.Errorf("chatto: call %s has no key", call.ID)
		}
	}
	s.mu.RUnlock()
	if key == nil {
		return nil, Errorf(ENOTINCALL, "this device is not in the room's call; join it first")
	}
	res := &KeyResult{CallID: key.CallID, RoomID: roomID, E2EEKey: base64.StdEncoding.EncodeToString(key.Key), E2EEKeyIndex: key.Index}
	clear(key.Key)
	return res, nil
}

// Leave takes the caller's device (or, with deviceID empty, every device
// of the caller) out of the room's call. It reports whether anything left;
// leaving twice is not an error. The caller leaving a call nobody has
// answered cancels it.
func (s *Service) Leave(ctx context.Context, c Caller, roomID, deviceID string) (bool, error) {
	if deviceID != "" && !deviceIDPattern.MatchString(deviceID) {
		return false, Errorf(EINVALID, "device_id must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
	}
	unlock := s.lockRoom(roomID)
	call := s.call(roomID)
	if call == nil {
		unlock()
		return false, nil
	}
	var b eventlog.Batch
	f := followUp{roomID: roomID, callID: call.ID}
	for _, p := range call.Sorted() {
		if p.UserID != c.UserID || (deviceID != "" && p.Identity != Identity(c.UserID, deviceID)) {
			continue
		}
		b.Events = append(b.Events, eventlog.Event{
			RoomID: roomID, CallID: call.ID, Kind: eventlog.ParticipantLeft, Identity: p.Identity,
			UserID: p.UserID, Name: p.Name, Source: eventlog.SourceUser, Reason: eventlog.ReasonLeft,
			// The session and the join it ends: their late
			// participant_joined must not bring the device back.
			SID: p.SID, Generation: p.Generation,
		})
		f.remove = append(f.remove, removal{identity: p.Identity})
	}
	var evs []eventlog.Event
	var err error
	if hangsUp(call, c.UserID, b) {
		// A phone call: one side hanging up ends it for both.
		end := endForAll(call, eventlog.Event{UserID: c.UserID, Name: c.Name})
		end.Events[len(end.Events)-1].Reason = eventlog.ReasonHungUp
		end.Events = append(slices.Clone(b.Events), end.Events...)
		evs, err = s.commit(ctx, end)
	} else {
		evs, err = s.commitSettled(ctx, call, b, eventlog.SourceUser)
	}
	ended := len(evs) > 0 && evs[len(evs)-1].Kind == eventlog.CallEnded
	if err == nil {
		s.announce(ctx, roomID, evs)
		if ended {
			// The leave ended the call: its LiveKit room goes with it
			// (announce), or, if LiveKit never reported anyone in it, when
			// a device's late connection makes it (deleteLateRoom).
			f.remove = nil
		}
		s.raise(&f)
	}
	unlock()
	if err != nil {
		return false, err
	}
	// The client normally disconnects before calling leave; removing the
	// identity makes sure a leave from another tab really takes effect.
	// The leave is a fact already, so the answer does not wait for
	// LiveKit; a rejoin of the device waits for the removal (fences).
	s.followLater(ctx, f)
	return len(b.Events) > 0, nil
}

// hangsUp reports whether leave, the leave events of userID's devices,
// hangs up a direct room's answered call: it takes the user's last
// device out while the other side is still in the call.
func hangsUp(call *eventlog.Call, userID string, leave eventlog.Batch) bool {
	if !call.Direct || !call.Answered || len(leave.Events) == 0 {
		return false
	}
	gone := map[string]bool{}
	for _, e := range leave.Events {
		gone[e.Identity] = true
	}
	mine, others := false, false
	for id, p := range call.Participants {
		switch {
		case p.UserID != userID:
			others = true
		case !gone[id]:
			mine = true
		}
	}
	return others && !mine
}

// End ends the room's call for everyone: the LiveKit room is deleted and
// every client told. Only the call's creator and room admins may.
func (s *Service) End(ctx context.Context, c Caller, roomID string) error {
	if err := s.authorize(ctx, c.UserID, roomID); err != nil {
		return err
	}
	admin, err := s.isAdmin(ctx, roomID, c.UserID)
	if err != nil {
		return err
	}
	unlock := s.lockRoom(roomID)
	defer unlock()
	call, err := s.activeCall(roomID)
	if err != nil {
		return err
	}
	if !admin {
		if call.StartedBy != c.UserID {
			return Errorf(ENOTALLOWED, "only the person who started the call or a room admin can end it for everyone")
		}
		// A creator an admin removed or made a listener has lost the
		// call to the admin: ending it would undo the decision (a new
		// call has no removals and no roles).
		if err := s.checkRemoved(call, c.UserID, s.clock.Now()); err != nil {
			return err
		}
		if call.Roles[c.UserID] == eventlog.RoleListener {
			return Errorf(ENOTALLOWED, "a room admin made you a listener in this call, so only a room admin can end it for everyone")
		}
	}
	return s.record(ctx, roomID, endForAll(call, eventlog.Event{UserID: c.UserID, Name: c.Name}))
}

// endForAll is the batch that ends call for everyone: its rings stop,
// call_ended (by whom, from by) with the outcome an unanswered call gets
// (cancelled) or an answered one (completed), and the key's shred.
func endForAll(call *eventlog.Call, by eventlog.Event) eventlog.Batch {
	var b eventlog.Batch
	for _, r := range call.SortedRings() {
		b.Events = append(b.Events, ringStopped(call, r, eventlog.RingCancelled, eventlog.SourceUser))
	}
	outcome := eventlog.OutcomeCompleted
	if call.Ringing() {
		outcome = eventlog.OutcomeCancelled
	}
	by.RoomID, by.CallID, by.Kind, by.Source = call.RoomID, call.ID, eventlog.CallEnded, eventlog.SourceUser
	by.Reason, by.Outcome = eventlog.ReasonEnded, outcome
	b.Events = append(b.Events, by)
	b.ShredKey = call.ID
	return b
}

// commitSettled appends b and whatever it implies: if b leaves the call
// without participants, the rings still going stop and the call ends
// (cancelled if nobody ever answered, completed otherwise), with the key
// shredded in the same transaction.
func (s *Service) commitSettled(ctx context.Context, call *eventlog.Call, b eventlog.Batch, src eventlog.Source) ([]eventlog.Event, error) {
	if len(b.Events) == 0 {
		return nil, nil
	}
	after := call.Clone()
	for _, e := range b.Events {
		after.Apply(e)
	}
	if len(after.Participants) == 0 {
		last := b.Events[len(b.Events)-1]
		for _, r := range after.SortedRings() {
			b.Events = append(b.Events, ringStopped(call, r, eventlog.RingCancelled, src))
		}
		outcome := eventlog.OutcomeCompleted
		if after.Ringing() {
			outcome = eventlog.OutcomeCancelled
		}
		b.Events = append(b.Events, eventlog.Event{
			RoomID: call.RoomID, CallID: call.ID, Kind: eventlog.CallEnded, Source: src,
			LiveKitEventID: last.LiveKitEventID, Reason: eventlog.ReasonLastLeft, Outcome: outcome,
		})
		b.ShredKey = call.ID
	} else if someoneLeft(call, after) {
		// The call goes on without devices that held its key: the rest
		// get a new one, and the old one is shredded with this commit.
		s.mu.RLock()
		prev := s.keyOf(call.ID)
		s.mu.RUnlock()
		if prev == nil {
			return nil, fmt.Errorf("chatto: call %s has no key to rotate", call.ID)
		}
		b.RotateKey = newKey(call.ID, prev.Index+1)
	}
	evs, err := s.commit(ctx, b)
	if err == nil && b.RotateKey != nil {
		s.publishKeyRotated(ctx, after, b.RotateKey.Index)
	}
	return evs, err
}

// someoneLeft reports whether a device in before is not in after. One
// that LiveKit replaced by a newer session of itself is still in after
// (the same device, still holding the key).
func someoneLeft(before, after *eventlog.Call) bool {
	for id := range before.Participants {
		if after.Participants[id] == nil {
			return true
		}
	}
	return false
}

// newKey makes a fresh random key for a call.
func newKey(callID string, index int) *eventlog.CallKey {
	k := &eventlog.CallKey{CallID: callID, Key: make([]byte, KeySize), Index: index}
	rand.Read(k.Key)
	return k
}

// keyHandover is how long a call's previous key stays in memory after a
// rotation, for devices that join meanwhile. The devices in the call
// encrypt with the new key a second after they fetch it
// (KEY_SWITCH_DELAY_MS in the web client); until then their frames are
// under the old key, which a joiner could not decrypt, so for a second or
// so it would see and hear nothing. The old key's bytes are already gone
// from disk; this copy goes after keyHandover, when the call ends, or at
// the next rotation.
const keyHandover = 3 * time.Second

// handOver keeps old, the key a rotation replaced, for keyHandover; s.mu
// is held.
func (s *Service) handOver(old *eventlog.CallKey) {
	s.dropHandover(old.CallID, nil)
	s.handovers[old.CallID] = old
	s.clock.AfterFunc(keyHandover, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.dropHandover(old.CallID, old)
	})
}

// dropHandover clears and forgets the previous key kept for a call (only
// if it is k, unless k is nil); s.mu is held.
func (s *Service) dropHandover(callID string, k *eventlog.CallKey) {
	h := s.handovers[callID]
	if h == nil || (k != nil && h != k) {
		return
	}
	clear(h.Key)
	delete(s.handovers, callID)
}

// handover copies the previous key a device joining now needs besides
// key (see keyHandover), or nil; s.mu is held.
func (s *Service) handover(key *eventlog.CallKey) *eventlog.CallKey {
	h := s.handovers[key.CallID]
	if h == nil || h.Index != key.Index-1 {
		return nil
	}
	c := *h
	c.Key = bytes.Clone(h.Key)
	return &c
}

// keyOf copies a call's current key; s.mu is held.
func (s *Service) keyOf(callID string) *eventlog.CallKey {
	k := s.keys[callID]
	if k == nil {
		return nil
	}
	c := *k
	c.Key = bytes.Clone(k.Key)
	return &c
}

// publishKeyRotated tells the users still in the call that its key
// changed. The event carries only the index: each device fetches the key
// itself (CallKey), which checks that the device is in the call.
func (s *Service) publishKeyRotated(ctx context.Context, call *eventlog.Call, index int) {
	var users []string
	for _, p := range call.Sorted() {
		if !slices.Contains(users, p.UserID) {
			users = append(users, p.UserID)
		}
	}
	ev := KeyRotatedEvent{Type: EventCallKeyRotated, RoomID: call.RoomID, CallID: call.ID, KeyIndex: index}
	if err := s.host.Publish(context.WithoutCancel(ctx), users, ev); err != nil {
		s.log.WarnContext(ctx, "publish key rotation", "room", call.RoomID, "err", err)
	}
}

// commit appends a batch and applies it to the projection.
func (s *Service) commit(ctx context.Context, b eventlog.Batch) ([]eventlog.Event, error) {
	now := s.clock.Now()
	deadlines := false
	for i := range b.Events {
		e := &b.Events[i]
		if e.At.IsZero() {
			e.At = now
		}
		// A ring or a token handed out adds a deadline for the timer loop.
		deadlines = deadlines || e.Kind == eventlog.RingStarted || (e.Kind == eventlog.ParticipantJoined && e.SID == "") ||
			e.KeepsDevice()
	}
	b.Outbox = append(b.Outbox, s.outboxItems(ctx, b.Events)...)
	evs, err := s.store.Append(ctx, b)
	if err != nil {
		return nil, s.refused(err)
	}
	s.recorded()
	s.outgoing.queued(len(b.Outbox))
	s.metrics.facts(evs)
	s.mu.Lock()
	for _, e := range evs {
		s.proj.Apply(e)
	}
	if b.PutKey != nil {
		s.keys[b.PutKey.CallID] = b.PutKey
	}
	if k := b.RotateKey; k != nil {
		if old := s.keys[k.CallID]; old != nil {
			s.handOver(old)
		}
		s.keys[k.CallID] = k
	}
	if b.ShredKey != "" {
		if old := s.keys[b.ShredKey]; old != nil {
			clear(old.Key)
		}
		s.dropHandover(b.ShredKey, nil)
		delete(s.keys, b.ShredKey)
		delete(s.hands, b.ShredKey)
		delete(s.handRev, b.ShredKey)
	}
	for _, e := range evs {
		// A hand goes down with the device that raised it.
		if e.Kind == eventlog.ParticipantLeft && s.hands[e.CallID] != nil {
			if c := s.proj.Call(e.RoomID); c == nil || c.Participants[e.Identity] == nil {
				delete(s.hands[e.CallID], e.Identity)
			}
		}
	}
	s.mu.Unlock()
	if deadlines {
		s.kick()
	}
	return evs, nil
}
