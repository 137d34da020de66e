package host

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
)

// Administration of users and rooms, for the admin commands (chatto users,
// chatto rooms) and tests. Each change is one transaction; a running
// server picks it up through host_changes (see Run), and so does this
// host at once.

// Member roles in a room.
const (
	roleMember = "member"
	roleAdmin  = "admin"
)

// Ids end up in LiveKit identities (<user>#<device>) and room names
// (chatto_<room>_<call>), so they keep to a plain alphabet.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Password lengths: bcrypt reads at most 72 bytes.
const (
	minPassword = 8
	maxPassword = 72
)

func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return chatto.Errorf(chatto.EINVALID, "%s id %q must be 1-64 of a-z, 0-9, _ and -, starting with a letter or digit", what, id)
	}
	return nil
}

func checkName(name string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > 100 {
		return chatto.Errorf(chatto.EINVALID, "name must be 1-100 characters")
	}
	return nil
}

// CheckPassword says whether a password may be set.
func CheckPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < minPassword:
		return chatto.Errorf(chatto.EINVALID, "password must be at least %d characters", minPassword)
	case len(password) > maxPassword:
		return chatto.Errorf(chatto.EINVALID, "password must be at most %d bytes", maxPassword)
	}
	return nil
}

// AddUser creates a user. The name defaults to the id.
func (h *Host) AddUser(ctx context.Context, id, name, password string) error {
	if name == "" {
		name = id
	}
	if err := checkID("user", id); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), h.opt.bcryptCost)
	if err != nil {
		return fmt.Errorf("host: hash password: %w", err)
	}
	return h.change(ctx, func(tx *sql.Tx) error {
		if exists, err := rowExists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, id); err != nil || exists {
			return orErr(err, chatto.Errorf(chatto.EINVALID, "user %q already exists", id))
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, password_hash) VALUES (?, ?, ?)`, id, strings.TrimSpace(name), hash)
		return err
	})
}

// SetPassword replaces a user's password and ends all their sessions.
func (h *Host) SetPassword(ctx context.Context, id, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), h.opt.bcryptCost)
	if err != nil {
		return fmt.Errorf("host: hash password: %w", err)
	}
	return h.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return chatto.Errorf(chatto.ENOTFOUND, "no user %q", id)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		return err
	})
}

// RemoveUser deletes a user with their sessions and memberships; they are
// taken out of their calls. Their messages stay in the timelines.
func (h *Host) RemoveUser(ctx context.Context, id string) error {
	return h.change(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM sessions WHERE user_id = ?`, `DELETE FROM members WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return chatto.Errorf(chatto.ENOTFOUND, "no user %q", id)
		}
		return nil
	})
}

// AddRoom creates a room. A direct room has exactly two members, who both
// administer it; a group room's admins are admins, or its first member.
func (h *Host) AddRoom(ctx context.Context, id, name, kind string, members, admins []string) error {
	if name == "" {
		name = id
	}
	if err := checkID("room", id); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	members = dedupe(members)
	switch kind {
	case chatto.RoomDirect:
		if len(members) != 2 {
			return chatto.Errorf(chatto.EINVALID, "a direct room has exactly two members")
		}
		admins = members
	case chatto.RoomGroup:
		if len(members) == 0 {
			return chatto.Errorf(chatto.EINVALID, "a group room needs at least one member")
		}
		if len(admins) == 0 {
			admins = members[:1]
		}
	default:
		return chatto.Errorf(chatto.EINVALID, "kind must be %q or %q", chatto.RoomGroup, chatto.RoomDirect)
	}
	for _, a := range admins {
		if !slices.Contains(members, a) {
			return chatto.Errorf(chatto.EINVALID, "admin %q is not one of the members", a)
		}
	}
	return h.change(ctx, func(tx *sql.Tx) error {
		if exists, err := rowExists(ctx, tx, `SELECT 1 FROM rooms WHERE id = ?`, id); err != nil || exists {
			return orErr(err, chatto.Errorf(chatto.EINVALID, "room %q already exists", id))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rooms (id, name, kind) VALUES (?, ?, ?)`, id, strings.TrimSpace(name), kind); err != nil {
			return err
		}
		for _, m := range members {
			role := roleMember
			if slices.Contains(admins, m) {
				role = roleAdmin
			}
			if err := insertMember(ctx, tx, id, m, role); err != nil {
				return err
			}
		}
		return nil
	})
}

