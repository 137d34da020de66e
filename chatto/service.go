package chatto

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// KeySize is the length of a call's E2EE key in bytes.
const KeySize = 32

// Service owns call state: it decides what happens, appends the facts to
// the log, applies them to the projection and tells the host.
type Service struct {
	cfg   Config
	host  Host
	store *eventlog.Store
	lk    *livekit.Client
	log   *slog.Logger

	// stripes serialise the decide-append-apply cycle per room, so two
	// first joins cannot both start a call and webhooks for one room are
	// applied one at a time. Rooms share stripes by hash.
	stripes [64]sync.Mutex
	seed    maphash.Seed

	mu   sync.RWMutex // guards proj and keys
	proj *eventlog.Projection
	keys map[string][]byte // by call id

	health healthState
}

// NewService loads the active calls from the log and returns a Service.
// It does not contact LiveKit; Run does.
func NewService(ctx context.Context, cfg Config, host Host, store *eventlog.Store, log *slog.Logger) (*Service, error) {
	s := &Service{
		cfg: cfg, host: host, store: store, log: log,
		lk: livekit.New(livekit.Options{
			InternalURL: cfg.InternalURL, APIKey: cfg.APIKey, APISecret: cfg.APISecret,
			TokenTTL: cfg.TokenTTL, MaxParticipants: cfg.MaxParticipants,
			EmptyTimeout: cfg.EmptyTimeout, DepartureTimeout: cfg.DepartureTimeout,
		}),
		seed: maphash.MakeSeed(),
		proj: eventlog.NewProjection(),
		keys: make(map[string][]byte),
	}
	events, err := store.ActiveEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("chatto: rebuild projection: %w", err)
	}
	for _, e := range events {
		s.proj.Apply(e)
	}
	for _, c := range s.proj.Calls() {
		key, err := store.Key(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("chatto: load key of call %s: %w", c.ID, err)
		}
		s.keys[c.ID] = key
	}
	log.Info("call state rebuilt from the event log", "events", len(events), "active_calls", len(s.keys))
	return s, nil
}

// JoinResult is what a client needs to connect to a call.
type JoinResult struct {
	CallID      string    `json:"call_id"`
	RoomID      string    `json:"room_id"`
	LiveKitURL  string    `json:"livekit_url"`
	LiveKitRoom string    `json:"livekit_room"`
	Identity    string    `json:"identity"`
	DeviceID    string    `json:"device_id"`
	Token       string    `json:"token"`
	E2EEKey     string    `json:"e2ee_key"` // standard base64 of KeySize bytes
	ExpiresAt   time.Time `json:"expires_at"`
	Call        *CallView `json:"call"`
}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Identity is the LiveKit identity of one device of one user. Device ids
// cannot contain '#', so the last '#' separates the two.
func Identity(userID, deviceID string) string { return userID + "#" + deviceID }

// UserOfIdentity returns the user id part of an identity.
func UserOfIdentity(identity string) (string, bool) {
	i := strings.LastIndexByte(identity, '#')
	if i <= 0 {
		return "", false
	}
	return identity[:i], true
}

