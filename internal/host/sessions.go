package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
)

// session is a signed-in browser or client, cached by token hash.
type session struct {
	hash     string
	caller   chatto.Caller
	created  time.Time
	lastSeen time.Time
	// stored is lastSeen as last written to the database; it is written
	// again only after touchEvery, so requests do not each cost a write.
	stored time.Time
}

// errBadLogin is the one answer to a wrong password and an unknown user.
var errBadLogin = chatto.Errorf(chatto.EUNAUTHORIZED, "unknown user or wrong password")

// limitedError is a refused sign-in with how long to wait.
type limitedError struct {
	err  *chatto.Error
	wait time.Duration
}

func (e *limitedError) Error() string { return e.err.Error() }
func (e *limitedError) Unwrap() error { return e.err }

// Login checks a password and opens a session, returning its token. addr
// is the client's address, for the per-address limit on failed attempts.
// An unknown user costs the same bcrypt comparison as a known one, and
// both limits count unknown users like known ones, so neither the answer
// nor its timing tells who has an account.
func (h *Host) Login(ctx context.Context, userID, password, addr string) (string, error) {
	now := h.opt.now()
	if wait := h.logins.begin(userID, addr, now); wait > 0 {
		return "", &limitedError{
			err:  chatto.Errorf(chatto.ERATELIMITED, "too many failed sign-ins; try again in %s", wait.Round(time.Second)),
			wait: wait,
		}
	}
	var hash []byte
	err := h.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash)
	known := err == nil
	switch {
	case errors.Is(err, sql.ErrNoRows):
		hash = h.dummyHash()
	case err != nil:
		h.logins.refund(userID, addr, now)
		return "", fmt.Errorf("host: login: %w", err)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		return "", errBadLogin
	}
	h.logins.refund(userID, addr, now)
	h.rehash(ctx, userID, hash, password)
	token := randomToken()
	ms := now.UnixMilli()
	_, err = h.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_ms, last_seen_ms) VALUES (?, ?, ?, ?)`,
		hashToken(token), userID, ms, ms)
	h.wrote(ctx, err)
	if err != nil {
		return "", fmt.Errorf("host: open session for %s: %w", userID, err)
	}
	// Expired sessions are deleted here rather than by a timer: sign-ins
	// are rare enough, and frequent enough, to keep the table small.
	if _, err := h.db.ExecContext(ctx, `DELETE FROM sessions WHERE created_ms < ? OR last_seen_ms < ?`,
		now.Add(-h.opt.sessionMax).UnixMilli(), now.Add(-h.opt.sessionIdle).UnixMilli()); err != nil {
		h.log.WarnContext(ctx, "delete expired sessions", "err", err)
	}
	return token, nil
}

// rehash stores a password hash at the configured cost when the stored one
// has another (a database seeded with a cheaper hash), so every account
// costs the same to check as the dummy hash.
func (h *Host) rehash(ctx context.Context, userID string, hash []byte, password string) {
	if cost, err := bcrypt.Cost(hash); err != nil || cost == h.opt.bcryptCost {
		return
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(password), h.opt.bcryptCost)
	if err != nil {
		return
	}
	if _, err := h.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, newHash, userID); err != nil {
		h.log.WarnContext(ctx, "store rehashed password", "user", userID, "err", err)
	}
}

// Logout ends a session and closes its event streams.
func (h *Host) Logout(ctx context.Context, token string) error {
	th := hashToken(token)
	h.sessMu.Lock()
	delete(h.sessions, th)
	h.sessMu.Unlock()
	h.hub.EndSession(th)
	if _, err := h.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, th); err != nil {
		return fmt.Errorf("host: logout: %w", err)
	}
	return nil
}

func randomToken() string {
	raw := make([]byte, 32)
	rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenOf reads the session token from "Authorization: Bearer" or the
// session cookie, and says which.
func tokenOf(r *http.Request) (token string, bearer bool) {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v), true
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, false
	}
	return "", false
}

// Caller implements chatto.Host. The device id is derived from the
// session token's hash, so it is stable per session and reveals nothing.
func (h *Host) Caller(r *http.Request) (chatto.Caller, error) {
	s, err := h.session(r)
	if err != nil {
		return chatto.Caller{}, err
	}
	return s.caller, nil
}

// session resolves the request's session, refusing an expired one, and
// records the request as activity.
func (h *Host) session(r *http.Request) (*session, error) {
	token, _ := tokenOf(r)
	if token == "" {
		return nil, chatto.Errorf(chatto.EUNAUTHORIZED, "sign in first")
	}
	ctx := r.Context()
	th := hashToken(token)
	s, err := h.lookup(ctx, th)
	if err != nil {
		return nil, err
	}
	now := h.opt.now()
	h.sessMu.Lock()
	if h.expired(s, now) {
		delete(h.sessions, th)
		h.sessMu.Unlock()
		h.hub.EndSession(th)
		if _, err := h.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, th); err != nil {
			h.log.WarnContext(ctx, "delete expired session", "err", err)
		}
		return nil, chatto.Errorf(chatto.EUNAUTHORIZED, "session expired; sign in again")
	}
	s.lastSeen = now
	write := now.Sub(s.stored) >= h.touchEvery()
	if write {
		s.stored = now
	}
	h.sessMu.Unlock()
	if write {
		_, err := h.db.ExecContext(ctx, `UPDATE sessions SET last_seen_ms = ? WHERE token_hash = ?`, now.UnixMilli(), th)
		h.wrote(ctx, err)
		if err != nil && !eventlog.IsFull(err) {
			h.log.WarnContext(ctx, "record session activity", "err", err)
		}
	}
	return s, nil
}

// lookup returns the session with token hash th from the cache or the
// database, expired or not.
func (h *Host) lookup(ctx context.Context, th string) (*session, error) {
	h.sessMu.Lock()
	s, ok := h.sessions[th]
	h.sessMu.Unlock()
	if ok {
		return s, nil
	}
	var created, seen int64
	s = &session{hash: th}
	err := h.db.QueryRowContext(ctx, `SELECT u.id, u.name, s.created_ms, s.last_seen_ms FROM sessions s
		JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, th).Scan(&s.caller.UserID, &s.caller.Name, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, chatto.Errorf(chatto.EUNAUTHORIZED, "session expired or unknown; sign in again")
	}
	if err != nil {
		return nil, fmt.Errorf("host: resolve session: %w", err)
	}
	s.caller.DeviceID = "s" + th[:15]
	s.created, s.lastSeen, s.stored = time.UnixMilli(created), time.UnixMilli(seen), time.UnixMilli(seen)
	h.sessMu.Lock()
	defer h.sessMu.Unlock()
	if cached, ok := h.sessions[th]; ok {
		return cached, nil // a concurrent request got there first
	}
	h.sessions[th] = s
	return s, nil
}

// expired reports whether s has been idle or alive too long. Call with
// sessMu held.
func (h *Host) expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) >= h.opt.sessionIdle || now.Sub(s.created) >= h.opt.sessionMax
}

// alive reports whether the session with token hash th is still valid,
// without counting as activity (an open event stream is not a request).
func (h *Host) alive(ctx context.Context, th string) bool {
	s, err := h.lookup(ctx, th)
	if err != nil {
		// A database hiccup is no reason to drop a page's stream.
		return chatto.ErrorCode(err) != chatto.EUNAUTHORIZED
	}
	now := h.opt.now()
	h.sessMu.Lock()
	defer h.sessMu.Unlock()
	return !h.expired(s, now)
}

// touchEvery is how stale the stored last-seen time may get: a minute, or
// less for short idle lifetimes, so the idle limit holds within a quarter.
func (h *Host) touchEvery() time.Duration {
	return min(time.Minute, h.opt.sessionIdle/4)
}
