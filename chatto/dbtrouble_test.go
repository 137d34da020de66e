package chatto_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/tmpfs"
	"github.com/chattocalls/chatto/livekit"
)

// A webhook that arrives while the database cannot be written (another
// process holds its write lock past busy_timeout) is answered 5xx, so
// LiveKit sends it again; nothing of it is half applied, and the retry
// lands once the database is writable again.
func TestWebhookDuringALockedDatabaseIsRetriedNotLost(t *testing.T) {
	env := calltest.Start(t)
	alice, bob := env.Login("alice"), env.Login("bob")
	ja := alice.Join("general", "a")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "general", map[string]bool{"alice#a": true}))
	jb := bob.Join("general", "b") // pending until LiveKit's webhook

	locker, err := sql.Open("sqlite", eventlog.DSN(env.Config.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	before := len(callLog(t, env, ja.CallID))
	calltest.Connect(t, jb)
	calltest.Eventually(t, wait+10*time.Second, "the server answered LiveKit's join webhook with a 5xx", func() bool {
		for _, d := range env.Relay.Forwarded() {
			if d.Event == "participant_joined" && d.Status >= 500 {
				return true
			}
		}
		return false
	})
	// Reads still work while the write lock is held (WAL).
	if after := callLog(t, env, ja.CallID); len(after) != before {
		t.Fatalf("a webhook refused with 5xx left %d facts behind", len(after)-before)
	}
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	calltest.Eventually(t, wait+10*time.Second, "LiveKit's retry confirmed bob", connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true}))
}

// diskFullSize is the tmpfs the disk-full tests keep the database on:
// room for the database and its WAL, quick to fill.
const diskFullSize = 8 << 20