func deviceOf(c Caller, requested string) (string, error) {
	d := requested
	if d == "" {
		d = c.DeviceID
	}
	if !deviceIDPattern.MatchString(d) {
		return "", Errorf(EINVALID, "device_id must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
	}
	return d, nil
}

// admit checks that the caller may be in the room's call and names the
// device and its LiveKit identity.
func (s *Service) admit(ctx context.Context, c Caller, roomID, deviceID string) (dev, identity string, err error) {
	if dev, err = deviceOf(c, deviceID); err != nil {
		return "", "", err
	}
	if err = s.authorize(ctx, c.UserID, roomID); err != nil {
		return "", "", err
	}
	return dev, Identity(c.UserID, dev), nil
}

// Join puts the caller's device into the room's call, starting the call
// if there is none, and returns a token and the call's key.
func (s *Service) Join(ctx context.Context, c Caller, roomID, deviceID string) (*JoinResult, error) {
	dev, identity, err := s.admit(ctx, c, roomID, deviceID)
	if err != nil {
		return nil, err
	}

	unlock := s.lockRoom(roomID)
	defer unlock()
	call := s.call(roomID)
	now := time.Now()
	var b eventlog.Batch
	var key []byte
	var callID string
	if call == nil {
		callID = newCallID()
		key = make([]byte, KeySize)
		rand.Read(key)
		// Create the LiveKit room first so its limits apply from the first
		// connection, and so an unreachable LiveKit fails the join now
		// instead of leaving the user in a call nobody can reach.
		if err := s.lk.CreateRoom(ctx, livekit.RoomName(roomID, callID)); err != nil {
			s.log.Warn("livekit unreachable on call start", "room", roomID, "err", err)
			return nil, Errorf(EUNAVAILABLE, "the call server (LiveKit) cannot be reached; try again shortly")
		}
		b.PutKey = &eventlog.CallKey{CallID: callID, Key: key}
		b.Events = append(b.Events, eventlog.Event{
			At: now, RoomID: roomID, CallID: callID, Kind: eventlog.CallStarted,
			UserID: c.UserID, Name: c.Name, Source: eventlog.SourceUser,
		})
	} else {
		callID = call.ID
		s.mu.RLock()
		key = s.keys[callID]
		s.mu.RUnlock()
		if call.Participants[identity] == nil && len(call.Participants) >= s.cfg.MaxParticipants {
			return nil, Errorf(ECALLFULL, "the call already has the maximum of %d participants", s.cfg.MaxParticipants)
		}
	}
	b.Events = append(b.Events, eventlog.Event{
		At: now, RoomID: roomID, CallID: callID, Kind: eventlog.ParticipantJoined,
		Identity: identity, UserID: c.UserID, Name: c.Name, Source: eventlog.SourceUser,
	})
	evs, err := s.commit(ctx, b)
	if err != nil {
		return nil, err
	}
	res, err := s.grant(roomID, callID, identity, dev, c, key)
	if err != nil {
		return nil, err
	}
	s.announce(ctx, roomID, evs)
	res.Call = s.View(roomID)
	return res, nil
}

func (s *Service) grant(roomID, callID, identity, dev string, c Caller, key []byte) (*JoinResult, error) {
	lkRoom := livekit.RoomName(roomID, callID)
	meta, _ := json.Marshal(map[string]string{"user_id": c.UserID, "name": c.Name, "device_id": dev})
	token, exp, err := s.lk.Token(livekit.TokenRequest{Room: lkRoom, Identity: identity, Name: c.Name, Metadata: string(meta)})
	if err != nil {
		return nil, err
	}
	return &JoinResult{
		CallID: callID, RoomID: roomID, LiveKitURL: s.cfg.URL, LiveKitRoom: lkRoom,
		Identity: identity, DeviceID: dev, Token: token,
		E2EEKey: base64.StdEncoding.EncodeToString(key), ExpiresAt: exp,
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
	var callID string
	var key []byte
	if call != nil && call.Participants[identity] != nil {
		callID, key = call.ID, s.keys[call.ID]
	}
	s.mu.RUnlock()
	if callID == "" {
		return nil, Errorf(ENOTINCALL, "this device is not in the room's call; join it first")
	}
	res, err := s.grant(roomID, callID, identity, dev, c, key)
	if err != nil {
		return nil, err
	}
	res.Call = s.View(roomID)
	return res, nil
}

// Leave takes the caller's device (or, with deviceID empty, every device
// of the caller) out of the room's call. It reports whether anything left;
// leaving twice is not an error.
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
	var kicked []string
	for _, p := range call.Sorted() {
		if p.UserID != c.UserID || (deviceID != "" && p.Identity != Identity(c.UserID, deviceID)) {
			continue
		}
		b.Events = append(b.Events, eventlog.Event{
			RoomID: roomID, CallID: call.ID, Kind: eventlog.ParticipantLeft, Identity: p.Identity,
			UserID: p.UserID, Name: p.Name, Source: eventlog.SourceUser, Reason: "left",
		})
		kicked = append(kicked, p.Identity)
	}
	evs, err := s.commitEnding(ctx, call, b, eventlog.SourceUser)
	if err == nil {
		s.announce(ctx, roomID, evs)
	}
	lkRoom := livekit.RoomName(roomID, call.ID)
	unlock()
	if err != nil {
		return false, err
	}
	// The client normally disconnects before calling leave; removing the
	// identity makes sure a leave from another tab really takes effect.
	for _, id := range kicked {
		if err := s.lk.RemoveParticipant(ctx, lkRoom, id); err != nil {
			s.log.Debug("remove participant after leave", "room", roomID, "err", err)
		}
	}
	return len(kicked) > 0, nil
}

// commitEnding appends b and, if it leaves the call empty, a call_ended
// with the key shredded in the same transaction.
func (s *Service) commitEnding(ctx context.Context, call *eventlog.Call, b eventlog.Batch, src eventlog.Source) ([]eventlog.Event, error) {
	if len(b.Events) == 0 {
		return nil, nil
	}
	after := call.Clone()
	for _, e := range b.Events {
		after.Apply(e)
	}
	if len(after.Participants) == 0 {
		last := b.Events[len(b.Events)-1]
		b.Events = append(b.Events, eventlog.Event{
			RoomID: call.RoomID, CallID: call.ID, Kind: eventlog.CallEnded, Source: src,
			LiveKitEventID: last.LiveKitEventID, Reason: "last_left",
		})
		b.ShredKey = call.ID
	}
	return s.commit(ctx, b)
}

// commit appends a batch and applies it to the projection.
func (s *Service) commit(ctx context.Context, b eventlog.Batch) ([]eventlog.Event, error) {
	now := time.Now()
	for i := range b.Events {
		if b.Events[i].At.IsZero() {
			b.Events[i].At = now
		}
	}
	evs, err := s.store.Append(ctx, b)
	if err != nil && evs == nil {
		return nil, fmt.Errorf("chatto: record call events: %w", err)
	}
	if err != nil {
		// Committed, but the WAL checkpoint after a shred failed; the
		// next shred retries it. Say so loudly without failing the
		// request, because the facts are durable.
		s.log.Error("key shred checkpoint incomplete", "err", err)
	}
	s.mu.Lock()
	for _, e := range evs {
		s.proj.Apply(e)
	}
	if b.PutKey != nil {
		s.keys[b.PutKey.CallID] = b.PutKey.Key
	}
	if b.ShredKey != "" {
		clear(s.keys[b.ShredKey])
		delete(s.keys, b.ShredKey)
	}
	s.mu.Unlock()
	return evs, nil
}

// announce tells the host about committed events: timeline notices for
// start and end, realtime updates for everything. It runs under the room
// lock so members see a room's updates in order.
func (s *Service) announce(ctx context.Context, roomID string, evs []eventlog.Event) {
	if len(evs) == 0 {
		return
	}
	room, err := s.host.Room(ctx, roomID)
	if err != nil {
		s.log.Warn("cannot load room members for call update", "room", roomID, "err", err)
		return
	}
	first, last := evs[0], evs[len(evs)-1]
	if first.Kind == eventlog.CallStarted {
		s.notice(ctx, startNotice(first))
	}
	ev := RealtimeEvent{Type: EventCallUpdated, RoomID: roomID, Call: s.View(roomID)}
	switch {
	case last.Kind == eventlog.CallEnded:
		started := s.callStart(ctx, last.CallID)
		s.notice(ctx, endNotice(last, started))
		end := last.At
		ev = RealtimeEvent{Type: EventCallEnded, RoomID: roomID, Call: &CallView{
			ID: last.CallID, RoomID: roomID, StartedAt: started, EndedAt: &end,
			Seq: last.Seq, Participants: []ParticipantView{},
		}}
	case first.Kind == eventlog.CallStarted:
		ev.Type = EventCallStarted
	}
	if err := s.host.Publish(ctx, room.Members, ev); err != nil {
		s.log.Warn("publish call update", "room", roomID, "err", err)
	}
	if last.Kind == eventlog.CallEnded {
		// Nobody should linger in the LiveKit room of a call whose key is
		// gone; deleting it also frees LiveKit's resources at once.
		if err := s.lk.DeleteRoom(ctx, livekit.RoomName(roomID, last.CallID)); err != nil {
			s.log.Debug("delete livekit room of ended call", "room", roomID, "err", err)
		}
	}
}

// startNotice is the timeline notice of a call_started event.
func startNotice(e eventlog.Event) Notice {
	return Notice{
		ID: e.CallID + ":" + NoticeCallStarted, Kind: NoticeCallStarted, RoomID: e.RoomID,
		CallID: e.CallID, UserID: e.UserID, At: e.At,
		Text: fmt.Sprintf("%s started a call", displayName(e.Name, e.UserID)),
	}
}

// endNotice is the timeline notice of a call_ended event.
func endNotice(e eventlog.Event, started time.Time) Notice {
	d := e.At.Sub(started).Round(time.Second)
	return Notice{
		ID: e.CallID + ":" + NoticeCallEnded, Kind: NoticeCallEnded, RoomID: e.RoomID,
		CallID: e.CallID, At: e.At, Duration: d,
		Text: fmt.Sprintf("Call ended after %s", formatDuration(d)),
	}
}

// noticeTail is how far back into the log boot looks for call starts and
// ends whose notices may not have reached the host. A notice is posted
// right after its event is committed, so only a crash in between loses
// one, and that event is among the last few of the log.
const noticeTail = 1000

// redeliverNotices posts again the notices of the call starts and ends at
// the end of the log. Notice ids are stable, and hosts store each id once,
// so notices that did arrive are not doubled.
func (s *Service) redeliverNotices(ctx context.Context) {
	evs, err := s.store.RecentBoundaries(ctx, noticeTail)
	if err != nil {
		s.log.Warn("cannot read recent calls to redeliver their notices", "err", err)
		return
	}
	started := make(map[string]time.Time)
	for _, e := range evs {
		switch e.Kind {
		case eventlog.CallStarted:
			started[e.CallID] = e.At
			s.notice(ctx, startNotice(e))
		case eventlog.CallEnded:
			at, ok := started[e.CallID]
			if !ok {
				at = s.callStart(ctx, e.CallID)
			}
			s.notice(ctx, endNotice(e, at))
		}
	}
}

func (s *Service) notice(ctx context.Context, n Notice) {
	if err := s.host.PostNotice(ctx, n); err != nil {
		s.log.Warn("post call notice", "room", n.RoomID, "kind", n.Kind, "err", err)
	}
}

// callStart finds when a call started; the call is no longer in the
// projection once it has ended, so ask the log.
func (s *Service) callStart(ctx context.Context, callID string) time.Time {
	evs, err := s.store.CallEvents(ctx, callID)
	if err != nil || len(evs) == 0 {
		return time.Time{}
	}
	return evs[0].At
}

func displayName(name, userID string) string {
	if name != "" {
		return name
	}
	return userID
}

func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %dm %ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

// authorize lets only current members through.
func (s *Service) authorize(ctx context.Context, userID, roomID string) error {
	ok, err := s.host.IsMember(ctx, roomID, userID)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return err
		}
		return fmt.Errorf("chatto: membership of %s in %s: %w", userID, roomID, err)
	}
	if !ok {
		return Errorf(EFORBIDDEN, "you are not a member of this room")
	}
	return nil
}

