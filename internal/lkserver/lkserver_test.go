package lkserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/internal/lkserver"
)

const (
	testKey     = "testkey"
	testSecret  = "test-secret-that-is-at-least-32-characters-long"
	waitTimeout = 30 * time.Second
)

// startServer starts a real livekit-server and stops it when the test ends.
// It fails the test, never skips it, when the server cannot be built or run.
func startServer(t *testing.T, opt lkserver.Options) *lkserver.Server {
	t.Helper()
	opt.APIKey, opt.APISecret = testKey, testSecret
	opt.Stderr = os.Stderr
	// ctx is the server's lifetime, not just its startup: cancelling it kills
	// the server. Registered first, so it runs after Stop.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	start := time.Now()
	srv, err := lkserver.Start(ctx, opt)
	if err != nil {
		t.Fatalf("start livekit-server: %v", err)
	}
	t.Logf("livekit-server %s ready at %s in %s", lkserver.Version, srv.URL(), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop livekit-server: %v", err)
		}
	})
	return srv
}

// join connects an lksdk participant with a token minted by protocol/auth.
// ICE servers come only from the server's join response, which the loopback
// config limits to 127.0.0.1.
func join(t *testing.T, srv *lkserver.Server, room, identity string) *lksdk.Room {
	t.Helper()
	token, err := auth.NewAccessToken(testKey, testSecret).
		SetIdentity(identity).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).
		SetValidFor(time.Minute).
		ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	r, err := lksdk.ConnectToRoomWithToken(srv.URL(), token, lksdk.NewRoomCallback(),
		lksdk.WithConnectTimeout(waitTimeout),
		lksdk.WithDisableRegionDiscovery(),
		lksdk.WithAutoSubscribe(false),
	)
	if err != nil {
		t.Fatalf("connect %s to room %s: %v", identity, room, err)
	}
	t.Cleanup(r.Disconnect)
	return r
}

func TestParticipantJoinsRoomOverLoopback(t *testing.T) {
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, lkserver.Options{Port: port})
	if want := "ws://127.0.0.1:" + strconv.Itoa(port); srv.URL() != want {
		t.Fatalf("URL() = %q, want %q", srv.URL(), want)
	}

	join(t, srv, "lobby", "alice")

	// ACTIVE means ICE and DTLS completed, so media can flow over loopback.
	rooms := lksdk.NewRoomServiceClient(srv.HTTPURL(), testKey, testSecret)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var last []*livekit.ParticipantInfo
	for {
		res, err := rooms.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: "lobby"})
		if err == nil {
			last = res.Participants
			if len(last) == 1 && last[0].Identity == "alice" && last[0].State == livekit.ParticipantInfo_ACTIVE {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("alice not ACTIVE in room lobby within %s: last participants %v, last error %v", waitTimeout, last, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestWebhooksArriveSigned(t *testing.T) {
	events := make(chan *livekit.WebhookEvent, 64)
	provider := auth.NewSimpleKeyProvider(testKey, testSecret)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := webhook.ReceiveWebhookEvent(r, provider)
		if err != nil {
			t.Errorf("webhook failed verification: %v", err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		select {
		case events <- ev:
		default:
		}
	}))
	t.Cleanup(receiver.Close)

	srv := startServer(t, lkserver.Options{WebhookURLs: []string{receiver.URL + "/webhooks/livekit"}})
	join(t, srv, "standup", "bob")

	timeout := time.After(waitTimeout)
	for {
		select {
		case ev := <-events:
			t.Logf("webhook %s id=%s", ev.Event, ev.Id)
			if ev.Event == "participant_joined" &&
				ev.GetRoom().GetName() == "standup" && ev.GetParticipant().GetIdentity() == "bob" {
				return
			}
		case <-timeout:
			t.Fatalf("no signed participant_joined webhook for bob within %s", waitTimeout)
		}
	}
}

func TestStopIsIdempotent(t *testing.T) {
	srv := startServer(t, lkserver.Options{})
	if err := srv.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(srv.HTTPURL()); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers at %s after Stop", srv.HTTPURL())
	}
}

// LiveKit's first SIGTERM waits for participants; Stop's second SIGTERM
// makes it exit on its own, without the SIGKILL that Stop reports as an
// error.
func TestStopWithParticipantConnectedNeedsNoKill(t *testing.T) {
	srv := startServer(t, lkserver.Options{})
	join(t, srv, "lobby", "carol")
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestCrashStopsTheServerAtOnce(t *testing.T) {
	srv := startServer(t, lkserver.Options{})
	join(t, srv, "lobby", "carol")
	srv.Crash()
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(srv.HTTPURL()); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers at %s after Crash", srv.HTTPURL())
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop after Crash: %v", err)
	}
}

func TestStartRejectsShortSecret(t *testing.T) {
	_, err := lkserver.Start(context.Background(), lkserver.Options{APIKey: "k", APISecret: "short-secret"})
	if err == nil {
		t.Fatal("Start accepted a secret shorter than 32 characters")
	}
	if strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("error reveals the secret: %v", err)
	}
}
