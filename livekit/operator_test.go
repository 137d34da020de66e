package livekit

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/livekit/protocol/auth"
)

func TestOperatorTokensNameOneRoomAndNothingElsePasses(t *testing.T) {
	const key, secret, room = "opkey", "operator-secret-0123456789abcdefghijkl", "srv.general.c1"
	good, err := OperatorToken(key, secret, room, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := VerifyOperatorToken(good, key, secret); err != nil || got != room {
		t.Fatalf("a valid operator token: %q, %v", got, err)
	}
	if _, err := OperatorToken(key, secret, room, 0); err == nil {
		t.Error("an operator token without a lifetime was made (the SDK would give it hours)")
	}
	// Expired beyond the verifier's minute of leeway.
	past := time.Now().Add(-5 * time.Minute)
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": key, "sub": OperatorIdentity, "nbf": past.Add(-time.Minute).Unix(), "exp": past.Unix(),
		"video": map[string]any{"roomAdmin": true, "room": room},
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, _ := OperatorToken(key, secret+"x", room, time.Minute)
	otherKey, _ := OperatorToken("otherkey", secret, room, time.Minute)
	// A participant's join token for the same room is no order.
	join, _ := auth.NewAccessToken(key, secret).SetIdentity("alice#laptop").SetValidFor(time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).ToJWT()
	// Nor is an admin grant under another identity.
	admin, _ := auth.NewAccessToken(key, secret).SetIdentity("someone").SetValidFor(time.Minute).
		SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, Room: room}).ToJWT()
	for name, tok := range map[string]string{
		"expired": expired, "another secret": otherSecret, "another key": otherKey,
		"a join token": join, "another identity": admin, "empty": "", "garbage": "a.b.c",
	} {
		if got, err := VerifyOperatorToken(tok, key, secret); err == nil {
			t.Errorf("%s: accepted for room %q", name, got)
		}
	}
}
