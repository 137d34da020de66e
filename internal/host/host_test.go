package host

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
)

// withDB runs fn on a plain connection to the SQLite file at path.
func withDB(t *testing.T, path string, fn func(*sql.DB) error) error {
	t.Helper()
	db, err := sql.Open("sqlite", eventlog.DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

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

func TestFreshDatabaseGetsDemoAdminsWhenAsked(t *testing.T) {
	h, err := Open(context.Background(), filepath.Join(t.TempDir(), "chatto.db"), quiet(), WithDemoData(), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	checkDemoRooms(t, h)
}

// serve opens the host the way "chatto serve" does: no demo data.
func TestFreshDatabaseHasNoUsersUnlessDemoIsAsked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chatto.db")
	h, err := Open(ctx, path, quiet(), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if n, err := h.UserCount(ctx); err != nil || n != 0 {
		t.Fatalf("users in a fresh database = %d, %v; want none", n, err)
	}
	if _, err := h.Login(ctx, "alice", DemoPassword, "127.0.0.1"); chatto.ErrorCode(err) != chatto.EUNAUTHORIZED {
		t.Fatalf("demo sign-in on a serve database: %v, want unauthorized", err)
	}
	if _, err := h.Room(ctx, "general"); chatto.ErrorCode(err) != chatto.ENOTFOUND {
		t.Fatalf("demo room on a serve database: %v", err)
	}
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
	// Read at a time the v1 session was still fresh: it was made when
	// testdata was written.
	var createdMS int64
	if err := withDB(t, path, func(db *sql.DB) error {
		return db.QueryRow(`SELECT created_ms FROM sessions`).Scan(&createdMS)
	}); err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(createdMS).Add(time.Minute)
	h, err := Open(ctx, path, quiet(), WithDemoData(), WithBcryptCost(bcrypt.MinCost), WithClock(func() time.Time { return at }))
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
