// Package host is the standalone server's embedded chat host: SQLite
// users, rooms, memberships, sessions and a room timeline, plus the
// realtime stream. It implements chatto.Host.
package host

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/migrate"
	"github.com/chattocalls/chatto/internal/outage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SessionCookie is the cookie that carries a session token.
const SessionCookie = "chatto_session"

// DefaultBcryptCost is the cost of password hashes: about a quarter of a
// second per sign-in on a current CPU core, which is what makes guessing
// from a stolen database slow.
const DefaultBcryptCost = 12

// Default session lifetimes (the [webserver] settings session_idle and
// session_max).
const (
	DefaultSessionIdle = 24 * time.Hour
	DefaultSessionMax  = 30 * 24 * time.Hour
)

// watchEvery is how often a running host looks for changes the admin
// commands made to users, rooms and sessions.
const watchEvery = 2 * time.Second

// Host is the embedded chat host.
type Host struct {
	db  *sql.DB
	hub *Hub
	log *slog.Logger
	opt options
	// dummyHash is compared against when a sign-in names an unknown user,
	// so that it takes as long as a wrong password for a real one. It is
	// made once, when first needed or when Run starts, whichever is first
	// (the admin commands never need it).
	dummyHash func() []byte
	logins    *loginLimiter

	// Users, rooms and memberships are read from the database into
	// memory, because every call request asks about membership. refreshMu
	// serialises a reload with a change this host makes itself, so a
	// removal is announced once.
	refreshMu sync.Mutex
	mu        sync.RWMutex
	roomCache map[string]chatto.Room
	userRooms map[string][]string // room ids by member
	users     map[string]chatto.User
	changes   int64 // host_changes.n as of the last load
	// onRemoved is told when a user stops being a member of a room.
	onRemoved func(ctx context.Context, roomID, userID string)

	// full is a full disk refusing the host's writes (storage.go).
	full outage.Tracker

	// sessions caches resolved sessions by token hash.
	sessMu   sync.Mutex
	sessions map[string]*session
}

// Option adjusts how Open sets the host up.
type Option func(*options)

type options struct {
	demo        bool
	bcryptCost  int
	sessionIdle time.Duration
	sessionMax  time.Duration
	now         func() time.Time
	// streamsPerUser and streams cap open event streams (0: no cap).
	streamsPerUser, streams int
	// db, if set, is the database handle to use (the event log's).
	db *sql.DB
	// checkSchema: refuse a schema that is not this build's instead of
	// upgrading it.
	checkSchema bool
	// write, if set, runs timeline writes in the event log's group
	// commits (eventlog.Store.Write).
	write func(context.Context, func(context.Context, *sql.Tx) error) error
	// secureCookie marks the session cookie Secure.
	secureCookie bool
}

// WithDB makes the host use an open handle on the database file (the
// event log's, eventlog.Store.DB) instead of opening its own, so the two
// never wait for each other inside SQLite. Close leaves it open.
func WithDB(db *sql.DB) Option { return func(o *options) { o.db = db } }

// WithCurrentSchema makes Open refuse a database whose host tables are not
// exactly this build's schema instead of upgrading it: the admin commands
// use it on an existing database, which a running server may own.
func WithCurrentSchema() Option { return func(o *options) { o.checkSchema = true } }

// WithWriter makes the host write timeline messages (call notices and
// texts) through write, which runs them in a transaction it commits (the
// event log's eventlog.Store.Write, so they share its group commits). The
// default is a transaction of their own.
func WithWriter(write func(context.Context, func(context.Context, *sql.Tx) error) error) Option {
	return func(o *options) { o.write = write }
}

// WithStreamLimits caps the open event streams per user and in all; one
// more gets 429 rate_limited.
func WithStreamLimits(perUser, total int) Option {
	return func(o *options) { o.streamsPerUser, o.streams = perUser, total }
}

// WithSecureCookie marks the session cookie Secure (browsers send it over
// https only) when secure is true: set it when the site's public URL is
// https. The request's own scheme cannot tell: a proxy that terminates
// TLS forwards plain http, and its X-Forwarded-Proto is a header a
// client may write too.
func WithSecureCookie(secure bool) Option { return func(o *options) { o.secureCookie = secure } }