// MemberInfo is one member of a room as the admin command lists it.
type MemberInfo struct {
	UserID string
	Name   string
	Role   string // "member" or "admin"
}

// ChangeMembers adds members, makes members admins (adding them if they
// are not members yet) and removes members, in one transaction. Removed
// members are taken out of the room's call.
func (h *Host) ChangeMembers(ctx context.Context, roomID string, add, remove, admins []string) error {
	for _, u := range remove {
		if slices.Contains(add, u) || slices.Contains(admins, u) {
			return chatto.Errorf(chatto.EINVALID, "%q is both added and removed", u)
		}
	}
	return h.change(ctx, func(tx *sql.Tx) error {
		var kind string
		err := tx.QueryRowContext(ctx, `SELECT kind FROM rooms WHERE id = ?`, roomID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return chatto.Errorf(chatto.ENOTFOUND, "no room %q", roomID)
		}
		if err != nil {
			return err
		}
		for _, u := range dedupe(remove) {
			res, err := tx.ExecContext(ctx, `DELETE FROM members WHERE room_id = ? AND user_id = ?`, roomID, u)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return chatto.Errorf(chatto.ENOTFOUND, "%q is not a member of %q", u, roomID)
			}
		}
		for _, u := range dedupe(add) {
			if exists, err := rowExists(ctx, tx, `SELECT 1 FROM members WHERE room_id = ? AND user_id = ?`, roomID, u); err != nil || exists {
				if err != nil {
					return err
				}
				continue
			}
			role := roleMember
			if kind == chatto.RoomDirect {
				role = roleAdmin // both members of a direct room administer it
			}
			if err := insertMember(ctx, tx, roomID, u, role); err != nil {
				return err
			}
		}
		for _, u := range dedupe(admins) {
			if err := insertMember(ctx, tx, roomID, u, roleAdmin); err != nil {
				return err
			}
		}
		if kind == chatto.RoomDirect {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE room_id = ?`, roomID).Scan(&n); err != nil {
				return err
			}
			if n > 2 {
				return chatto.Errorf(chatto.EINVALID, "a direct room has at most two members")
			}
		}
		return nil
	})
}

// Members lists a room's members with their roles.
func (h *Host) Members(ctx context.Context, roomID string) ([]MemberInfo, error) {
	var one int
	err := h.db.QueryRowContext(ctx, `SELECT 1 FROM rooms WHERE id = ?`, roomID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, chatto.Errorf(chatto.ENOTFOUND, "no room %q", roomID)
	}
	if err != nil {
		return nil, fmt.Errorf("host: members of %s: %w", roomID, err)
	}
	rows, err := h.db.QueryContext(ctx, `SELECT m.user_id, u.name, m.role FROM members m JOIN users u ON u.id = m.user_id
		WHERE m.room_id = ? ORDER BY m.user_id`, roomID)
	if err != nil {
		return nil, fmt.Errorf("host: members of %s: %w", roomID, err)
	}
	defer rows.Close()
	var out []MemberInfo
	for rows.Next() {
		var m MemberInfo
		if err := rows.Scan(&m.UserID, &m.Name, &m.Role); err != nil {
			return nil, fmt.Errorf("host: members of %s: %w", roomID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// insertMember adds (or updates the role of) a member, who must be a user.
func insertMember(ctx context.Context, tx *sql.Tx, roomID, userID, role string) error {
	if exists, err := rowExists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, userID); err != nil || !exists {
		return orErr(err, chatto.Errorf(chatto.ENOTFOUND, "no user %q", userID))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO members (room_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role`, roomID, userID, role)
	return err
}

// change runs fn in a transaction and then reloads this host's view.
func (h *Host) change(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("host: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		var ce *chatto.Error
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("host: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("host: commit: %w", err)
	}
	return h.Refresh(ctx)
}

func rowExists(ctx context.Context, tx *sql.Tx, q string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, q, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// orErr returns err if there is one, else the domain error e.
func orErr(err error, e *chatto.Error) error {
	if err != nil {
		return err
	}
	return e
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// UserCount counts the users.
func (h *Host) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("host: count users: %w", err)
	}
	return n, nil
}
