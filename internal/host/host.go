// Package host is the standalone server's embedded chat host: SQLite
// users, rooms, memberships, sessions and a room timeline, plus the
// realtime stream. It implements chatto.Host.
package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SessionCookie is the cookie that carries a session token.
const SessionCookie = "chatto_session"

// Host is the embedded chat host.
type Host struct {
	db  *sql.DB
	hub *Hub
	log *slog.Logger

	// Rooms and memberships are read once and kept in memory, because
	// every call request asks about membership; removing a member updates
	// the database and then the cache, under mu.
	mu        sync.RWMutex
	roomCache map[string]chatto.Room
	userRooms map[string][]string // room ids by member
	users     map[string]chatto.User
	// onRemoved is told when a user stops being a member of a room.
	onRemoved func(ctx context.Context, roomID, userID string)
	// sessions caches resolved sessions by token hash.
	sessions sync.Map // string -> chatto.Caller
}

// Open opens the host tables in the SQLite file at path (the same file the
// event log uses; each keeps its own tables) and seeds the demo data into
// an empty database.
func Open(ctx context.Context, path string, log *slog.Logger) (*Host, error) {
	db, err := sql.Open("sqlite", eventlog.DSN(path))
	if err != nil {
		return nil, fmt.Errorf("host: open %s: %w", path, err)
	}
	// One connection: writes are rare here, and it keeps to SQLite's
	// single-writer model without busy retries.
	db.SetMaxOpenConns(1)
	ms, err := migrate.Load(migrations, "migrations")
	if err == nil {
		_, err = migrate.Apply(ctx, db, "host", ms)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("host: migrate %s: %w", path, err)
	}
	h := &Host{db: db, hub: NewHub(), log: log}
	if err := h.seed(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := h.loadRooms(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return h, nil
}

// EndStreams ends every realtime stream; clients reconnect elsewhere.
func (h *Host) EndStreams() { h.hub.Close() }

// Close ends the streams and closes the database.
func (h *Host) Close() error {
	h.hub.Close()
	return h.db.Close()
}

// DemoPassword is the password of every seeded demo user.
const DemoPassword = "demo"

// Demo data: a group room, a direct room, and a user (dave) who is not in
// "general", so non-member behaviour can be tried by hand. A group room's
// first member administers it; both members of a direct room do.
var (
	demoUsers = [][2]string{{"alice", "Alice"}, {"bob", "Bob"}, {"carol", "Carol"}, {"dave", "Dave"}}
	demoRooms = []struct {
		id, name, kind string
		members        []string
	}{
		{"general", "General", chatto.RoomGroup, []string{"alice", "bob", "carol"}},
		{"alice-bob", "Alice & Bob", chatto.RoomDirect, []string{"alice", "bob"}},
		{"design", "Design", chatto.RoomGroup, []string{"bob", "carol", "dave"}},
	}
)

func (h *Host) seed(ctx context.Context) error {
	var n int
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return fmt.Errorf("host: count users: %w", err)
	}
	if n > 0 {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(DemoPassword), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("host: hash demo password: %w", err)
	}
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("host: seed: %w", err)
	}
	defer tx.Rollback()
	for _, u := range demoUsers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, password_hash) VALUES (?, ?, ?)`, u[0], u[1], hash); err != nil {
			return fmt.Errorf("host: seed user %s: %w", u[0], err)
		}
	}
	for _, r := range demoRooms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rooms (id, name, kind) VALUES (?, ?, ?)`, r.id, r.name, r.kind); err != nil {
			return fmt.Errorf("host: seed room %s: %w", r.id, err)
		}
		for i, m := range r.members {
			role := "member"
			if i == 0 || r.kind == chatto.RoomDirect {
				role = "admin"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO members (room_id, user_id, role) VALUES (?, ?, ?)`, r.id, m, role); err != nil {
				return fmt.Errorf("host: seed member %s of %s: %w", m, r.id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("host: seed: %w", err)
	}
	h.log.Info("seeded demo data", "users", len(demoUsers), "rooms", len(demoRooms), "password", DemoPassword)
	return nil
}

func (h *Host) loadRooms(ctx context.Context) error {
	rows, err := h.db.QueryContext(ctx, `SELECT r.id, r.kind, m.user_id, m.role FROM rooms r
		JOIN members m ON m.room_id = r.id ORDER BY r.id, m.user_id`)
	if err != nil {
		return fmt.Errorf("host: load rooms: %w", err)
	}
	defer rows.Close()
	h.roomCache = make(map[string]chatto.Room)
	h.userRooms = make(map[string][]string)
	for rows.Next() {
		var id, kind, user, role string
		if err := rows.Scan(&id, &kind, &user, &role); err != nil {
			return fmt.Errorf("host: load rooms: %w", err)
		}
		r := h.roomCache[id]
		r.ID, r.Kind, r.Members = id, kind, append(r.Members, user)
		if role == "admin" {
			r.Admins = append(r.Admins, user)
		}
		h.roomCache[id] = r
		h.userRooms[user] = append(h.userRooms[user], id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("host: load rooms: %w", err)
	}
	users, err := h.db.QueryContext(ctx, `SELECT id, name FROM users`)
	if err != nil {
		return fmt.Errorf("host: load users: %w", err)
	}
	defer users.Close()
	h.users = make(map[string]chatto.User)
	for users.Next() {
		var u chatto.User
		if err := users.Scan(&u.ID, &u.Name); err != nil {
			return fmt.Errorf("host: load users: %w", err)
		}
		h.users[u.ID] = u
	}
	return users.Err()
}

// Login checks a password and opens a session, returning its token.
func (h *Host) Login(ctx context.Context, userID, password string) (string, error) {
	var hash []byte
	err := h.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", chatto.Errorf(chatto.EUNAUTHORIZED, "unknown user or wrong password")
	}
	if err != nil {
		return "", fmt.Errorf("host: login %s: %w", userID, err)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return "", chatto.Errorf(chatto.EUNAUTHORIZED, "unknown user or wrong password")
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := h.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_ms) VALUES (?, ?, ?)`,
		hashToken(token), userID, time.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("host: open session for %s: %w", userID, err)
	}
	return token, nil
}

