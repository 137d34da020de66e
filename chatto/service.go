package chatto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/outage"
	"github.com/chattocalls/chatto/livekit"
)

// KeySize is the length of a call's E2EE key in bytes.
const KeySize = 32

// Service owns call state: it decides what happens, appends the facts to
// the log, applies them to the projection and tells the host. Its files:
// lifecycle.go (join, leave, end), ringing.go (ring, decline, invite,
// merge, timeouts), notices.go (what the host is told), views.go,
// history.go, webhook.go, reconcile.go (and the timer loop), health.go,
// metrics.go, operator.go, replay.go.
type Service struct {
	cfg   Config
	host  Host
	store *eventlog.Store
	lk    *livekit.Client
	log   *slog.Logger
	clock Clock

	// stripes serialise the decide-append-apply cycle per room, so two
	// first joins cannot both start a call and webhooks for one room are
	// applied one at a time. Rooms share stripes by hash; there are many,
	// so busy rooms seldom wait for one another.
	stripes [1024]sync.Mutex
	seed    maphash.Seed

	mu   sync.RWMutex // guards proj, keys, hands and fences
	proj *eventlog.Projection
	keys map[string]*eventlog.CallKey // by call id
	// handovers hold a call's previous key for keyHandover after a
	// rotation, by call id, for devices joining meanwhile (handover).
	handovers map[string]*eventlog.CallKey
	// fences are the removals decided but not yet done by LiveKit, by
	// room and identity (see followup.go).
	fences map[string]*fence
	// hands are raised hands, by call id and identity: live state, not
	// facts (see README).
	hands map[string]map[string]time.Time
	// handRev counts hand changes per call id, for CallView.Rev.
	handRev map[string]int64

	// wake tells the timer loop that a deadline may have moved closer.
	wake chan struct{}
	// graceRetry holds, per room, when a failed join-grace check may run
	// again; only the timer loop touches it.
	graceRetry map[string]time.Time

	health healthState
	// joins and invites are each caller's budgets (limits.go).
	joins, invites userLimiter
	// diskFull is an outage of the log's disk and shredOwed one of the
	// checkpoint that takes shredded keys out of the WAL (see storage.go).
	diskFull, shredOwed outage.Tracker
	// unposted are the notices the host could not store (notices.go).
	unposted unposted

	outgoing outgoing // see outgoing.go

	metrics *metrics // see metrics.go
	// registerer, if set (WithRegisterer), gets the metrics.
	registerer prometheus.Registerer

	// bg tracks LiveKit clean-ups that run after the request that caused
	// them has been answered (see background).
	bg sync.WaitGroup

	// reconcilePause, set only by tests, runs between a reconcile's two
	// reads (the calls and LiveKit's rooms), to widen the window a call
	// may start in.
	reconcilePause atomic.Pointer[func()]
}

// Clock is the time source of the service's decisions and timers (ring
// deadlines, join grace). Tests pass one they move by hand.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine after d; stop cancels it.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Option adjusts how New and NewService build the service.
type Option func(*Service)

// WithClock makes the service read time from c instead of the system
// clock.
func WithClock(c Clock) Option { return func(s *Service) { s.clock = c } }

// WithRegisterer registers the plugin's Prometheus metrics on reg (a host
// serving /metrics passes its registry; without it they are kept but not
// exported).
func WithRegisterer(reg prometheus.Registerer) Option { return func(s *Service) { s.registerer = reg } }

// NewService loads the active calls from the log and returns a Service.
// It does not contact LiveKit; Run does.
func NewService(ctx context.Context, cfg Config, host Host, store *eventlog.Store, log *slog.Logger, opts ...Option) (*Service, error) {
	if cfg.ServerID == "" {
		id, err := store.ServerID(ctx)
		if err != nil {
			return nil, fmt.Errorf("chatto: server id: %w", err)
		}
		cfg.ServerID = id
	}
	s := &Service{
		cfg: cfg, host: host, store: store, log: log, clock: systemClock{},
		lk: livekit.New(livekit.Options{
			ServerID:    cfg.ServerID,
			InternalURL: cfg.InternalURL, APIKey: cfg.APIKey, APISecret: cfg.APISecret,
			TokenTTL: cfg.TokenTTL, MaxParticipants: cfg.MaxParticipants,
			EmptyTimeout: cfg.EmptyTimeout, DepartureTimeout: cfg.DepartureTimeout,
		}),
		seed:       maphash.MakeSeed(),
		proj:       eventlog.NewProjection(),
		keys:       make(map[string]*eventlog.CallKey),
		handovers:  make(map[string]*eventlog.CallKey),
		hands:      make(map[string]map[string]time.Time),
		fences:     make(map[string]*fence),
		handRev:    make(map[string]int64),
		wake:       make(chan struct{}, 1),
		joins:      userLimiter{burst: float64(cfg.JoinBurst), interval: cfg.JoinInterval},
		invites:    userLimiter{burst: inviteBurst, interval: inviteInterval},
		graceRetry: make(map[string]time.Time),
		metrics:    newMetrics(),
	}
	for _, o := range opts {
		o(s)
	}
	if s.registerer != nil {
		if err := s.register(s.registerer); err != nil {
			return nil, fmt.Errorf("chatto: register metrics: %w", err)
		}
	}
	events, err := store.ActiveEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("chatto: rebuild projection: %w", err)
	}
	for _, e := range events {
		s.proj.Apply(e)
	}
	keys, err := store.CallKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("chatto: load call keys: %w", err)
	}
	for _, c := range s.proj.Calls() {
		s.keys[c.ID] = keys[c.ID]
	}
	log.Info("call state rebuilt from the event log", "events", len(events), "active_calls", len(s.keys),
		"server_id", cfg.ServerID)
	return s, nil
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

// isAdmin reports whether the user administers the room.
func (s *Service) isAdmin(ctx context.Context, roomID, userID string) (bool, error) {
	room, err := s.host.Room(ctx, roomID)
	if err != nil {
		return false, fmt.Errorf("chatto: admins of %s: %w", roomID, err)
	}
	return slices.Contains(room.Admins, userID), nil
}

// userName returns a user's display name, or the id if the host does not
// know it.
func (s *Service) userName(ctx context.Context, userID string) string {
	u, err := s.host.User(ctx, userID)
	if err != nil || u.Name == "" {
		return userID
	}
	return u.Name
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

// ServerID is the id that prefixes this server's LiveKit room names.
func (s *Service) ServerID() string { return s.cfg.ServerID }

// activeCall returns the room's active call or the no_call error. The
// caller holds the room lock.
func (s *Service) activeCall(roomID string) (*eventlog.Call, error) {
	call := s.call(roomID)
	if call == nil {
		return nil, Errorf(ENOCALL, "the room has no call")
	}
	return call, nil
}

// record commits a batch and tells the host about it. The caller holds
// the room lock.
func (s *Service) record(ctx context.Context, roomID string, b eventlog.Batch) error {
	evs, err := s.commit(ctx, b)
	if err != nil {
		return err
	}
	s.announce(ctx, roomID, evs)
	return nil
}

// kick wakes the timer loop to look at deadlines again.
func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func newCallID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// backgroundTimeout bounds a clean-up LiveKit call that no request waits
// for.
const backgroundTimeout = 10 * time.Second

// background runs a LiveKit clean-up (removing a participant, deleting a
// room) after its facts are committed, without the caller waiting for it
// or being able to cancel it. Run waits for them before it returns.
func (s *Service) background(ctx context.Context, fn func(context.Context)) {
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundTimeout)
		defer cancel()
		fn(ctx)
	})
}