// WithDemoData seeds the demo users and rooms into a database that has no
// users yet (the dev command and the tests; never a production server).
func WithDemoData() Option { return func(o *options) { o.demo = true } }

// WithBcryptCost sets the cost of new password hashes (and of the dummy
// hash unknown users are checked against). Tests lower it to keep sign-in
// fast; production keeps DefaultBcryptCost.
func WithBcryptCost(cost int) Option { return func(o *options) { o.bcryptCost = cost } }

// WithSessionLifetimes sets how long a session lives without a request
// (idle) and at most after sign-in (max). Zero keeps a default.
func WithSessionLifetimes(idle, max time.Duration) Option {
	return func(o *options) {
		if idle > 0 {
			o.sessionIdle = idle
		}
		if max > 0 {
			o.sessionMax = max
		}
	}
}

// WithClock makes the host read time from now (tests move it by hand to
// expire sessions and refill sign-in limits).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Open opens the host tables in the SQLite file at path (the same file the
// event log uses; each keeps its own tables).
func Open(ctx context.Context, path string, log *slog.Logger, opts ...Option) (*Host, error) {
	o := options{bcryptCost: DefaultBcryptCost, sessionIdle: DefaultSessionIdle, sessionMax: DefaultSessionMax, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.bcryptCost < bcrypt.MinCost || o.bcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("host: bcrypt cost %d is outside %d..%d", o.bcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	db := o.db
	if db == nil {
		var err error
		if db, err = sql.Open("sqlite", eventlog.DSN(path)); err != nil {
			return nil, fmt.Errorf("host: open %s: %w", path, err)
		}
		// One connection: writes are rare here, and it keeps to SQLite's
		// single-writer model without busy retries.
		db.SetMaxOpenConns(1)
	}
	closeDB := func() {
		if o.db == nil {
			db.Close()
		}
	}
	ms, err := migrate.Load(migrations, "migrations")
	if err == nil && o.checkSchema {
		err = migrate.Check(ctx, db, "host", ms)
	} else if err == nil {
		_, err = migrate.Apply(ctx, db, "host", ms)
	}
	if err != nil {
		closeDB()
		return nil, fmt.Errorf("host: schema of %s: %w", path, err)
	}
	h := &Host{db: db, hub: NewHub(o.streamsPerUser, o.streams), log: log, opt: o, logins: newLoginLimiter(), sessions: make(map[string]*session)}
	// A random password, so no input matches it; hashed at the real cost,
	// so comparing against it costs what comparing against a user's does.
	h.dummyHash = sync.OnceValue(func() []byte {
		hash, err := bcrypt.GenerateFromPassword([]byte(randomToken()), o.bcryptCost)
		if err != nil {
			panic(fmt.Sprintf("host: dummy hash: %v", err)) // only for a cost outside bcrypt's range, checked above
		}
		return hash
	})
	if o.demo {
		if err := h.seed(ctx); err != nil {
			closeDB()
			return nil, err
		}
	}
	if err := h.load(ctx); err != nil {
		closeDB()
		return nil, err
	}
	return h, nil
}

// Run picks up, until ctx ends, changes that another process (the admin
// commands) made to users, rooms and sessions: a removed member is taken
// out of the call and told, as if removed through the API, and streams of
// ended sessions close.
func (h *Host) Run(ctx context.Context) {
	h.dummyHash()
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.Refresh(ctx); err != nil && ctx.Err() == nil {
				h.log.WarnContext(ctx, "reload users and rooms", "err", err)
			}
		}
	}
}

// Refresh reloads users, rooms and sessions if the database changed since
// they were last read.
func (h *Host) Refresh(ctx context.Context) error {
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	var n int64
	if err := h.db.QueryRowContext(ctx, `SELECT n FROM host_changes`).Scan(&n); err != nil {
		return fmt.Errorf("host: read changes: %w", err)
	}
	h.mu.RLock()
	same := n == h.changes
	old := h.roomCache
	h.mu.RUnlock()
	if same {
		return nil
	}
	if err := h.load(ctx); err != nil {
		return err
	}
	h.sessMu.Lock()
	clear(h.sessions)
	h.sessMu.Unlock()
	h.endStreamsOfEndedSessions(ctx)
	h.mu.RLock()
	type gone struct{ room, user string }
	var removed []gone
	for id, r := range old {
		for _, u := range r.Members {
			if !slices.Contains(h.roomCache[id].Members, u) {
				removed = append(removed, gone{id, u})
			}
		}
	}
	h.mu.RUnlock()
	for _, g := range removed {
		h.log.InfoContext(ctx, "member removed from room", "room", g.room, "user", g.user, "by", "admin command")
		h.memberGone(ctx, g.room, g.user)
	}
	return nil
}

