package chatto_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// signedWebhook builds a request exactly as LiveKit signs it: a JWT issued
// by the API key, carrying the body's sha256, in Authorization.
func signedWebhook(t testing.TB, url string, body []byte, secret string) *http.Request {
	t.Helper()
	sum := sha256.Sum256(body)
	jwt, err := auth.NewAccessToken(calltest.APIKey, secret).
		SetValidFor(5 * time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).
		ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/webhook+json")
	req.Header.Set("Authorization", jwt)
	return req
}

func webhookBody(t testing.TB, id, event, room, identity, sid string) []byte {
	t.Helper()
	ev := &lkproto.WebhookEvent{Id: id, Event: event, Room: &lkproto.Room{Name: room}, CreatedAt: time.Now().Unix()}
	if identity != "" {
		ev.Participant = &lkproto.ParticipantInfo{Identity: identity, Sid: sid, Name: identity}
	}
	raw, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type poster struct {
	t   *testing.T
	url string
}

func (p poster) send(req *http.Request) (int, string) {
	p.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// post sends a correctly signed event and expects 200.
func (p poster) post(id, event, room, identity, sid string) {
	p.t.Helper()
	if st, body := p.send(signedWebhook(p.t, p.url, webhookBody(p.t, id, event, room, identity, sid), calltest.APISecret)); st != 200 {
		p.t.Fatalf("%s %s: status %d %s", event, id, st, body)
	}
}

func TestWebhookEdgeCases(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	p := poster{t: t, url: env.BaseURL + "/webhooks/livekit"}
	j := alice.Join("general", "a")
	room := j.LiveKitRoom
	events := func() int {
		t.Helper()
		evs, err := env.Main.Store().CallEvents(context.Background(), j.CallID)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	p.post("EV_j1", "participant_joined", room, "alice#a", "PA_1")
	if got := calltest.Identities(alice.Call("general")); !got["alice#a"] {
		t.Fatalf("after participant_joined: %v", got)
	}

	t.Run("duplicate delivery is a no-op", func(t *testing.T) {
		before := events()
		p.post("EV_j1", "participant_joined", room, "alice#a", "PA_1")
		p.post("EV_j1", "participant_joined", room, "alice#a", "PA_1")
		if after := events(); after != before {
			t.Fatalf("duplicate appended %d events", after-before)
		}
	})

	t.Run("old session's leave after rejoin keeps the new session", func(t *testing.T) {
		p.post("EV_j2", "participant_joined", room, "alice#a", "PA_2")
		p.post("EV_l1", "participant_left", room, "alice#a", "PA_1")
		if got := calltest.Identities(alice.Call("general")); !got["alice#a"] || len(got) != 1 {
			t.Fatalf("after stale leave: %v", got)
		}
	})

	t.Run("late join of an ended session does not resurrect it", func(t *testing.T) {
		bob.Join("general", "b")
		p.post("EV_bj", "participant_joined", room, "bob#b", "PB_1")
		p.post("EV_bl", "participant_left", room, "bob#b", "PB_1")
		p.post("EV_bj_late", "participant_joined", room, "bob#b", "PB_1")
		if got := calltest.Identities(alice.Call("general")); got["bob#b"] || len(got) != 1 {
			t.Fatalf("bob resurrected: %v", got)
		}
	})

	t.Run("leave arriving before its join converges", func(t *testing.T) {
		bob.Join("general", "b2")
		p.post("EV_b2l", "participant_left", room, "bob#b2", "PB_2")
		p.post("EV_b2j", "participant_joined", room, "bob#b2", "PB_2")
		got := calltest.Identities(alice.Call("general"))
		if got["bob#b2"] {
			t.Fatalf("session that already left is shown connected: %v", got)
		}
		bob.Leave("general", "b2")
	})

	t.Run("rejected requests change nothing", func(t *testing.T) {
		valid := webhookBody(t, "EV_x", "participant_left", room, "alice#a", "PA_2")
		forged := signedWebhook(t, p.url, valid, "not-the-secret-0123456789abcdefghijkl")
		noAuth := signedWebhook(t, p.url, valid, calltest.APISecret)
		noAuth.Header.Del("Authorization")
		tampered := signedWebhook(t, p.url, valid, calltest.APISecret)
		tampered.Body = io.NopCloser(bytes.NewReader(webhookBody(t, "EV_x", "participant_left", room, "alice#a", "PA_9")))
		big := signedWebhook(t, p.url, bytes.Repeat([]byte(" "), 1<<20+1), calltest.APISecret)
		garbage := signedWebhook(t, p.url, []byte("this is not json"), calltest.APISecret)
		before := events()
		for _, tc := range []struct {
			name   string
			req    *http.Request
			status int
			code   string
		}{
			{"forged signature", forged, 401, chatto.EBADSIGNATURE},
			{"missing signature", noAuth, 401, chatto.EBADSIGNATURE},
			{"body changed after signing", tampered, 401, chatto.EBADSIGNATURE},
			{"oversized body", big, 413, chatto.ETOOLARGE},
			{"malformed body", garbage, 400, chatto.EINVALID},
		} {
			st, body := p.send(tc.req)
			if st != tc.status || !bytes.Contains([]byte(body), []byte(`"code":"`+tc.code+`"`)) {
				t.Errorf("%s: %d %s, want %d %s", tc.name, st, body, tc.status, tc.code)
			}
		}
		if after := events(); after != before {
			t.Fatalf("rejected webhooks appended %d events", after-before)
		}
		if got := calltest.Identities(alice.Call("general")); !got["alice#a"] {
			t.Fatalf("rejected webhooks changed the call: %v", got)
		}
	})

	t.Run("unknown rooms are acknowledged and ignored", func(t *testing.T) {
		before := events()
		p.post("EV_u1", "participant_left", "someone_elses_room", "alice#a", "PA_2")
		p.post("EV_u2", "participant_left", "chatto_general_0123456789abcdef01234567", "alice#a", "PA_2")
		p.post("EV_u3", "room_finished", "chatto_nosuchroom_0123456789abcdef01234567", "", "")
		if after := events(); after != before {
			t.Fatalf("unknown rooms appended %d events", after-before)
		}
	})

	t.Run("room_finished removes connected devices and keeps pending ones", func(t *testing.T) {
		bob.Join("general", "b3") // pending
		p.post("EV_rf", "room_finished", room, "", "")
		got := calltest.Identities(alice.Call("general"))
		if got["alice#a"] || len(got) != 1 || got["bob#b3"] {
			t.Fatalf("after room_finished: %v", got)
		}
		bob.Leave("general", "b3")
		if alice.Call("general") != nil {
			t.Fatal("call did not end when the last device left")
		}
	})

	t.Run("internal failure answers 5xx so LiveKit retries", func(t *testing.T) {
		j2 := alice.Join("general", "a")
		if err := env.Main.Store().Close(); err != nil {
			t.Fatal(err)
		}
		st, body := p.send(signedWebhook(t, p.url, webhookBody(t, "EV_f", "participant_joined", j2.LiveKitRoom, "alice#a", "PA_5"), calltest.APISecret))
		if st != 500 || !bytes.Contains([]byte(body), []byte(chatto.EINTERNAL)) {
			t.Fatalf("with the database gone: %d %s, want 500 internal", st, body)
		}
		if bytes.Contains([]byte(body), []byte("sql")) {
			t.Fatalf("internal detail leaked: %s", body)
		}
	})
}

// With webhook_api_key/secret set, LiveKit's webhooks are verified with
// that pair, not with the API key the server uses for RoomService.
func TestWebhooksVerifyWithTheSeparateWebhookKey(t *testing.T) {
	const hookSecret = "a-separate-webhook-secret-0123456789abcdef"
	env := calltest.Start(t, func(c *config.Config) {
		c.LiveKit.WebhookAPIKey, c.LiveKit.WebhookAPISecret = "hookkey", hookSecret
	})
	url := env.BaseURL + "/webhooks/livekit"
	body := webhookBody(t, "EV_hook", "room_started", "elsewhere", "", "")
	sign := func(key, secret string) *http.Request {
		req := signedWebhook(t, url, body, secret)
		sum := sha256.Sum256(body)
		jwt, err := auth.NewAccessToken(key, secret).SetValidFor(time.Minute).
			SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", jwt)
		return req
	}
	p := poster{t: t, url: url}
	if st, raw := p.send(sign(calltest.APIKey, calltest.APISecret)); st != 401 {
		t.Fatalf("webhook signed with the API key = %d %s, want 401", st, raw)
	}
	if st, raw := p.send(sign("hookkey", hookSecret)); st != 200 {
		t.Fatalf("webhook signed with the webhook key = %d %s, want 200", st, raw)
	}
}
