package chatto_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
)

const wait = 20 * time.Second

func connected(c *calltest.Client, room string, want map[string]bool) func() bool {
	return func() bool {
		got := calltest.Identities(c.Call(room))
		if len(got) != len(want) {
			return false
		}
		for id, conn := range want {
			if g, ok := got[id]; !ok || g != conn {
				return false
			}
		}
		return true
	}
}

func messages(t *testing.T, c *calltest.Client, room string) []host.Message {
	t.Helper()
	var msgs []host.Message
	if st := c.Do("GET", "/api/rooms/"+room+"/messages", nil, &msgs); st != 200 {
		t.Fatalf("messages: status %d", st)
	}
	return msgs
}

func notices(msgs []host.Message) []chatto.Notice {
	var out []chatto.Notice
	for _, m := range msgs {
		if m.Notice != nil {
			out = append(out, *m.Notice)
		}
	}
	return out
}

func sameNotice(a, b chatto.Notice) bool {
	at := a.At.Equal(b.At)
	a.At, b.At = time.Time{}, time.Time{}
	return at && reflect.DeepEqual(a, b)
}

func noticeKinds(msgs []host.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Notice != nil {
			out = append(out, m.Notice.Kind)
		}
	}
	return out
}

func TestCallLifecycleEndToEnd(t *testing.T) {
	env := calltest.Start(t)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")

	if v := alice.Call("general"); v != nil {
		t.Fatalf("room has a call before anyone joined: %+v", v)
	}
	ja := alice.Join("general", "laptop")
	key, err := base64.StdEncoding.DecodeString(ja.E2EEKey)
	if err != nil || len(key) != chatto.KeySize {
		t.Fatalf("e2ee key: %d bytes, err %v", len(key), err)
	}
	if ja.Identity != "alice#laptop" || ja.LiveKitRoom != env.Service().ServerID()+".general."+ja.CallID ||
		!strings.HasPrefix(env.Service().ServerID(), "chatto-") {
		t.Fatalf("identity %q, livekit room %q", ja.Identity, ja.LiveKitRoom)
	}
	// Pending until LiveKit confirms the connection through a webhook.
	if got := calltest.Identities(ja.Call); !slices.Equal([]bool{got["alice#laptop"]}, []bool{false}) || len(got) != 1 {
		t.Fatalf("after join, participants = %v", got)
	}
	ra := calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected via webhook", connected(alice, "general", map[string]bool{"alice#laptop": true}))

	jb := bob.Join("general", "desk")
	if jb.CallID != ja.CallID || jb.E2EEKey != ja.E2EEKey {
		t.Fatalf("second joiner got call %s key-equal=%v, want call %s and the same key", jb.CallID, jb.E2EEKey == ja.E2EEKey, ja.CallID)
	}
	rb := calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "bob connected", connected(carol, "general", map[string]bool{"alice#laptop": true, "bob#desk": true}))

	// Room-list indicators: members see the call, others do not.
	var calls []*chatto.CallView
	carol.Do("GET", "/api/calls", nil, &calls)
	if len(calls) != 1 || calls[0].ID != ja.CallID {
		t.Fatalf("carol's active calls = %+v", calls)
	}
	dave.Do("GET", "/api/calls", nil, &calls)
	if len(calls) != 0 {
		t.Fatalf("dave (not a member) sees calls: %+v", calls)
	}

	// The key is on disk while the call runs, which also proves the
	// search below can find it.
	if !env.KeyOnDisk(key) {
		t.Fatal("active call's key not found in the database files; the shred check below would prove nothing")
	}

	// Bob hangs up: disconnects from LiveKit, then tells the server.
	rb.Disconnect()
	bob.Leave("general", "desk")
	calltest.Eventually(t, wait, "bob gone", connected(alice, "general", map[string]bool{"alice#laptop": true}))

	// Alice disconnects without calling leave; the webhook ends the call.
	ra.Disconnect()
	calltest.Eventually(t, wait, "call ended", func() bool { return alice.Call("general") == nil })

	if env.KeyOnDisk(key) {
		t.Fatal("ended call's key bytes are still in the database, WAL or shm file")
	}
	calltest.Eventually(t, wait, "start and end notices", func() bool {
		return slices.Equal(noticeKinds(messages(t, carol, "general")), []string{chatto.NoticeCallStarted, chatto.NoticeCallEnded})
	})
	msgs := messages(t, carol, "general")
	if len(msgs) != 2 {
		t.Fatalf("timeline has %d entries, want only the two notices (joins and leaves stay out): %+v", len(msgs), msgs)
	}

	// Webhooks came from the real LiveKit, through the relay, and the
	// server accepted every one.
	var joined int
	for _, d := range env.Relay.Forwarded() {
		if d.Status != 200 {
			t.Errorf("webhook %s answered %d", d.Event, d.Status)
		}
		if d.Event == "participant_joined" {
			joined++
		}
	}
	if joined < 2 {
		t.Fatalf("saw %d participant_joined webhooks, want 2: %v", joined, env.Relay.Forwarded())
	}
}

