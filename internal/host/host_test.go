package host

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chattocalls/chatto/chatto"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// checkDemoRooms checks the admins, members and users the plugin sees.
func checkDemoRooms(t *testing.T, h *Host) {
	t.Helper()
	ctx := context.Background()
	for room, want := range map[string][]string{"general": {"alice"}, "design": {"bob"}, "alice-bob": {"alice", "bob"}} {
		r, err := h.Room(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Admins, want) {
			t.Errorf("admins of %s = %v, want %v", room, r.Admins, want)
		}
		for _, a := range r.Admins {
			if !slices.Contains(r.Members, a) {
				t.Errorf("admin %s of %s is not a member", a, room)
			}
		}
	}
	if u, err := h.User(ctx, "bob"); err != nil || u != (chatto.User{ID: "bob", Name: "Bob"}) {
		t.Errorf("User(bob) = %+v, %v", u, err)
	}
	if _, err := h.User(ctx, "nobody"); chatto.ErrorCode(err) != chatto.ENOTFOUND {
		t.Errorf("User(nobody) error = %v, want not_found", err)
	}
	if rooms, _ := h.UserRooms(ctx, "dave"); !slices.Equal(rooms, []string{"design"}) {
		t.Errorf("dave's rooms = %v", rooms)
	}
}

func TestFreshDatabaseGetsDemoAdmins(t *testing.T) {
	h, err := Open(context.Background(), filepath.Join(t.TempDir(), "chatto.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	checkDemoRooms(t, h)
}

// testdata/v1.db was written by the release before migrations (demo
// data, a session of alice's in v1.token, one message in general).
func TestV1HostDatabaseUpgradesInPlace(t *testing.T) {
	raw, err := os.ReadFile("testdata/v1.db")
	if err != nil {
		t.Fatal(err)
	}
	token, err := os.ReadFile("testdata/v1.token")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chatto.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := Open(ctx, path, quiet())
	if err != nil {
		t.Fatalf("open v1 database: %v", err)
	}
	defer h.Close()
	checkDemoRooms(t, h)

	req := httptest.NewRequest("GET", "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+string(token))
	if c, err := h.Caller(req); err != nil || c.UserID != "alice" {
		t.Fatalf("v1 session after the upgrade: %+v, %v", c, err)
	}
	msgs, err := h.Messages(ctx, "general", 10)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "hello from v1" {
		t.Fatalf("v1 messages after the upgrade: %+v, %v", msgs, err)
	}
	var users int
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 4 {
		t.Fatalf("users after the upgrade = %d, %v (demo data must not be seeded twice)", users, err)
	}
}
