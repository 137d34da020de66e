package chatto_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
)

// The fuzz targets drive the plugin's real echo handler in-process, over a
// real SQLite log in a temp dir, so one input costs microseconds to a few
// milliseconds. Two stand-ins make that possible: fuzzHost (the chat host,
// which the plugin only reaches through chatto.Host) and fakeRoomService
// (LiveKit's RoomService, which a fuzz worker process cannot start a
// livekit-server for on every run). The integration tests cover both for
// real.

// fuzzSecret is the API secret the fixture's plugin verifies webhooks with.
const (
	fuzzKey    = "fuzzkey"
	fuzzSecret = "fuzz-secret-0123456789abcdefghijklmnop"
)

// fuzzPlugin is a plugin mounted on echo with calls enabled.
type fuzzPlugin struct {
	plugin *chatto.Plugin
	store  *eventlog.Store
	echo   *echo.Echo
	cfg    chatto.Config
}

// fakeLiveKitStore opens a fresh store in tb's temp dir and a config for
// the plugin against a fake RoomService (no real LiveKit).
func fakeLiveKitStore(tb testing.TB) (chatto.Config, *eventlog.Store) {
	tb.Helper()
	lk := httptest.NewServer(fakeRoomService{})
	tb.Cleanup(lk.Close)
	store, err := eventlog.Open(context.Background(), filepath.Join(tb.TempDir(), "chatto.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	cfg := chatto.NewConfig()
	cfg.Enabled, cfg.APIKey, cfg.APISecret = true, fuzzKey, fuzzSecret
	cfg.URL = "ws" + strings.TrimPrefix(lk.URL, "http")
	return cfg, store
}

// newFuzzPlugin builds the plugin over a fresh store in tb's temp dir.
func newFuzzPlugin(tb testing.TB) *fuzzPlugin {
	tb.Helper()
	ctx := context.Background()
	cfg, store := fakeLiveKitStore(tb)
	// The smallest limit Validate accepts, so inputs reach 413 cheaply.
	cfg.WebhookMaxBytes = 1024
	// Every input may start a call as alice; the join limit is tested on
	// its own, and here it would turn most inputs into 429s.
	cfg.JoinBurst, cfg.JoinInterval = 1<<30, time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := chatto.New(ctx, cfg, fuzzHost{}, store, log)
	if err != nil {
		tb.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if !c.Response().Committed {
			chatto.WriteError(c, log, err)
		}
	}
	p.Mount(e)
	return &fuzzPlugin{plugin: p, store: store, echo: e, cfg: cfg}
}

// serve runs one request through the handler.
func (f *fuzzPlugin) serve(req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.echo.ServeHTTP(w, req)
	return w
}

// ensureCall makes sure room has an active call (alice's device "a"
// joined it) and returns it.
func (f *fuzzPlugin) ensureCall(tb testing.TB, room string) *chatto.CallView {
	tb.Helper()
	svc := f.plugin.Service()
	if v := svc.View(room); v != nil {
		return v
	}
	if _, err := svc.Join(context.Background(), fuzzCaller("alice"), room, chatto.JoinRequest{DeviceID: "a"}); err != nil {
		tb.Fatalf("start a call in %s: %v", room, err)
	}
	return svc.View(room)
}

// checkErrorShape fails unless an error answer is the JSON error shape
// with the code its status stands for.
func checkErrorShape(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("status %d with a body that is not the error shape: %q", w.Code, w.Body)
	}
	return body.Error.Code
}

// fuzzHost is a chat host with the demo rooms: general (alice, bob,
// carol; alice administers it) and the direct room alice-bob. A request's
// caller is the user named by "Authorization: Bearer <user>".
type fuzzHost struct{}

var (
	fuzzUsers = map[string]string{"alice": "Alice", "bob": "Bob", "carol": "Carol", "dave": "Dave"}
	fuzzRooms = map[string]chatto.Room{
		"general":   {ID: "general", Kind: chatto.RoomGroup, Members: []string{"alice", "bob", "carol"}, Admins: []string{"alice"}},
		"alice-bob": {ID: "alice-bob", Kind: chatto.RoomDirect, Members: []string{"alice", "bob"}, Admins: []string{"alice", "bob"}},
	}
)

func fuzzCaller(user string) chatto.Caller {
	return chatto.Caller{UserID: user, Name: fuzzUsers[user], DeviceID: "dev-" + user}
}

func (fuzzHost) Caller(r *http.Request) (chatto.Caller, error) {
	user, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if _, known := fuzzUsers[user]; !ok || !known {
		return chatto.Caller{}, chatto.Errorf(chatto.EUNAUTHORIZED, "sign in first")
	}
	return fuzzCaller(user), nil
}

func (fuzzHost) IsMember(_ context.Context, roomID, userID string) (bool, error) {
	return slices.Contains(fuzzRooms[roomID].Members, userID), nil
}

func (fuzzHost) Room(_ context.Context, roomID string) (chatto.Room, error) {
	r, ok := fuzzRooms[roomID]
	if !ok {
		return chatto.Room{}, chatto.Errorf(chatto.ENOTFOUND, "no such room")
	}
	return r, nil
}

func (fuzzHost) User(_ context.Context, userID string) (chatto.User, error) {
	name, ok := fuzzUsers[userID]
	if !ok {
		return chatto.User{}, chatto.Errorf(chatto.ENOTFOUND, "no such user")
	}
	return chatto.User{ID: userID, Name: name}, nil
}

func (fuzzHost) UserRooms(_ context.Context, userID string) ([]string, error) {
	var out []string
	for id, r := range fuzzRooms {
		if slices.Contains(r.Members, userID) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (fuzzHost) PostNotice(context.Context, chatto.Notice) error { return nil }

func (fuzzHost) Publish(context.Context, []string, chatto.RealtimeEvent) error { return nil }

// fakeRoomService answers every RoomService request with an empty
// message: rooms are created and deleted, and LiveKit has nobody in them.
type fakeRoomService struct{}

func (fakeRoomService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/protobuf")
	w.WriteHeader(http.StatusOK)
}

// watchdog crashes the fuzz worker, printing every goroutine, if one
// input runs longer than d: a hang is then a reported failure with its
// input saved, not a fuzzing session that silently stops making progress.
func watchdog(d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		panic(fmt.Sprintf("fuzz input still running after %s:\n%s", d, buf[:runtime.Stack(buf, true)]))
	}).Stop
}