// Logout ends a session.
func (h *Host) Logout(ctx context.Context, token string) error {
	th := hashToken(token)
	h.sessions.Delete(th)
	if _, err := h.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, th); err != nil {
		return fmt.Errorf("host: logout: %w", err)
	}
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenOf reads the session token from "Authorization: Bearer" or the
// session cookie.
func tokenOf(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// Caller implements chatto.Host. The device id is derived from the
// session token's hash, so it is stable per session and reveals nothing.
func (h *Host) Caller(r *http.Request) (chatto.Caller, error) {
	token := tokenOf(r)
	if token == "" {
		return chatto.Caller{}, chatto.Errorf(chatto.EUNAUTHORIZED, "sign in first")
	}
	th := hashToken(token)
	if c, ok := h.sessions.Load(th); ok {
		return c.(chatto.Caller), nil
	}
	var c chatto.Caller
	err := h.db.QueryRowContext(r.Context(), `SELECT u.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ?`, th).Scan(&c.UserID, &c.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return chatto.Caller{}, chatto.Errorf(chatto.EUNAUTHORIZED, "session expired or unknown; sign in again")
	}
	if err != nil {
		return chatto.Caller{}, fmt.Errorf("host: resolve session: %w", err)
	}
	c.DeviceID = "s" + th[:15]
	h.sessions.Store(th, c)
	return c, nil
}

// IsMember implements chatto.Host.
func (h *Host) IsMember(_ context.Context, roomID, userID string) (bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Contains(h.roomCache[roomID].Members, userID), nil
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
	u, ok := h.users[userID]
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
	if _, err := h.db.ExecContext(ctx, `DELETE FROM members WHERE room_id = ? AND user_id = ?`, roomID, userID); err != nil {
		return fmt.Errorf("host: remove %s from %s: %w", userID, roomID, err)
	}
	h.mu.Lock()
	r = h.roomCache[roomID]
	r.Members = slices.DeleteFunc(slices.Clone(r.Members), func(u string) bool { return u == userID })
	r.Admins = slices.DeleteFunc(slices.Clone(r.Admins), func(u string) bool { return u == userID })
	h.roomCache[roomID] = r
	h.userRooms[userID] = slices.DeleteFunc(slices.Clone(h.userRooms[userID]), func(id string) bool { return id == roomID })
	h.mu.Unlock()
	h.log.Info("member removed from room", "room", roomID, "user", userID, "by", by)
	h.hub.Send([]string{userID}, "room.removed", map[string]string{"type": "room.removed", "room_id": roomID})
	if h.onRemoved != nil {
		h.onRemoved(ctx, roomID, userID)
	}
	return nil
}

func (h *Host) members(ctx context.Context, roomID string) ([]string, error) {
	r, err := h.Room(ctx, roomID)
	return r.Members, err
}

// Message is one entry of a room timeline.
type Message struct {
	Seq    int64          `json:"seq"`
	ID     string         `json:"id"`
	RoomID string         `json:"room_id"`
	UserID string         `json:"user_id,omitempty"`
	Kind   string         `json:"kind"` // "text" or "notice"
	Body   string         `json:"body"`
	Notice *chatto.Notice `json:"notice,omitempty"`
	At     time.Time      `json:"at"`
}

// PostNotice implements chatto.Host: the notice becomes a timeline entry
// (once per notice id) and is pushed to the room's members.
func (h *Host) PostNotice(ctx context.Context, n chatto.Notice) error {
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("host: encode notice: %w", err)
	}
	m := Message{ID: n.ID, RoomID: n.RoomID, Kind: "notice", Body: n.Text, Notice: &n, At: n.At}
	return h.insertMessage(ctx, m, string(raw))
}