// lockRoom takes the room's stripe and returns its unlock.
func (s *Service) lockRoom(roomID string) func() {
	m := &s.stripes[maphash.String(s.seed, roomID)%uint64(len(s.stripes))]
	m.Lock()
	return m.Unlock
}

// call returns the room's active call. The caller holds the room lock, so
// the call cannot change underneath it; only the map needs the read lock.
func (s *Service) call(roomID string) *eventlog.Call {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.proj.Call(roomID)
}

// View returns the public view of the room's active call, or nil.
func (s *Service) View(roomID string) *CallView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.proj.Call(roomID)
	if c == nil {
		return nil
	}
	return viewOf(c)
}

func viewOf(c *eventlog.Call) *CallView {
	v := &CallView{ID: c.ID, RoomID: c.RoomID, StartedAt: c.StartedAt, StartedBy: c.StartedBy, Seq: c.Seq,
		Participants: make([]ParticipantView, 0, len(c.Participants))}
	for _, p := range c.Sorted() {
		v.Participants = append(v.Participants, ParticipantView{
			Identity: p.Identity, UserID: p.UserID, Name: p.Name, JoinedAt: p.JoinedAt, Connected: !p.Pending(),
		})
	}
	return v
}

// RoomCall returns the room's active call for a member, or nil.
func (s *Service) RoomCall(ctx context.Context, userID, roomID string) (*CallView, error) {
	if err := s.authorize(ctx, userID, roomID); err != nil {
		return nil, err
	}
	return s.View(roomID), nil
}

// ActiveCalls returns the active calls in the user's rooms.
func (s *Service) ActiveCalls(ctx context.Context, userID string) ([]*CallView, error) {
	s.mu.RLock()
	all := make([]*CallView, 0, len(s.keys))
	for _, c := range s.proj.Calls() {
		all = append(all, viewOf(c))
	}
	s.mu.RUnlock()
	out := make([]*CallView, 0, len(all))
	for _, v := range all {
		ok, err := s.host.IsMember(ctx, v.RoomID, userID)
		if err != nil {
			return nil, fmt.Errorf("chatto: membership of %s in %s: %w", userID, v.RoomID, err)
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}

func newCallID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
