package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/livekit"
)

// reconcileCalls is how many calls are active while one reconcile runs.
const reconcileCalls = 1000

// reconcileEnv starts the product with reconcileCalls active calls, one
// per room, each started by a join over the API, and creates each call's
// LiveKit room through RoomService, as the first device's connection
// would. Nobody connects: each call has one device holding a token,
// inside a join grace longer than the benchmark, so a reconcile finds
// nothing to change and measures the steady state: the listing, the
// per-room comparison and the locks.
func reconcileEnv(b *testing.B) *calltest.Env {
	env := calltest.Start(b, func(c *config.Config) {
		lk := &c.LiveKit
		lk.JoinBurst, lk.JoinInterval = 1<<30, time.Millisecond
		lk.MaxPendingDevices = 1 << 20
		lk.JoinGrace = time.Hour
		// LiveKit closes a room nobody joined after its empty timeout.
		lk.EmptyTimeout = time.Hour
	})
	h, ctx := env.Main.Host(), context.Background()
	token := crowdUser(b, env)
	client := httpClient()
	rs := lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
	var wg sync.WaitGroup
	errs := make(chan error, reconcileCalls)
	const workers = 8
	for w := range workers {
		wg.Go(func() {
			for i := w; i < reconcileCalls; i += workers {
				room := fmt.Sprintf("rec-%04d", i)
				if err := h.AddRoom(ctx, room, room, chatto.RoomGroup, []string{"crowd"}, nil); err != nil {
					errs <- err
					return
				}
				if err := post(client, env.BaseURL+"/api/rooms/"+room+"/call/join", token, []byte(`{"device_id":"d"}`)); err != nil {
					errs <- err
					return
				}
				name := livekit.RoomName(env.Service().ServerID(), room, env.Service().View(room).ID)
				if _, err := rs.CreateRoom(ctx, &lkproto.CreateRoomRequest{Name: name, EmptyTimeout: uint32(time.Hour / time.Second)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if n := env.Service().Health(ctx).ActiveCalls; n != reconcileCalls {
		b.Fatalf("%d active calls, want %d", n, reconcileCalls)
	}
	// LiveKit announces each new room with a webhook; let them all land
	// before the clock starts, so neither benchmark times the other's
	// leftovers.
	calltest.Eventually(b, time.Minute, "every room_started webhook delivered", func() bool {
		n := 0
		for _, d := range env.Relay.Forwarded() {
			if d.Event == webhook.EventRoomStarted {
				n++
			}
		}
		return n >= reconcileCalls
	})
	return env
}

// BenchmarkReconcile is one full reconcile (chatto.Service.Reconcile)
// with 1,000 active calls against the real livekit-server: one
// ListRooms, then each call under its room lock (ListParticipants,
// membership, the diff), then each listed room checked for staleness.
func BenchmarkReconcile(b *testing.B) {
	env := reconcileEnv(b)
	svc := env.Service()
	ctx := context.Background()
	for b.Loop() {
		if err := svc.Reconcile(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(reconcileCalls*b.N)/b.Elapsed().Seconds(), "calls/s")
	if n := svc.Health(ctx).ActiveCalls; n != reconcileCalls {
		b.Fatalf("reconcile changed the calls: %d active, want %d", n, reconcileCalls)
	}
}

// BenchmarkReconcileFloor is the RoomService listing a reconcile cannot
// avoid, with the LiveKit server SDK alone, on the same 1,000 rooms set
// up the same way: ListRooms, then ListParticipants for each of this
// server's rooms, one after another as the reconcile asks them.
func BenchmarkReconcileFloor(b *testing.B) {
	env := reconcileEnv(b)
	rs := lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
	prefix := env.Service().ServerID() + "."
	ctx := context.Background()
	for b.Loop() {
		rooms, err := rs.ListRooms(ctx, &lkproto.ListRoomsRequest{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, r := range rooms.GetRooms() {
			if !strings.HasPrefix(r.GetName(), prefix) {
				continue
			}
			if _, err := rs.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: r.GetName()}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != reconcileCalls {
			b.Fatalf("listed %d rooms, want %d", n, reconcileCalls)
		}
	}
	b.ReportMetric(float64(reconcileCalls*b.N)/b.Elapsed().Seconds(), "calls/s")
}