func TestSameUserOnTwoDevicesIsTwoParticipants(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	laptop := calltest.Connect(t, alice.Join("general", "laptop"))
	phone := calltest.Connect(t, alice.Join("general", "phone"))
	calltest.Eventually(t, wait, "both devices connected", connected(alice, "general",
		map[string]bool{"alice#laptop": true, "alice#phone": true}))
	// Neither device was kicked as a duplicate identity.
	time.Sleep(500 * time.Millisecond)
	if laptop.ConnectionState() != "connected" || phone.ConnectionState() != "connected" {
		t.Fatalf("connection states: laptop %s, phone %s", laptop.ConnectionState(), phone.ConnectionState())
	}
	if got := calltest.Identities(alice.Call("general")); len(got) != 2 {
		t.Fatalf("participants = %v", got)
	}
}

func TestConcurrentFirstJoinsCreateOneCall(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) {
		c.LiveKit.MaxParticipants, c.LiveKit.MaxPendingDevices = 100, 100
	})
	users := []*calltest.Client{env.Login("alice"), env.Login("bob"), env.Login("carol")}
	const n = 30
	ids := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ids[i] = users[i%3].Join("general", fmt.Sprintf("dev%d", i)).CallID
		}()
	}
	close(start)
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Fatalf("join %d got call %s, join 0 got %s: two calls in one room", i, id, ids[0])
		}
	}
	if got := calltest.Identities(users[0].Call("general")); len(got) != n {
		t.Fatalf("call has %d participants, want %d", len(got), n)
	}
	started := 0
	for _, m := range messages(t, users[0], "general") {
		if m.Notice != nil && m.Notice.Kind == chatto.NoticeCallStarted {
			started++
		}
	}
	if started != 1 {
		t.Fatalf("%d call-started notices, want 1", started)
	}
}

