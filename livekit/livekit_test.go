package livekit

import (
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
