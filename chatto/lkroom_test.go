package chatto_test

import (
	"context"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// lkRoom is LiveKit's view of one room, or nil if it has none by that name.
func lkRoom(t *testing.T, env *calltest.Env, name string) *lkproto.Room {
	t.Helper()
	res, err := roomService(env).ListRooms(context.Background(), &lkproto.ListRoomsRequest{Names: []string{name}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.GetRooms() {
		if r.GetName() == name {
			return r
		}
	}
	return nil
}

// A join makes no LiveKit room: the first device to connect does, and
// LiveKit gives it the limits the token carries.
func TestTheFirstConnectionMakesTheRoomWithTheConfiguredLimits(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) {
		c.LiveKit.MaxParticipants, c.LiveKit.EmptyTimeout, c.LiveKit.DepartureTimeout = 5, 77*time.Second, 13*time.Second
	})
	alice := env.Login("alice")
	j := alice.Join("general", "a")
	if r := lkRoom(t, env, j.LiveKitRoom); r != nil {
		t.Fatalf("a join made the LiveKit room before anyone connected: %v", r)
	}
	calltest.Connect(t, j)
	r := lkRoom(t, env, j.LiveKitRoom)
	if r == nil || r.GetMaxParticipants() != 5 || r.GetEmptyTimeout() != 77 || r.GetDepartureTimeout() != 13 {
		t.Fatalf("LiveKit room after the first connection = %v, want max 5, empty 77 s, departure 13 s", r)
	}
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))
}

// A device that connects after its call ended (its token outlives the
// call) makes LiveKit create the room again; its participant_joined finds
// no such call running, and the room goes, with the device in it.
func TestARoomMadeAfterItsCallEndedIsDeleted(t *testing.T) {
	env := calltest.Start(t)
	bob := env.Login("bob")
	j := bob.Join("design", "b")
	bob.Leave("design", "b")
	calltest.Eventually(t, wait, "the call ended", func() bool { return bob.Call("design") == nil })

	started := func() int {
		n := 0
		for _, d := range env.Relay.Forwarded() {
			if d.Event == webhook.EventRoomStarted {
				n++
			}
		}
		return n
	}
	if n := started(); n != 0 {
		t.Fatalf("%d LiveKit rooms started though nobody connected", n)
	}
	// The connection may fail: the room can be deleted before it is
	// complete.
	if room, err := calltest.DialWithin(j, nil, 3*time.Second); err == nil {
		defer room.Disconnect()
	}
	calltest.Eventually(t, wait, "LiveKit made the room", func() bool { return started() > 0 })
	calltest.Eventually(t, wait, "the late room deleted", func() bool { return lkRoom(t, env, j.LiveKitRoom) == nil })
	if bob.Call("design") != nil {
		t.Fatal("the late connection brought the ended call back")
	}
}