// endStreamsOfEndedSessions closes the event streams whose session is no
// longer in the database (ended by logout elsewhere, a password change or
// a removed user).
func (h *Host) endStreamsOfEndedSessions(ctx context.Context) {
	for _, th := range h.hub.Sessions() {
		var one int
		err := h.db.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE token_hash = ?`, th).Scan(&one)
		if err == sql.ErrNoRows {
			h.hub.EndSession(th)
		}
	}
}

// Streams is how many event streams are open.
func (h *Host) Streams() int { return h.hub.Count() }

// EndStreams ends every realtime stream; clients reconnect elsewhere.
func (h *Host) EndStreams() { h.hub.Close() }

// Close ends the streams and closes the database.
func (h *Host) Close() error {
	h.hub.Close()
	if h.opt.db != nil {
		return nil // the event log's handle; its store closes it
	}
	return h.db.Close()
}

// load reads users, rooms and memberships into memory.
func (h *Host) load(ctx context.Context) error {
	var n int64
	if err := h.db.QueryRowContext(ctx, `SELECT n FROM host_changes`).Scan(&n); err != nil {
		return fmt.Errorf("host: read changes: %w", err)
	}
	rows, err := h.db.QueryContext(ctx, `SELECT r.id, r.kind, m.user_id, m.role FROM rooms r
		JOIN members m ON m.room_id = r.id ORDER BY r.id, m.user_id`)
	if err != nil {
		return fmt.Errorf("host: load rooms: %w", err)
	}
	defer rows.Close()
	roomCache := make(map[string]chatto.Room)
	userRooms := make(map[string][]string)
	for rows.Next() {
		var id, kind, user, role string
		if err := rows.Scan(&id, &kind, &user, &role); err != nil {
			return fmt.Errorf("host: load rooms: %w", err)
		}
		r := roomCache[id]
		r.ID, r.Kind, r.Members = id, kind, append(r.Members, user)
		if role == roleAdmin {
			r.Admins = append(r.Admins, user)
		}
		roomCache[id] = r
		userRooms[user] = append(userRooms[user], id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("host: load rooms: %w", err)
	}
	rows.Close()
	urows, err := h.db.QueryContext(ctx, `SELECT id, name FROM users`)
	if err != nil {
		return fmt.Errorf("host: load users: %w", err)
	}
	defer urows.Close()
	users := make(map[string]chatto.User)
	for urows.Next() {
		var u chatto.User
		if err := urows.Scan(&u.ID, &u.Name); err != nil {
			return fmt.Errorf("host: load users: %w", err)
		}
		users[u.ID] = u
	}
	if err := urows.Err(); err != nil {
		return fmt.Errorf("host: load users: %w", err)
	}
	h.mu.Lock()
	h.roomCache, h.userRooms, h.users, h.changes = roomCache, userRooms, users, n
	h.mu.Unlock()
	return nil
}

// IsMember implements chatto.Host.
func (h *Host) IsMember(_ context.Context, roomID, userID string) (bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	// A user's rooms are few; a room's members may be thousands.
	return slices.Contains(h.userRooms[userID], roomID), nil
}

// Room implements chatto.Host.
func (h *Host) Room(_ context.Context, roomID string) (chatto.Room, error) {
	h.mu.RLock()
	r, ok := h.roomCache[roomID]
	h.mu.RUnlock()
	if !ok {
		return chatto.Room{ID: roomID}, chatto.Errorf(chatto.ENOTFOUND, "no such room")
	}
	return r, nil
}

// User implements chatto.Host.
func (h *Host) User(_ context.Context, userID string) (chatto.User, error) {
	h.mu.RLock()
	u, ok := h.users[userID]
	h.mu.RUnlock()
	if !ok {
		return chatto.User{ID: userID}, chatto.Errorf(chatto.ENOTFOUND, "no such user")
	}
	return u, nil
}

// UserRooms implements chatto.Host.
func (h *Host) UserRooms(_ context.Context, userID string) ([]string, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Clone(h.userRooms[userID]), nil
}

// OnMemberRemoved registers what to do when a user stops being a member
// of a room (the server wires the calls plugin's MemberRemoved here).
func (h *Host) OnMemberRemoved(fn func(ctx context.Context, roomID, userID string)) { h.onRemoved = fn }

// RemoveMember takes userID out of a room: by themselves (leaving) or by
// one of the room's admins. The user's clients are told (room.removed)
// and so is the calls plugin, which takes their devices out of the call.
func (h *Host) RemoveMember(ctx context.Context, roomID, userID, by string) error {
	r, err := h.Room(ctx, roomID)
	if err != nil {
		return err
	}
	if !slices.Contains(r.Members, by) {
		return chatto.Errorf(chatto.EFORBIDDEN, "you are not a member of this room")
	}
	if by != userID && !slices.Contains(r.Admins, by) {
		return chatto.Errorf(chatto.ENOTALLOWED, "only a room admin can remove members")
	}
	if !slices.Contains(r.Members, userID) {
		return chatto.Errorf(chatto.ENOTFOUND, "that user is not a member of this room")
	}
	h.refreshMu.Lock()
	if _, err := h.db.ExecContext(ctx, `DELETE FROM members WHERE room_id = ? AND user_id = ?`, roomID, userID); err != nil {
		h.refreshMu.Unlock()
		return fmt.Errorf("host: remove %s from %s: %w", userID, roomID, err)
	}
	h.mu.Lock()
	r = h.roomCache[roomID]
	r.Members = slices.DeleteFunc(slices.Clone(r.Members), func(u string) bool { return u == userID })
	r.Admins = slices.DeleteFunc(slices.Clone(r.Admins), func(u string) bool { return u == userID })
	h.roomCache[roomID] = r
	h.userRooms[userID] = slices.DeleteFunc(slices.Clone(h.userRooms[userID]), func(id string) bool { return id == roomID })
	h.mu.Unlock()
	h.refreshMu.Unlock()
	h.log.InfoContext(ctx, "member removed from room", "room", roomID, "user", userID, "by", by)
	h.memberGone(ctx, roomID, userID)
	return nil
}

// memberGone tells a removed member's clients and the calls plugin.
func (h *Host) memberGone(ctx context.Context, roomID, userID string) {
	h.hub.Send([]string{userID}, "room.removed", map[string]string{"type": "room.removed", "room_id": roomID})
	if h.onRemoved != nil {
		h.onRemoved(ctx, roomID, userID)
	}
}

func (h *Host) members(ctx context.Context, roomID string) ([]string, error) {
	r, err := h.Room(ctx, roomID)
	return r.Members, err
}

// RoomSummary is a room as the room list shows it.
type RoomSummary struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Members []string `json:"members"`
	Admins  []string `json:"admins"`
}

// RoomsOf lists the rooms a user belongs to.
func (h *Host) RoomsOf(ctx context.Context, userID string) ([]RoomSummary, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT r.id, r.name, r.kind FROM rooms r JOIN members m ON m.room_id = r.id
		WHERE m.user_id = ? ORDER BY r.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("host: rooms of %s: %w", userID, err)
	}
	out := []RoomSummary{}
	for rows.Next() {
		var r RoomSummary
		if err := rows.Scan(&r.ID, &r.Name, &r.Kind); err != nil {
			rows.Close()
			return nil, fmt.Errorf("host: rooms of %s: %w", userID, err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("host: rooms of %s: %w", userID, err)
	}
	for i := range out {
		r, err := h.Room(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Members, out[i].Admins = r.Members, r.Admins
	}
	return out, nil
}

// Publish implements chatto.Host.
func (h *Host) Publish(_ context.Context, userIDs []string, ev chatto.RealtimeEvent) error {
	h.hub.Send(userIDs, ev.EventType(), ev)
	return nil
}

// Ping checks the database.
func (h *Host) Ping(ctx context.Context) error { return h.db.PingContext(ctx) }
