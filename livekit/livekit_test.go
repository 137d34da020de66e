package livekit

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
)

func TestRoomNameRoundTrips(t *testing.T) {
	for _, tc := range []struct{ room, call string }{
		{"general", "0a1b2c"},
		{"with_under_scores", "ffee"},
		{"with.dots", "ffee"},
		{"a", "b"},
	} {
		name := RoomName("srv1", tc.room, tc.call)
		room, call, ok := ParseRoomName("srv1", name)
		if !ok || room != tc.room || call != tc.call {
			t.Errorf("ParseRoomName(%q) = %q, %q, %v", name, room, call, ok)
		}
		if _, _, ok := ParseRoomName("srv2", name); ok {
			t.Errorf("server srv2 took %q for one of its rooms", name)
		}
	}
	for _, name := range []string{"", "general", "srv1.", "srv1.room.", "srv1..call", "srv1.nocall", "other.room.call", "chatto_room_call", "srv10.room.call"} {
		if _, _, ok := ParseRoomName("srv1", name); ok {
			t.Errorf("ParseRoomName(%q) accepted a name that is not ours", name)
		}
	}
	if _, _, ok := ParseRoomName("", ".room.call"); ok {
		t.Error("an empty server id matched")
	}
}

func TestTokenGrantsOnlyTheCallRoom(t *testing.T) {
	c := New(Options{APIKey: "k", APISecret: "s-0123456789abcdef0123456789abcdef", TokenTTL: 10 * time.Minute})
	tok, exp, err := c.Token(TokenRequest{Room: "chatto_r_c", Identity: "u#d", Name: "U", Metadata: `{"user_id":"u"}`})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("expiry in %s, want ~10m", d)
	}
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := v.Verify("s-0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	g := claims.Video
	if !g.RoomJoin || g.Room != "chatto_r_c" || g.RoomCreate || g.RoomAdmin || g.RoomList || claims.Identity != "u#d" {
		t.Fatalf("grant = %+v identity %q", g, claims.Identity)
	}
	if g.CanUpdateOwnMetadata == nil || *g.CanUpdateOwnMetadata {
		t.Fatal("participants may rename themselves")
	}
}

func TestTokenCarriesTheRoomLimits(t *testing.T) {
	secret := "s-0123456789abcdef0123456789abcdef"
	c := New(Options{APIKey: "k", APISecret: secret, TokenTTL: time.Minute,
		MaxParticipants: 7, EmptyTimeout: 90 * time.Second, DepartureTimeout: 15 * time.Second})
	tok, _, err := c.Token(TokenRequest{Room: "srv.r.c", Identity: "u#d", Name: "U"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := v.Verify(secret)
	if err != nil {
		t.Fatal(err)
	}
	rc := claims.GetRoomConfiguration()
	if rc == nil || rc.MaxParticipants != 7 || rc.EmptyTimeout != 90 || rc.DepartureTimeout != 15 {
		t.Fatalf("room configuration in the token = %v, want max 7, empty 90 s, departure 15 s", rc)
	}
}

func TestReachableSharesOnePingAndTrustsOnlyAFreshSuccess(t *testing.T) {
	var r reachability
	var pings atomic.Int32
	release := make(chan struct{})
	var fail atomic.Bool
	ping := func(context.Context) error {
		pings.Add(1)
		<-release
		if fail.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	ctx := context.Background()
	const fresh = time.Hour

	// Callers arriving while a ping is out share it.
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- r.check(ctx, fresh, ping) }()
	}
	waitFor(t, func() bool { return pings.Load() == 1 })
	close(release)
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := pings.Load(); n != 1 {
		t.Fatalf("8 concurrent callers sent %d pings, want 1", n)
	}
	// A fresh success answers without asking.
	if err := r.check(ctx, fresh, ping); err != nil || pings.Load() != 1 {
		t.Fatalf("fresh success: err %v, %d pings", err, pings.Load())
	}
	// Once stale, LiveKit is asked again; a failure is reported and never
	// reused, so the next caller asks again too.
	r.mu.Lock()
	r.okAt = time.Now().Add(-2 * fresh)
	r.mu.Unlock()
	fail.Store(true)
	for want := int32(2); want <= 3; want++ {
		if err := r.check(ctx, fresh, ping); err == nil || pings.Load() != want {
			t.Fatalf("stale: err %v after %d pings, want an error after %d", err, pings.Load(), want)
		}
	}
	// A caller whose context ends stops waiting; the ping goes on for the
	// others.
	block := make(chan struct{})
	slow := func(context.Context) error { <-block; return nil }
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.check(cctx, fresh, slow); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	close(block)
	waitFor(t, func() bool { return r.check(ctx, fresh, ping) == nil })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
