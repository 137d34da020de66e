package eventlog

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func item(id, endpoint string) OutboxItem {
	return OutboxItem{ID: id, Endpoint: endpoint, Event: "call.started", Payload: []byte(`{"type":"call.started"}`)}
}

func claimIDs(t *testing.T, s *Store, now time.Time, endpoints ...string) []string {
	t.Helper()
	got, err := s.ClaimOutbox(context.Background(), now, time.Minute, endpoints, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID+"@"+e.Endpoint)
	}
	return ids
}

func TestAppendWritesTheOutboxWithTheFacts(t *testing.T) {
	s, _ := openStore(t)
	before := time.Now().Truncate(time.Millisecond)
	in := []OutboxItem{item("msg_1", "https://a.example"), item("msg_1", "https://b.example")}
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")}, Outbox: in})

	got, err := s.ClaimOutbox(context.Background(), time.Now(), time.Minute, []string{"https://a.example", "https://b.example"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(got))
	}
	for i, e := range got {
		if e.ID != "msg_1" || e.Event != "call.started" || string(e.Payload) != string(in[0].Payload) ||
			e.State != OutboxPending || e.Attempts != 0 || e.Created.Before(before) || !e.Delivered.IsZero() {
			t.Errorf("delivery %d = %+v", i, e)
		}
	}
}

// The outbox row and its fact are one transaction: when any part of a
// batch fails, neither the fact nor its delivery is written.
func TestFailedAppendWritesNeitherFactNorDelivery(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")}, Outbox: []OutboxItem{item("msg_1", "a")}})

	cases := []struct {
		name string
		b    Batch
	}{
		{"the fact breaks a CHECK", Batch{
			Events: []Event{started("r", "c2"), {RoomID: "r", CallID: "c2", Kind: "call_exploded", Source: SourceUser}},
			Outbox: []OutboxItem{item("msg_2", "a")},
		}},
		{"a delivery collides with an existing one", Batch{
			Events: []Event{started("r", "c2")},
			Outbox: []OutboxItem{item("msg_2", "a"), item("msg_1", "a")},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Append(ctx, tc.b); err == nil {
				t.Fatal("append succeeded, want an error")
			}
			if evs := mustCallEvents(t, s, "c2"); len(evs) != 0 {
				t.Fatalf("failed batch left %d events behind", len(evs))
			}
			if es, err := s.OutboxEntries(ctx, "msg_2"); err != nil || len(es) != 0 {
				t.Fatalf("failed batch left deliveries behind: %+v, %v", es, err)
			}
			if c, err := s.CountOutbox(ctx); err != nil || c != (OutboxCounts{Pending: 1}) {
				t.Fatalf("counts = %+v, %v; want the first batch's one pending delivery", c, err)
			}
		})
	}
}

func TestClaimLeasesDueDeliveriesOfConfiguredEndpointsOnly(t *testing.T) {
	s, _ := openStore(t)
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")},
		Outbox: []OutboxItem{item("m1", "a"), item("m1", "gone"), item("m2", "a")}})
	now := time.Now().Add(time.Second)

	if got := claimIDs(t, s, now, "a"); !slices.Equal(got, []string{"m1@a", "m2@a"}) {
		t.Fatalf("first claim = %v", got)
	}
	if got := claimIDs(t, s, now.Add(59*time.Second), "a"); len(got) != 0 {
		t.Fatalf("claimed again within the lease: %v", got)
	}
	if next, ok, err := s.NextOutboxAttempt(context.Background(), []string{"a"}); err != nil || !ok ||
		next.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("next attempt = %v %v %v, want the lease's end", next, ok, err)
	}
	if got := claimIDs(t, s, now.Add(time.Minute), "a"); len(got) != 2 {
		t.Fatalf("after the lease the claim = %v, want both again", got)
	}
	pending, err := s.PendingOutboxEndpoints(context.Background())
	if err != nil || pending["gone"] != 1 || pending["a"] != 2 {
		t.Fatalf("pending by endpoint = %v, %v", pending, err)
	}
	if _, ok, _ := s.NextOutboxAttempt(context.Background(), []string{"nobody"}); ok {
		t.Fatal("next attempt for an endpoint without deliveries")
	}
}

func TestAttemptResultsMoveDeliveriesThroughTheirStates(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")},
		Outbox: []OutboxItem{item("ok", "a"), item("dead", "a"), item("later", "a")}})
	now := time.Now().Add(time.Second)
	claimIDs(t, s, now, "a")

	if err := s.OutboxRetry(ctx, "ok", "a", "status 500", now); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxDelivered(ctx, "ok", "a", now); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxDead(ctx, "dead", "a", "status 410", now); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxRetry(ctx, "later", "a", "connection refused", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id       string
		state    OutboxState
		attempts int
		lastErr  string
	}{
		{"ok", OutboxDelivered, 2, ""},
		{"dead", OutboxDead, 1, "status 410"},
		{"later", OutboxPending, 1, "connection refused"},
	} {
		es, err := s.OutboxEntries(ctx, tc.id)
		if err != nil || len(es) != 1 {
			t.Fatalf("%s: %+v, %v", tc.id, es, err)
		}
		if e := es[0]; e.State != tc.state || e.Attempts != tc.attempts || e.LastError != tc.lastErr {
			t.Errorf("%s = state %s, %d attempts, last error %q; want %s, %d, %q",
				tc.id, e.State, e.Attempts, e.LastError, tc.state, tc.attempts, tc.lastErr)
		}
	}
	if c, err := s.CountOutbox(ctx); err != nil || c != (OutboxCounts{Pending: 1, Delivered: 1, Dead: 1}) {
		t.Fatalf("counts = %+v, %v", c, err)
	}
	dead, err := s.DeadOutbox(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "dead" || dead[0].LastError != "status 410" {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
	if next, ok, _ := s.NextOutboxAttempt(ctx, []string{"a"}); !ok || next.UnixMilli() != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("next attempt = %v %v, want the retry time", next, ok)
	}
	// A result for a delivery that is already settled changes nothing.
	for _, err := range []error{
		s.OutboxDelivered(ctx, "dead", "a", now),
		s.OutboxRetry(ctx, "ok", "a", "late", now),
		s.OutboxRelease(ctx, "nope", "a", now),
	} {
		if !errors.Is(err, ErrNotPending) {
			t.Errorf("result for a settled delivery: %v, want ErrNotPending", err)
		}
	}
}

func TestReleaseMakesAClaimedDeliveryDueWithoutCountingAnAttempt(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")}, Outbox: []OutboxItem{item("m", "a")}})
	now := time.Now().Add(time.Second)
	claimIDs(t, s, now, "a")
	if err := s.OutboxRelease(ctx, "m", "a", now); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimOutbox(ctx, now, time.Minute, []string{"a"}, 10)
	if err != nil || len(got) != 1 || got[0].Attempts != 0 {
		t.Fatalf("after release the claim = %+v, %v", got, err)
	}
}

func TestPendingDeliveriesSurviveReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, Batch{Events: []Event{started("r", "c1")}, Outbox: []OutboxItem{item("m", "a")}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := claimIDs(t, s, time.Now().Add(time.Second), "a"); !slices.Equal(got, []string{"m@a"}) {
		t.Fatalf("after reopening the claim = %v", got)
	}
}
