package chatto_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
)

// A webhook that arrives while the database cannot be written (another
// process holds its write lock past busy_timeout) is answered 5xx, so
// LiveKit sends it again; nothing of it is half applied, and the retry
// lands once the database is writable again.
func TestWebhookDuringALockedDatabaseIsRetriedNotLost(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ja := alice.Join("general", "a")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))
	jb := bob.Join("general", "b") // pending until LiveKit's webhook

	locker, err := sql.Open("sqlite", eventlog.DSN(env.Config.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	before := len(callLog(t, env, ja.CallID))
	calltest.Connect(t, jb)
	calltest.Eventually(t, wait+10*time.Second, "the server answered LiveKit's join webhook with a 5xx", func() bool {
		for _, d := range env.Relay.Forwarded() {
			if d.Event == "participant_joined" && d.Status >= 500 {
				return true
			}
		}
		return false
	})
	// Reads still work while the write lock is held (WAL).
	if after := callLog(t, env, ja.CallID); len(after) != before {
		t.Fatalf("a webhook refused with 5xx left %d facts behind", len(after)-before)
	}
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	calltest.Eventually(t, wait+10*time.Second, "LiveKit's retry confirmed bob", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
}