func TestAccessIsLimitedToMembers(t *testing.T) {
	env := calltest.Start(t)
	alice, dave := env.Login("alice"), env.Login("dave")
	alice.Join("general", "laptop")
	anon := &calltest.Client{}
	*anon = *alice
	anon.Token = ""

	cases := []struct {
		name   string
		c      *calltest.Client
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"non-member join", dave, "POST", "/api/rooms/general/call/join", map[string]string{"device_id": "x"}, 403, chatto.EFORBIDDEN},
		{"non-member reads call", dave, "GET", "/api/rooms/general/call", nil, 403, chatto.EFORBIDDEN},
		{"non-member refreshes token", dave, "POST", "/api/rooms/general/call/token", map[string]string{"device_id": "x"}, 403, chatto.EFORBIDDEN},
		{"unauthenticated join", anon, "POST", "/api/rooms/general/call/join", nil, 401, chatto.EUNAUTHORIZED},
		{"unauthenticated list", anon, "GET", "/api/calls", nil, 401, chatto.EUNAUTHORIZED},
		{"bad device id", alice, "POST", "/api/rooms/general/call/join", map[string]string{"device_id": "a#b"}, 400, chatto.EINVALID},
		{"malformed body", alice, "POST", "/api/rooms/general/call/join", []byte("{"), 400, chatto.EINVALID},
		{"unknown endpoint", alice, "GET", "/api/nope", nil, 404, chatto.ENOTFOUND},
		{"refresh when not in call", alice, "POST", "/api/rooms/general/call/token", map[string]string{"device_id": "phone"}, 404, chatto.ENOTINCALL},
		// The embedded host's own routes answer in the same shape.
		{"wrong password", anon, "POST", "/api/login", map[string]string{"user": "alice", "password": "nope"}, 401, chatto.EUNAUTHORIZED},
		{"unauthenticated rooms", anon, "GET", "/api/rooms", nil, 401, chatto.EUNAUTHORIZED},
		{"non-member reads timeline", dave, "GET", "/api/rooms/general/messages", nil, 403, chatto.EFORBIDDEN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e calltest.APIError
			st, raw := tc.c.Raw(tc.method, tc.path, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, raw)
			}
			if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("error body %s, want code %s with a message", raw, tc.code)
			}
		})
	}
	if got := calltest.Identities(alice.Call("general")); len(got) != 1 {
		t.Fatalf("refused requests changed the call: %v", got)
	}
}

func TestTokenRefreshKeepsIdentityAndCall(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	j := alice.Join("general", "laptop")
	var r chatto.JoinResult
	if st := alice.Do("POST", "/api/rooms/general/call/token", map[string]string{"device_id": "laptop"}, &r); st != 200 {
		t.Fatalf("refresh status %d", st)
	}
	if r.CallID != j.CallID || r.Identity != j.Identity || r.Token == "" || r.E2EEKey != j.E2EEKey {
		t.Fatalf("refresh = %+v", r)
	}
	calltest.Connect(t, &r) // the refreshed token really opens the room
	calltest.Eventually(t, wait, "connected with refreshed token", connected(alice, "general", map[string]bool{"alice#laptop": true}))
}

func TestRestartRecoversParticipantsFromLiveKit(t *testing.T) {
	env := calltest.Start(t)
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")
	calltest.Connect(t, alice.Join("general", "a"))
	rb := calltest.Connect(t, bob.Join("general", "b"))
	jc := carol.Join("general", "c") // token handed out, not yet connected
	calltest.Eventually(t, wait, "alice and bob connected", connected(alice, "general",
		map[string]bool{"alice#a": true, "bob#b": true, "carol#c": false}))

	// While the server is down no webhook gets through.
	env.StopServer()
	env.Relay.Drop(func(string) bool { return true })
	rb.Disconnect()
	calltest.Connect(t, jc)
	time.Sleep(time.Second) // let LiveKit send (and lose) its webhooks
	env.Relay.Drop(nil)
	env.StartServer()

	calltest.Eventually(t, wait, "startup reconcile: alice and carol in, bob out", connected(alice, "general",
		map[string]bool{"alice#a": true, "carol#c": true}))
}

func TestRestartEndsCallThatEmptiedWhileDown(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	j := alice.Join("general", "a")
	key, _ := base64.StdEncoding.DecodeString(j.E2EEKey)
	ra := calltest.Connect(t, j)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))

	env.StopServer()
	env.Relay.Drop(func(string) bool { return true })
	ra.Disconnect()
	time.Sleep(time.Second)
	env.Relay.Drop(nil)
	env.StartServer()

	calltest.Eventually(t, wait, "call ended after restart", func() bool { return alice.Call("general") == nil })
	if env.KeyOnDisk(key) {
		t.Fatal("key of a call ended by reconcile is still on disk")
	}
	calltest.Eventually(t, wait, "end notice", func() bool {
		return slices.Contains(noticeKinds(messages(t, alice, "general")), chatto.NoticeCallEnded)
	})
}