// PostText adds a user's text message to a room.
func (h *Host) PostText(ctx context.Context, roomID, userID, text string) (Message, error) {
	raw := make([]byte, 12)
	rand.Read(raw)
	m := Message{ID: hex.EncodeToString(raw), RoomID: roomID, UserID: userID, Kind: "text", Body: text, At: time.Now()}
	return m, h.insertMessage(ctx, m, "")
}

func (h *Host) insertMessage(ctx context.Context, m Message, notice string) error {
	res, err := h.db.ExecContext(ctx, `INSERT INTO messages (id, room_id, user_id, kind, body, notice, at_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		m.ID, m.RoomID, m.UserID, m.Kind, m.Body, notice, m.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("host: store message in %s: %w", m.RoomID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already stored: a notice re-sent after a retry
	}
	m.Seq, _ = res.LastInsertId()
	members, err := h.members(ctx, m.RoomID)
	if err != nil {
		return err
	}
	h.hub.Send(members, "message.created", m)
	return nil
}

// Messages returns the latest limit messages of a room, oldest first.
func (h *Host) Messages(ctx context.Context, roomID string, limit int) ([]Message, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT seq, id, room_id, user_id, kind, body, notice, at_ms FROM
		(SELECT * FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`, roomID, limit)
	if err != nil {
		return nil, fmt.Errorf("host: messages of %s: %w", roomID, err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var notice string
		var atMS int64
		if err := rows.Scan(&m.Seq, &m.ID, &m.RoomID, &m.UserID, &m.Kind, &m.Body, &notice, &atMS); err != nil {
			return nil, fmt.Errorf("host: messages of %s: %w", roomID, err)
		}
		m.At = time.UnixMilli(atMS)
		if notice != "" {
			m.Notice = new(chatto.Notice)
			if err := json.Unmarshal([]byte(notice), m.Notice); err != nil {
				return nil, fmt.Errorf("host: decode notice %s: %w", m.ID, err)
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
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
