package chatto_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/utils/protojson"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/livekit"
)

// fuzzSign signs body as LiveKit does (see signedWebhook) with key and
// secret, and returns the Authorization value.
func fuzzSign(tb testing.TB, body []byte, key, secret string) string {
	tb.Helper()
	sum := sha256.Sum256(body)
	jwt, err := auth.NewAccessToken(key, secret).
		SetValidFor(5 * time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).
		ToJWT()
	if err != nil {
		tb.Fatal(err)
	}
	return jwt
}

func webhookRequest(body []byte, authorization string) *http.Request {
	req := httptest.NewRequest("POST", "/webhooks/livekit", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/webhook+json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return req
}

// validlySigned reports, independently of the handler, whether
// authorization is a token of our key pair carrying body's sha256.
func validlySigned(body []byte, authorization string) bool {
	v, err := auth.ParseAPIToken(authorization)
	if err != nil || v.APIKey() != fuzzKey {
		return false
	}
	_, claims, err := v.Verify(fuzzSecret)
	if err != nil {
		return false
	}
	sum := sha256.Sum256(body)
	return claims.Sha256 == base64.StdEncoding.EncodeToString(sum[:])
}

// snapshot is the state a rejected or ignored webhook must not change.
func (f *fuzzPlugin) snapshot(tb testing.TB) string {
	tb.Helper()
	raw, err := json.Marshal([]*chatto.CallView{f.plugin.Service().View("general"), f.plugin.Service().View("alice-bob")})
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

// FuzzWebhookUnsigned posts arbitrary bodies with arbitrary Authorization
// headers. Nothing but a valid signature of the body gets a 2xx; bad input
// is 400, 401 or 413 in the error shape, never a 5xx or a panic, and
// changes nothing.
func FuzzWebhookUnsigned(f *testing.F) {
	fx := newFuzzPlugin(f)
	room := livekit.RoomName(fx.plugin.Service().ServerID(), "general", fx.ensureCall(f, "general").ID)
	event := webhookBody(f, "EV_1", "participant_joined", room, "alice#a", "PA_1")
	other := webhookBody(f, "EV_2", "participant_left", room, "alice#a", "PA_1")
	f.Add(event, "")
	f.Add(event, "Bearer")
	f.Add(event, "Bearer "+fuzzSign(f, event, fuzzKey, fuzzSecret)[:40])
	f.Add(event, fuzzSign(f, other, fuzzKey, fuzzSecret))                             // signed for another body
	f.Add(event, fuzzSign(f, event, fuzzKey, "wrong-secret-0123456789abcdefghijklm")) // forged
	f.Add(event, fuzzSign(f, event, "otherkey", fuzzSecret))                          // unknown key
	f.Add(event, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJmdXp6a2V5In0.")
	f.Add(bytes.Repeat([]byte("x"), 1025), "")
	f.Add([]byte("not json"), "a.b.c")
	f.Add([]byte{}, "\x00\xff")
	f.Fuzz(func(t *testing.T, body []byte, authorization string) {
		defer watchdog(10 * time.Second)()
		before := fx.snapshot(t)
		w := fx.serve(webhookRequest(body, authorization))
		if w.Code < 300 {
			if !validlySigned(body, authorization) {
				t.Fatalf("status %d for a request that is not validly signed: %q", w.Code, w.Body)
			}
			return
		}
		if w.Code != 400 && w.Code != 401 && w.Code != 413 {
			t.Fatalf("status %d, want 400, 401 or 413: %q", w.Code, w.Body)
		}
		checkErrorShape(t, w)
		if after := fx.snapshot(t); after != before {
			t.Fatalf("a rejected webhook changed the calls:\n%s\n%s", before, after)
		}
	})
}

// FuzzWebhookSigned posts arbitrary bodies, correctly signed. "@ROOM@" in
// a body stands for the LiveKit room of general's current call, and a
// body of several parts separated by "\n--\n" is posted part by part, so
// the fuzzer can play sequences of events against a real call. Each part
// answers 200 when it decodes as a LiveKit event and 400 when it does
// not (413 when it is over the limit); never a 5xx (the store does not
// fail here) or a panic. An event for a room that is not a call of ours
// changes nothing. Every input starts from a fresh call.
func FuzzWebhookSigned(f *testing.F) {
	fx := newFuzzPlugin(f)
	seed := func(parts ...[]byte) []byte { return bytes.Join(parts, []byte("\n--\n")) }
	ev := func(id, event, identity, sid string) []byte {
		return webhookBody(f, id, event, "@ROOM@", identity, sid)
	}
	f.Add(ev("EV_1", "participant_joined", "alice#a", "PA_1"))
	f.Add(seed(ev("EV_1", "participant_joined", "alice#a", "PA_1"), ev("EV_1", "participant_joined", "alice#a", "PA_1")))
	f.Add(seed(ev("EV_1", "participant_joined", "alice#a", "PA_1"), ev("EV_2", "participant_joined", "bob#b", "PB_1"), ev("EV_3", "participant_left", "alice#a", "PA_1")))
	f.Add(seed(ev("EV_1", "participant_left", "alice#a", "PA_1"), ev("EV_2", "participant_joined", "alice#a", "PA_1")))
	f.Add(seed(ev("EV_1", "participant_joined", "alice#a", "PA_1"), ev("EV_2", "room_finished", "", "")))
	f.Add(seed(ev("EV_1", "participant_joined", "dave#d", "PD_1"), ev("EV_2", "participant_connection_aborted", "carol#c", "PC_1")))
	f.Add(seed(ev("", "participant_joined", "#", "PX"), ev("", "participant_left", "", "")))
	f.Add([]byte(`{"event":"participant_left","room":{"name":"@ROOM@"},"participant":{"identity":"alice#a","sid":"PA_1","disconnectReason":"DUPLICATE_IDENTITY","permission":{"canPublish":false}}}`))
	f.Add([]byte(`{"event":"participant_joined","room":{"name":"@ROOM@"},"participant":{"identity":"alice#a","sid":"PA_2","permission":{}}}`))
	f.Add(webhookBody(f, "EV_u", "participant_left", "chatto_general_0123456789abcdef01234567", "alice#a", "PA_1"))
	f.Add(webhookBody(f, "EV_u", "room_finished", "someone_elses_room", "", ""))
	f.Add([]byte(`{"event": 5}`))
	f.Add([]byte("this is not json"))
	f.Add([]byte(""))
	f.Add(bytes.Repeat([]byte(" "), 1025))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, input []byte) {
		defer watchdog(10 * time.Second)()
		call := fx.ensureCall(t, "general")
		room := livekit.RoomName(fx.plugin.Service().ServerID(), "general", call.ID)
		defer func() {
			// The next input starts from a fresh call.
			if fx.plugin.Service().View("general") != nil {
				if err := fx.plugin.Service().End(ctx, fuzzCaller("alice"), "general"); err != nil {
					t.Fatalf("end the call: %v", err)
				}
			}
		}()
		parts := bytes.Split(bytes.ReplaceAll(input, []byte("@ROOM@"), []byte(room)), []byte("\n--\n"))
		for _, body := range parts[:min(len(parts), 4)] {
			before := fx.snapshot(t)
			w := fx.serve(webhookRequest(body, fuzzSign(t, body, fuzzKey, fuzzSecret)))
			var event lkproto.WebhookEvent
			decodeErr := protojson.UnmarshalOptions{DiscardUnknown: true, AllowPartial: true}.Unmarshal(body, &event)
			switch {
			case int64(len(body)) > fx.cfg.WebhookMaxBytes:
				if w.Code != 413 {
					t.Fatalf("%d-byte body: status %d, want 413", len(body), w.Code)
				}
				checkErrorShape(t, w)
			case decodeErr != nil:
				if w.Code != 400 {
					t.Fatalf("body that is no event (%v): status %d %q, want 400", decodeErr, w.Code, w.Body)
				}
				checkErrorShape(t, w)
			case w.Code != 200:
				t.Fatalf("signed event: status %d %q, want 200", w.Code, w.Body)
			case event.GetRoom().GetName() != room:
				if after := fx.snapshot(t); after != before {
					t.Fatalf("an event for room %q changed the calls:\n%s\n%s", event.GetRoom().GetName(), before, after)
				}
			}
		}
	})
}