// A crash after a call's events are committed but before its notices
// reach the timeline loses no notice: the next start posts the notices of
// the log's recent calls again, and the host keeps each one once.
func TestNoticesLostInACrashAreRedeliveredAtStartup(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ra := calltest.Connect(t, alice.Join("general", "a"))
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))
	ra.Disconnect()
	calltest.Eventually(t, wait, "first call ended", func() bool { return alice.Call("general") == nil })
	calltest.Connect(t, bob.Join("general", "b"))
	calltest.Eventually(t, wait, "bob connected", connected(alice, "general", map[string]bool{"bob#b": true}))
	want := []string{chatto.NoticeCallStarted, chatto.NoticeCallEnded, chatto.NoticeCallStarted}
	calltest.Eventually(t, wait, "three notices", func() bool {
		return slices.Equal(noticeKinds(messages(t, alice, "general")), want)
	})
	original := notices(messages(t, alice, "general"))

	restart := func() {
		env.StopServer()
		env.StartServer()
		calltest.Eventually(t, wait, "startup reconcile", func() bool {
			return env.Service().Health(context.Background()).LastReconcile != nil
		})
	}
	env.StopServer()
	db, err := sql.Open("sqlite", eventlog.DSN(env.Config.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`DELETE FROM messages WHERE kind = 'notice'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Fatalf("deleted %d notices, want 3", n)
	}
	db.Close()
	env.StartServer()
	calltest.Eventually(t, wait, "notices back after restart", func() bool {
		return slices.Equal(noticeKinds(messages(t, alice, "general")), want)
	})
	if got := notices(messages(t, alice, "general")); !slices.EqualFunc(got, original, sameNotice) {
		t.Fatalf("redelivered notices differ from the originals:\n got %+v\nwant %+v", got, original)
	}

	// Notices that did arrive are not posted twice.
	restart()
	if got := noticeKinds(messages(t, alice, "general")); !slices.Equal(got, want) {
		t.Fatalf("after a second restart the timeline's notices are %v, want %v", got, want)
	}
}

func TestLostWebhookIsRepairedByPeriodicReconcile(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.ReconcileInterval = 2 * time.Second })
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	jb := bob.Join("general", "b")
	rb := calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "both connected", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))

	env.Relay.Drop(func(ev string) bool { return ev == "participant_left" })
	rb.Disconnect()
	calltest.Eventually(t, wait, "participant_left dropped by the relay", func() bool {
		return slices.Contains(env.Relay.Dropped(), "participant_left")
	})
	calltest.Eventually(t, wait, "reconcile removed bob", connected(alice, "general", map[string]bool{"alice#a": true}))

	evs, err := env.Main.Store().CallEvents(context.Background(), jb.CallID)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range evs {
		if e.Kind == eventlog.ParticipantLeft && e.Identity == "bob#b" {
			found = e.Source == eventlog.SourceReconcile
		}
	}
	if !found {
		t.Fatalf("bob's leave was not recorded by reconcile: %+v", evs)
	}
}

func TestJoinGraceDropsClientThatNeverConnects(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.JoinGrace = 2 * time.Second })
	alice := env.Login("alice")
	j := alice.Join("general", "ghost")
	calltest.Eventually(t, wait, "ghost call ended", func() bool { return alice.Call("general") == nil })
	evs, err := env.Main.Store().CallEvents(context.Background(), j.CallID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := make([]string, len(evs))
	for i, e := range evs {
		kinds[i] = string(e.Kind) + "/" + string(e.Source)
	}
	want := []string{"call_started/user", "participant_joined/user", "participant_left/timer", "call_ended/reconcile"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events = %v, want %v", kinds, want)
	}
}

func TestJoinGraceKeepsClientWhoseJoinWebhookWasLost(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.JoinGrace = 2 * time.Second })
	alice := env.Login("alice")
	env.Relay.Drop(func(ev string) bool { return ev == "participant_joined" })
	calltest.Connect(t, alice.Join("general", "a"))
	// The grace check asks LiveKit instead of trusting the silence.
	calltest.Eventually(t, wait, "confirmed by the grace check", connected(alice, "general", map[string]bool{"alice#a": true}))
}

func TestDisabledCallsAnswerNull(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.Enabled = false })
	alice := env.Login("alice")
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/calls"}, {"GET", "/api/rooms/general/call"},
		{"POST", "/api/rooms/general/call/join"}, {"POST", "/api/rooms/general/call/leave"},
		{"POST", "/api/rooms/general/call/token"},
	} {
		st, raw := alice.Raw(r.method, r.path, nil)
		if st != 200 || string(raw) != "null\n" {
			t.Errorf("%s %s = %d %q, want 200 null", r.method, r.path, st, raw)
		}
	}
	var cc chatto.ClientConfig
	alice.Do("GET", "/api/calls/config", nil, &cc)
	if cc.Enabled {
		t.Fatal("client config says calls are enabled")
	}
}

func TestUnreachableLiveKitNeverEndsCalls(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.LiveKit.JoinGrace = time.Second })
	alice, bob := env.Login("alice"), env.Login("bob")
	calltest.Connect(t, alice.Join("general", "a"))
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))

	// LiveKit vanishes without a word (a crash or a network cut), so its
	// shutdown webhooks must not reach the server either.
	env.Relay.Drop(func(string) bool { return true })
	if err := env.LK.Stop(); err != nil {
		t.Fatal(err)
	}
	bob.Join("general", "b") // pending; its grace runs out while LiveKit is down
	if err := env.Service().Reconcile(context.Background()); err == nil {
		t.Fatal("reconcile against a stopped LiveKit reported success")
	}
	time.Sleep(3 * time.Second) // several grace checks fail meanwhile
	if got := calltest.Identities(alice.Call("general")); len(got) != 2 {
		t.Fatalf("participants changed while LiveKit was unreachable: %v", got)
	}
	// The process is up (a liveness probe must not restart it for
	// LiveKit's outage), but not ready: LiveKit does not answer and the
	// reconcile fails.
	st, raw := alice.Raw("GET", "/healthz", nil)
	if st != 200 || !bytes.Contains(raw, []byte("reconcile_error")) {
		t.Fatalf("healthz = %d %s, want 200 naming the reconcile error", st, raw)
	}
	var ready struct {
		OK     bool           `json:"ok"`
		Checks []chatto.Check `json:"checks"`
	}
	st, raw = alice.Raw("GET", "/readyz", nil)
	if json.Unmarshal(raw, &ready); st != 503 || ready.OK || len(ready.Checks) != 3 ||
		!ready.Checks[0].OK || ready.Checks[1].OK || ready.Checks[1].Name != chatto.CheckLiveKit || ready.Checks[1].Error == "" {
		t.Fatalf("readyz = %d %s, want 503 with the database ok and livekit failing", st, raw)
	}
	var e calltest.APIError
	st, raw = env.Login("carol").Raw("POST", "/api/rooms/design/call/join", map[string]string{"device_id": "c"})
	if json.Unmarshal(raw, &e); st != 503 || e.Error.Code != chatto.EUNAVAILABLE {
		t.Fatalf("join with LiveKit down = %d %s, want 503 %s", st, raw, chatto.EUNAVAILABLE)
	}
}

func TestEventStreamCarriesCallUpdatesAndNotices(t *testing.T) {
	env := calltest.Start(t)
	alice, carol, dave := env.Login("alice"), env.Login("carol"), env.Login("dave")
	carolEvents := calltest.Stream(t, env, carol)
	daveEvents := calltest.Stream(t, env, dave)

	alice.Join("general", "a")
	alice.Leave("general", "a")

	var got []string
	deadline := time.After(wait)
	for len(got) < 4 {
		select {
		case ev := <-carolEvents:
			got = append(got, ev.Type)
		case <-deadline:
			t.Fatalf("carol's stream got %v, want start, notice, end, notice", got)
		}
	}
	// The notice is posted before the call event of the same change.
	want := []string{"message.created", "call.started", "message.created", "call.ended"}
	if !slices.Equal(got, want) {
		t.Fatalf("carol's stream = %v, want %v", got, want)
	}
	select {
	case ev := <-daveEvents:
		t.Fatalf("dave, not in general, received %s", ev.Type)
	case <-time.After(300 * time.Millisecond):
	}
}

// Answers that carry a token or a call key must not be kept by any cache.
func TestAnswersWithKeysAreNotCached(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	for _, path := range []string{"/api/rooms/general/call/join", "/api/rooms/general/call/token"} {
		req, _ := http.NewRequest("POST", env.BaseURL+path, strings.NewReader(`{"device_id":"d"}`))
		req.Header.Set("Authorization", "Bearer "+alice.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var res chatto.JoinResult
		json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if resp.StatusCode != 200 || res.E2EEKey == "" {
			t.Fatalf("POST %s = %d", path, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("POST %s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

// Anonymous callers of /healthz learn up or down and nothing else.
func TestHealthzTellsAnonymousCallersOnlyUpOrDown(t *testing.T) {
	env := calltest.Start(t)
	alice := env.Login("alice")
	calltest.Connect(t, alice.Join("general", "a"))
	resp, err := http.Get(env.BaseURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var anon map[string]any
	json.NewDecoder(resp.Body).Decode(&anon)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(anon) != 1 || anon["ok"] != true {
		t.Fatalf("anonymous healthz = %d %v, want 200 {ok:true} only", resp.StatusCode, anon)
	}
	var full map[string]any
	if st := alice.Do("GET", "/healthz", nil, &full); st != 200 || full["calls"] == nil || full["webhooks"] == nil {
		t.Fatalf("signed-in healthz = %d %v", st, full)
	}
}

// LiveKit comes back from a crash without its rooms: every call whose
// room is gone ends exactly once, with its notice, and the next reconcile
// changes nothing.
func TestLiveKitRestartedWithoutItsRoomsEndsEachCallOnce(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ja := alice.Join("general", "a")
	jb := bob.Join("design", "b")
	calltest.Connect(t, ja)
	calltest.Connect(t, jb)
	calltest.Eventually(t, wait, "both connected", func() bool {
		return connected(alice, "general", map[string]bool{"alice#a": true})() &&
			connected(bob, "design", map[string]bool{"bob#b": true})()
	})
	env.Relay.Drop(func(string) bool { return true }) // a crash says nothing
	if err := env.LK.Stop(); err != nil {
		t.Fatal(err)
	}
	env.RestartLiveKit()
	env.Relay.Drop(nil)
	for range 2 {
		if err := env.Service().Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		who    *calltest.Client
		room   string
		callID string
	}{{alice, "general", ja.CallID}, {bob, "design", jb.CallID}} {
		if v := c.who.Call(c.room); v != nil {
			t.Fatalf("%s still has a call after LiveKit lost its room: %+v", c.room, v)
		}
		evs, err := env.Main.Store().CallEvents(context.Background(), c.callID)
		if err != nil {
			t.Fatal(err)
		}
		ended := 0
		for _, e := range evs {
			if e.Kind == eventlog.CallEnded {
				ended++
			}
		}
		if ended != 1 {
			t.Fatalf("call in %s has %d call_ended facts, want 1", c.room, ended)
		}
		var n int
		for _, m := range messages(t, c.who, c.room) {
			if m.Notice != nil && m.Notice.CallID == c.callID && m.Notice.Kind == chatto.NoticeCallEnded {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("call in %s has %d end notices, want 1", c.room, n)
		}
	}
}

// One user's event streams are capped; the next gets 429 with Retry-After
// instead of tying up the server.
func TestEventStreamsPerUserAreCapped(t *testing.T) {
	env := calltest.Start(t, func(c *config.Config) { c.Webserver.MaxStreamsPerUser = 2 })
	alice := env.Login("alice")
	calltest.Stream(t, env, alice)
	calltest.Stream(t, env, alice)
	req, _ := http.NewRequest("GET", env.BaseURL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+alice.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	calltest.Stream(t, env, env.Login("bob")) // another user's stream is not refused
}