// On a full disk every change to a call is refused whole: LiveKit's
// webhooks get a 5xx (so LiveKit retries), joins get 503 storage_full and
// no token, a leave that would end a call changes nothing, and nothing of
// any of them is in memory, in the log or in LiveKit. The server keeps
// running and says so once. When space returns, LiveKit's retries, the
// clients' retries, the timer loop and reconcile bring every call in line
// with LiveKit, and the database is intact.
func TestAFullDiskRefusesCallChangesWholeAndConvergesWhenSpaceReturns(t *testing.T) {
	dir, ok := tmpfs.Mount(t, diskFullSize)
	if !ok {
		return // it ran in a child process with a mount namespace of its own
	}
	env := calltest.Start(t, func(c *config.Config) {
		c.Database.Path = filepath.Join(dir, "chatto.db")
		c.LiveKit.ReconcileInterval = time.Second
		c.LiveKit.RingTimeout = 2 * time.Second
		c.LiveKit.JoinGrace = 2 * time.Second
	})
	db := openLog(t, env)
	alice, bob, carol, dave := env.Login("alice"), env.Login("bob"), env.Login("carol"), env.Login("dave")

	// Before: alice is connected to general's call and dave, alone, to
	// design's; bob's and carol's devices get tokens for general's, and
	// dave rings carol into design's. The join grace of the tokens and the
	// ring run out while the disk is full. The direct room has no call.
	calltest.Connect(t, alice.Join("general", "a"))
	jd := dave.Join("design", "d")
	calltest.Connect(t, jd)
	calltest.Eventually(t, wait, "alice and dave connected", func() bool {
		return connected(alice, "general", map[string]bool{"alice#a": true})() &&
			connected(dave, "design", map[string]bool{"dave#d": true})()
	})
	// LiveKit's delivery of carol's join gets lost (as when its retries
	// run out): only reconcile can bring her in.
	env.Relay.Hold(func(h calltest.Held) bool {
		return h.Event == webhook.EventParticipantJoined && h.Identity == "carol#c"
	})
	jb, jc := bob.Join("general", "b"), carol.Join("general", "c")
	if st, code := dave.Post("/api/rooms/design/call/invite", map[string]string{"user_id": "carol"}); st != 200 {
		t.Fatalf("dave rings carol into design: %d %s", st, code)
	}
	deadlinesPass := time.Now().Add(2 * time.Second)
	memoryMatchesLog(t, env, db)
	facts := countFacts(t, db)
	logged := len(env.Logs())

	filler := tmpfs.Fill(t, dir)
	full := time.Now()
	jbRoom := calltest.Connect(t, jb) // LiveKit's participant_joined for bob is refused
	calltest.Connect(t, jc)           // carol's is lost on the way
	refusedJoin := func(c *calltest.Client, room, device string) {
		t.Helper()
		a := c.Send("POST", "/api/rooms/"+room+"/call/join", map[string]string{"device_id": device})
		if a.Status != 503 || a.Error.Error.Code != chatto.ESTORAGEFULL || a.Error.Error.Message == "" || a.RetryAfter == "" {
			t.Fatalf("%s joins %s on a full disk = %d (Retry-After %q) %s; want 503 %s with a message and Retry-After",
				c.User, room, a.Status, a.RetryAfter, a.Body, chatto.ESTORAGEFULL)
		}
	}
	refusedJoin(alice, "general", "a2")  // into a running call
	refusedJoin(alice, "alice-bob", "a") // a new call, which would ring bob
	if rooms := liveKitRooms(t, env); rooms["alice-bob"] != 0 {
		t.Fatalf("a refused join left %d LiveKit rooms for alice-bob, a room with no call in the log", rooms["alice-bob"])
	}
	if st, code := dave.Post("/api/rooms/design/call/leave", map[string]string{"device_id": "d"}); st != 503 || code != chatto.ESTORAGEFULL {
		t.Fatalf("dave's leave, which would end design's call, on a full disk = %d %s; want 503 %s", st, code, chatto.ESTORAGEFULL)
	}
	// The host's own writes on the same disk: a message and a sign-in.
	if st, code := alice.Post("/api/rooms/general/messages", map[string]string{"text": "anyone there?"}); st != 503 || code != chatto.ESTORAGEFULL {
		t.Fatalf("a message on a full disk = %d %s; want 503 %s", st, code, chatto.ESTORAGEFULL)
	}
	anon := &calltest.Client{}
	*anon = *alice
	anon.Token = ""
	if st, code := anon.Post("/api/login", map[string]string{"user": "carol", "password": "demo"}); st != 503 || code != chatto.ESTORAGEFULL {
		t.Fatalf("a sign-in on a full disk = %d %s; want 503 %s", st, code, chatto.ESTORAGEFULL)
	}
	// Keep the disk full while LiveKit retries bob's join, reconcile
	// tries to record bob and carol (every second), and the timer loop
	// tries to record carol's missed ring and to settle bob's and carol's
	// tokens at the end of their join grace.
	calltest.Eventually(t, wait, "LiveKit's join webhook for bob refused, and retried and refused again", func() bool {
		refused, _ := webhookAnswers(env, webhook.EventParticipantJoined, "bob#b")
		return refused >= 2 && time.Now().After(deadlinesPass.Add(1500*time.Millisecond))
	})
	if got, want := calltest.Identities(alice.Call("general")), map[string]bool{"alice#a": true, "bob#b": false, "carol#c": false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("general's call on a full disk = %v, want %v (nothing recorded, so nothing shown)", got, want)
	}
	if got, want := calltest.Identities(dave.Call("design")), map[string]bool{"dave#d": true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("design's call on a full disk = %v, want %v", got, want)
	}
	if v := alice.Call("alice-bob"); v != nil {
		t.Fatalf("a refused join started a call: %+v", v)
	}
	memoryMatchesLog(t, env, db)
	if n := countFacts(t, db); n != facts {
		t.Fatalf("%d facts written on a full disk", n-facts)
	}
	// Liveness holds (the process serves), with the cause for a signed-in
	// reader; readiness fails on its database write.
	if st, raw := alice.Raw("GET", "/healthz", nil); st != 200 || !bytes.Contains(raw, []byte(`"reconcile_error":"event log: `)) {
		t.Fatalf("healthz on a full disk = %d %s, want 200 naming the event log (not LiveKit) in reconcile_error", st, raw)
	}
	calltest.Eventually(t, 5*time.Second, "readyz fails its database check", func() bool {
		st, raw := alice.Raw("GET", "/readyz", nil)
		return st == 503 && bytes.Contains(raw, []byte(`"name":"database","ok":false`))
	})
	outageLogs := troubleLines(env.Logs()[logged:])
	if len(outageLogs) != 2 || !strings.Contains(outageLogs[0], "full") || !strings.Contains(outageLogs[1], "full") {
		t.Fatalf("the server logged %d warnings and errors while the disk was full, want two that say so (the calls' and the host's):\n%s",
			len(outageLogs), strings.Join(outageLogs, "\n"))
	}
	refusedHooks, _ := webhookAnswers(env, webhook.EventParticipantJoined, "bob#b")

	filler.Remove()
	freed := time.Now()
	calltest.Connect(t, alice.Join("general", "a2")) // the clients retry
	alice.Join("alice-bob", "a")                     // a new call, ringing bob
	calltest.Eventually(t, wait, "the timer loop recorded carol's missed ring", func() bool {
		return countKind(callLog(t, env, jd.CallID), eventlog.RingStopped, eventlog.RingMissed) == 1
	})
	missed := time.Since(freed)
	dave.Leave("design", "d") // ends design's call, shredding its key
	for {
		diff := liveKitDifference(t, env, "general", "design", "alice-bob")
		if diff == "" && connected(alice, "general", map[string]bool{"alice#a": true, "bob#b": true, "carol#c": true, "alice#a2": true})() {
			break
		}
		if time.Since(freed) > wait {
			t.Fatalf("no convergence with LiveKit within %s of space returning: %s; general %v", wait, diff,
				calltest.Identities(alice.Call("general")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	converged := time.Since(freed)
	calltest.Eventually(t, wait, "LiveKit's retry of bob's join accepted", func() bool {
		_, accepted := webhookAnswers(env, webhook.EventParticipantJoined, "bob#b")
		return accepted > 0
	})
	retried := time.Since(freed)
	var bobJoins int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE kind = 'participant_joined' AND identity = 'bob#b' AND sid = ?`,
		jbRoom.LocalParticipant.SID()).Scan(&bobJoins); err != nil || bobJoins != 1 {
		t.Fatalf("bob's session is recorded as joined %d times (%v), want once", bobJoins, err)
	}
	memoryMatchesLog(t, env, db)
	if env.KeyOnDisk(decodeKey(t, jd)) {
		t.Fatal("the key of design's ended call is still in the database, WAL or shm file")
	}
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check after the disk was full: %q, %v", integrity, err)
	}
	if !strings.Contains(env.Logs()[logged:], "accepts writes again") || !strings.Contains(env.Logs()[logged:], "accepts the host's writes again") {
		t.Fatal("the server did not say when the disk took writes again")
	}
	t.Logf("disk full for %s: 3 API changes refused with 503, LiveKit's join webhook for bob refused %d times, "+
		"%d warning or error logged meanwhile; after space returned: missed ring recorded in %s, converged with LiveKit in %s, "+
		"LiveKit's retry of bob's join accepted after %s",
		freed.Sub(full).Round(time.Millisecond), refusedHooks, len(outageLogs), missed.Round(time.Millisecond),
		converged.Round(time.Millisecond), retried.Round(time.Millisecond))
}

// openLog opens the server's database file for the test's own reads, as
// another process (sqlite3) would.
func openLog(t *testing.T, env *calltest.Env) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", eventlog.DSN(env.Config.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countFacts(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// memoryMatchesLog fails the test unless the service's active calls and
// keys are exactly what its log holds: every call as its facts rebuild it
// (so no participant is listed whose fact is not on disk), each key the
// one stored for its call, no key in memory for a call the log does not
// have running, and no key stored for a call that ended.
func memoryMatchesLog(t *testing.T, env *calltest.Env, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	store := env.Main.Store()
	chatto.Settled(env.Service(), func(calls []*eventlog.Call, keys map[string]eventlog.CallKey) {
		evs, err := store.ActiveEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := eventlog.NewProjection()
		for _, e := range evs {
			p.Apply(e)
		}
		if want := p.Calls(); !reflect.DeepEqual(calls, want) {
			t.Fatalf("the calls in memory are not the log's:\nmemory: %s\nlog:    %s", describeCalls(calls), describeCalls(want))
		}
		for _, c := range calls {
			stored, err := store.CallKey(ctx, c.ID)
			if err != nil || stored == nil || len(stored.Key) != chatto.KeySize || !reflect.DeepEqual(*stored, keys[c.ID]) {
				t.Fatalf("call %s: the key in memory is not the one stored (%v)", c.ID, err)
			}
		}
		if len(keys) != len(calls) {
			t.Fatalf("%d keys in memory for the %d calls the log has running", len(keys), len(calls))
		}
	})
	var stale int
	if err := db.QueryRow(`SELECT count(*) FROM call_keys WHERE call_id IN
		(SELECT call_id FROM events WHERE kind = 'call_ended')`).Scan(&stale); err != nil || stale != 0 {
		t.Fatalf("%d keys stored for calls that ended (%v)", stale, err)
	}
}

func describeCalls(calls []*eventlog.Call) string {
	var out []string
	for _, c := range calls {
		var ps []string
		for _, p := range c.Sorted() {
			ps = append(ps, p.Identity+"@"+p.SID)
		}
		out = append(out, fmt.Sprintf("%s %s seq %d %v rings %d", c.RoomID, c.ID, c.Seq, ps, len(c.Rings)))
	}
	return strings.Join(out, "; ")
}

// webhookAnswers counts the server's answers to LiveKit's event webhooks
// about identity: refused (5xx) and accepted (2xx).
func webhookAnswers(env *calltest.Env, event, identity string) (refused, accepted int) {
	for _, d := range env.Relay.Forwarded() {
		switch {
		case d.Event != event || d.Identity != identity:
		case d.Status >= 500:
			refused++
		case d.Status < 300:
			accepted++
		}
	}
	return refused, accepted
}

// liveKitRooms counts LiveKit's rooms of this server by chat room.
func liveKitRooms(t *testing.T, env *calltest.Env) map[string]int {
	t.Helper()
	rs, err := roomService(env).ListRooms(context.Background(), &lkproto.ListRoomsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rs.GetRooms() {
		if room, _, ok := livekit.ParseRoomName(env.Service().ServerID(), r.GetName()); ok {
			out[room]++
		}
	}
	return out
}

// liveKitDifference says how the rooms' calls differ from LiveKit ("" when
// they agree): each call lists as connected exactly the devices LiveKit
// has connected in its LiveKit room, and every LiveKit room of this
// server is a running call's.
func liveKitDifference(t *testing.T, env *calltest.Env, rooms ...string) string {
	t.Helper()
	ctx := context.Background()
	svc, lk := env.Service(), roomService(env)
	rs, err := lk.ListRooms(ctx, &lkproto.ListRoomsRequest{})
	if err != nil {
		return "LiveKit: " + err.Error()
	}
	var out []string
	for _, r := range rs.GetRooms() {
		room, callID, ok := livekit.ParseRoomName(svc.ServerID(), r.GetName())
		if v := svc.View(room); ok && (v == nil || v.ID != callID) {
			out = append(out, "LiveKit has room "+r.GetName()+" of no running call")
		}
	}
	for _, room := range rooms {
		v := svc.View(room)
		if v == nil {
			continue
		}
		inLK := map[string]bool{}
		ps, err := lk.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: livekit.RoomName(svc.ServerID(), room, v.ID)})
		if err == nil {
			for _, p := range ps.GetParticipants() {
				if p.GetState() == lkproto.ParticipantInfo_ACTIVE {
					inLK[p.GetIdentity()] = true
				}
			}
		}
		shown := map[string]bool{}
		for _, p := range v.Participants {
			if p.Connected {
				shown[p.Identity] = true
			}
		}
		if !reflect.DeepEqual(shown, inLK) {
			out = append(out, fmt.Sprintf("%s: connected %v, LiveKit %v", room, shown, inLK))
		}
	}
	return strings.Join(out, "; ")
}

// troubleLines returns the log lines at warn or error level.
func troubleLines(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, " level=WARN ") || strings.Contains(l, " level=ERROR ") {
			out = append(out, l)
		}
	}
	return out
}

func decodeKey(t *testing.T, j *chatto.JoinResult) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(j.E2EEKey)
	if err != nil || len(key) != chatto.KeySize {
		t.Fatalf("join answer's key %q: %v", j.E2EEKey, err)
	}
	return key
}

// A call that ends when the disk has room for its facts but not for the
// checkpoint that moves its key out of the WAL (the database file must
// grow by pages the chat's history wrote): the end is recorded and
// answered 200, the checkpoint is owed and retried by the timer loop,
// which says so once, not at every retry. The failing checkpoint takes
// what room was left, so the host may not be able to store the end's
// timeline notice either (if it comes after the checkpoint); it is then
// posted again until it is. Once space returns the key is in no file and
// the notice is in the timeline.
func TestAShredCheckpointOnAFullDiskIsReportedOnceAndFinishesWhenSpaceReturns(t *testing.T) {
	dir, ok := tmpfs.Mount(t, diskFullSize)
	if !ok {
		return // it ran in a child process with a mount namespace of its own
	}
	env := calltest.Start(t, func(c *config.Config) {
		c.Database.Path = filepath.Join(dir, "chatto.db")
		c.LiveKit.ReconcileInterval = time.Second // the timer loop wakes, and retries, every second
	})
	db := openLog(t, env)
	dave := env.Login("dave")
	jd := dave.Join("design", "d")
	calltest.Connect(t, jd)
	calltest.Eventually(t, wait, "dave connected", connected(dave, "design", map[string]bool{"dave#d": true}))
	// About 200 KiB of chat history, in the WAL and not yet in the
	// database file, which the next checkpoint must grow by as much.
	for i := range 50 {
		if st, code := dave.Post("/api/rooms/design/messages", map[string]string{"text": fmt.Sprintf("%d %s", i, strings.Repeat("x", 3990))}); st != 200 {
			t.Fatalf("post message %d: %d %s", i, st, code)
		}
	}
	logged := len(env.Logs())

	filler := tmpfs.Fill(t, dir)
	filler.Release(80 << 10) // room for the end's facts and its notice, not for the checkpoint
	full := time.Now()
	dave.Leave("design", "d") // the call ends: its key is deleted, and must leave the WAL
	if v := dave.Call("design"); v != nil {
		t.Fatalf("design's call after its last device left: %+v", v)
	}
	memoryMatchesLog(t, env, db)
	key := decodeKey(t, jd)
	if !calltest.FileContains(t, env.Config.Database.Path, key) {
		t.Fatal("the key left the files although the disk had no room for the checkpoint; this test proves nothing")
	}
	time.Sleep(3500 * time.Millisecond) // the timer loop retries the checkpoint about three times
	outageLogs := troubleLines(env.Logs()[logged:])
	// The shredder's checkpoint, 5 ms after the end, may take the space
	// meant for the end's notice (a checkpoint that fails has grown the
	// file): then the host reports its full disk once as well.
	var wal, notice, host int
	for _, l := range outageLogs {
		switch {
		case strings.Contains(l, "WAL"):
			wal++
		case strings.Contains(l, "notice"):
			notice++
		case strings.Contains(l, "messages and sign-ins are refused"):
			host++
		}
	}
	if wal != 1 || notice > 1 || host > notice || wal+notice+host != len(outageLogs) {
		t.Fatalf("the server logged %d warnings and errors while the checkpoint could not run, want one that says so "+
			"(and, if the host could not store the notice, one for it and one for the host's full disk):\n%s", len(outageLogs), strings.Join(outageLogs, "\n"))
	}
	if !calltest.FileContains(t, env.Config.Database.Path, key) {
		t.Fatal("the key left the files while the disk was still full; this test proves nothing")
	}

	filler.Remove()
	freed := time.Now()
	calltest.Eventually(t, 5*time.Second, "the owed checkpoint took the ended call's key out of every file", func() bool {
		return !calltest.FileContains(t, env.Config.Database.Path, key)
	})
	shredded := time.Since(freed)
	if !strings.Contains(env.Logs()[logged:], "checkpoint completed") {
		t.Fatal("the server did not say when the owed checkpoint completed")
	}
	calltest.Eventually(t, 5*time.Second, "the call's end notice in design's timeline", func() bool {
		return endedNotice(t, dave, "design", jd.CallID) != nil
	})
	memoryMatchesLog(t, env, db)
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check after the disk was full: %q, %v", integrity, err)
	}
	t.Logf("disk full for %s around a call's end: %d warning or error logged; the key left the files %s after space returned",
		freed.Sub(full).Round(time.Millisecond), len(outageLogs), shredded.Round(time.Millisecond))
}

// refusingHost is the fuzz fixture's host with a timeline that keeps one
// notice per id, and refuses them while refuse is set, as a host whose
// database is full does.
type refusingHost struct {
	fuzzHost
	refuse   atomic.Bool
	attempts atomic.Int64
	mu       sync.Mutex
	timeline map[string]chatto.Notice
}

func (h *refusingHost) PostNotice(_ context.Context, n chatto.Notice) error {
	h.attempts.Add(1)
	if h.refuse.Load() {
		return errors.New("host: store message in general: database or disk is full (13)")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timeline[n.ID] = n
	return nil
}

func (h *refusingHost) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.timeline[id]
	return ok
}

// A notice the host cannot store (its disk is full) is not lost until a
// restart: the timer loop posts it again until the host takes it, once.
func TestANoticeTheHostRefusesIsPostedAgainUntilItLands(t *testing.T) {
	ctx := context.Background()
	cfg, store := fakeLiveKitStore(t)
	cfg.ReconcileInterval = time.Second // the timer loop wakes every second
	host := &refusingHost{timeline: map[string]chatto.Notice{}}
	host.refuse.Store(true)
	p, err := chatto.New(ctx, cfg, host, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	j, err := p.Service().Join(ctx, fuzzCaller("alice"), "general", chatto.JoinRequest{DeviceID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	id := j.CallID + ":" + chatto.NoticeCallStarted
	refused := host.attempts.Load()
	calltest.Eventually(t, 5*time.Second, "the timer loop posting the refused notice again", func() bool {
		return host.attempts.Load() > refused
	})
	host.refuse.Store(false)
	calltest.Eventually(t, 5*time.Second, "the refused call_started notice in the timeline", func() bool { return host.has(id) })
	landed := host.attempts.Load()
	time.Sleep(1500 * time.Millisecond) // the timer loop wakes again
	if n := host.attempts.Load() - landed; n != 0 {
		t.Fatalf("the notice was posted %d more times after it landed", n)
	}
}
