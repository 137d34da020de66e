package livekit

import (
	"errors"
	"fmt"
	"time"

	"github.com/livekit/protocol/auth"
)

// OperatorIdentity is the identity in an operator's token.
const OperatorIdentity = "chatto-operator"

// ErrOperatorToken means a request did not carry a valid operator token.
var ErrOperatorToken = errors.New("livekit: not a valid operator token")

// OperatorToken is an operator's order to act on one LiveKit room of this
// server (chatto calls end): a LiveKit access token with the roomAdmin
// grant for exactly that room, signed with the API key, valid for ttl.
// Whoever can sign it can administer that room in LiveKit already, so it
// gives no power the API secret does not.
func OperatorToken(apiKey, apiSecret, room string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		// The SDK would read it as "the default", hours.
		return "", fmt.Errorf("livekit: operator token: lifetime %s is not positive", ttl)
	}
	tok, err := auth.NewAccessToken(apiKey, apiSecret).
		SetIdentity(OperatorIdentity).
		SetValidFor(ttl).
		SetVideoGrant(&auth.VideoGrant{RoomAdmin: true, Room: room}).
		ToJWT()
	if err != nil {
		return "", fmt.Errorf("livekit: operator token: %w", err)
	}
	return tok, nil
}

// VerifyOperatorToken checks a token made by OperatorToken with this key
// pair (signature, expiry, identity, grant) and returns the LiveKit room
// it names. Errors say nothing about the token.
func VerifyOperatorToken(raw, apiKey, apiSecret string) (string, error) {
	v, err := auth.ParseAPIToken(raw)
	if err != nil || v.APIKey() != apiKey {
		return "", ErrOperatorToken
	}
	_, grants, err := v.Verify(apiSecret)
	if err != nil || grants.Identity != OperatorIdentity || grants.Video == nil || !grants.Video.RoomAdmin || grants.Video.Room == "" {
		return "", ErrOperatorToken
	}
	return grants.Video.Room, nil
}
