package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
)

const (
	bootEvents      = 1_000_000
	bootActiveCalls = 10_000
)

var (
	bootOnce sync.Once
	bootDir  string
	bootErr  error
)

// bootLog writes, once per run, a log of bootEvents events in which
// bootActiveCalls calls are still active (three facts and a key each) and
// the rest belong to ended calls (five facts each), and returns its path.
func bootLog(b *testing.B) string {
	bootOnce.Do(func() {
		if bootDir, bootErr = os.MkdirTemp("", "chatto-boot-"); bootErr != nil {
			return
		}
		bootErr = writeBootLog(filepath.Join(bootDir, "boot.db"))
	})
	if bootErr != nil {
		b.Fatal(bootErr)
	}
	return filepath.Join(bootDir, "boot.db")
}

func writeBootLog(path string) error {
	ctx := context.Background()
	s, err := eventlog.Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	at := time.Now().Add(-24 * time.Hour)
	ev := func(room, call string, kind eventlog.Kind, identity, sid string) eventlog.Event {
		at = at.Add(time.Millisecond)
		return eventlog.Event{At: at, RoomID: room, CallID: call, Kind: kind, Identity: identity, UserID: "u", Name: "U",
			SID: sid, Source: eventlog.SourceUser, CallType: eventlog.TypeVideo, Reason: "left", Outcome: eventlog.OutcomeCompleted}
	}
	for i := range bootActiveCalls {
		room, call := fmt.Sprintf("active-%05d", i), fmt.Sprintf("call-a-%05d", i)
		key := make([]byte, chatto.KeySize)
		if _, err := s.Append(ctx, eventlog.Batch{Events: []eventlog.Event{
			ev(room, call, eventlog.CallStarted, "u#a", ""),
			ev(room, call, eventlog.ParticipantJoined, "u#a", "PA_a"),
			ev(room, call, eventlog.ParticipantJoined, "u#b", ""),
		}, PutKey: &eventlog.CallKey{CallID: call, Key: key}}); err != nil {
			return err
		}
	}
	var batch []eventlog.Event
	for i := 0; 3*bootActiveCalls+5*i < bootEvents; i++ {
		room, call := fmt.Sprintf("ended-%04d", i%1000), fmt.Sprintf("call-e-%07d", i)
		batch = append(batch,
			ev(room, call, eventlog.CallStarted, "u#a", ""),
			ev(room, call, eventlog.ParticipantJoined, "u#a", "PA_1"),
			ev(room, call, eventlog.ParticipantJoined, "u#b", "PA_2"),
			ev(room, call, eventlog.ParticipantLeft, "u#b", "PA_2"),
			ev(room, call, eventlog.CallEnded, "", ""))
		if len(batch) >= 10_000 {
			if _, err := s.Append(ctx, eventlog.Batch{Events: batch}); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if _, err := s.Append(ctx, eventlog.Batch{Events: batch}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkBoot rebuilds the active state from a log of 1,000,000 events
// with 10,000 active calls: open the store, replay the active calls'
// events into the projection, load their keys.
func BenchmarkBoot(b *testing.B) {
	path := bootLog(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ResetTimer()
	for b.Loop() {
		ctx := context.Background()
		s, err := eventlog.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		svc, err := chatto.NewService(ctx, chatto.Config{ServerID: "bench"}, nil, s, log)
		if err != nil {
			b.Fatal(err)
		}
		if n := svc.Health(ctx).ActiveCalls; n != bootActiveCalls {
			b.Fatalf("booted with %d active calls, want %d", n, bootActiveCalls)
		}
		s.Close()
	}
}

// BenchmarkBootFloor reads every row of the same log in order: the bare
// sequential scan a replay cannot beat by much.
func BenchmarkBootFloor(b *testing.B) {
	path := bootLog(b)
	b.ResetTimer()
	for b.Loop() {
		db, err := sql.Open("sqlite", eventlog.DSN(path))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := db.Query(`SELECT seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
			call_type, deadline_ms, outcome, detail, role, lk_joined_ms FROM events ORDER BY seq`)
		if err != nil {
			b.Fatal(err)
		}
		var e eventlog.Event
		var at, deadline, joined int64
		var kind, source string
		n := 0
		for rows.Next() {
			if err := rows.Scan(&e.Seq, &at, &e.RoomID, &e.CallID, &kind, &e.Identity, &e.UserID, &e.Name, &e.SID, &source,
				&e.LiveKitEventID, &e.Reason, &e.CallType, &deadline, &e.Outcome, &e.Detail, &e.Role, &joined); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil || n < bootEvents {
			b.Fatalf("scanned %d events (%v), want %d", n, err, bootEvents)
		}
		db.Close()
	}
}
