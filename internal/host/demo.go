package host

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
)

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

// seed writes the demo users and rooms into a database without users.
func (h *Host) seed(ctx context.Context) error {
	var n int
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return fmt.Errorf("host: count users: %w", err)
	}
	if n > 0 {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(DemoPassword), h.opt.bcryptCost)
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
			role := roleMember
			if i == 0 || r.kind == chatto.RoomDirect {
				role = roleAdmin
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO members (room_id, user_id, role) VALUES (?, ?, ?)`, r.id, m, role); err != nil {
				return fmt.Errorf("host: seed member %s of %s: %w", m, r.id, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("host: seed: %w", err)
	}
	// The password is the documented demo one; it is named, not logged.
	h.log.Info("seeded demo data (password: see README)", "users", len(demoUsers), "rooms", len(demoRooms))
	return nil
}
