package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/lkserver"
)

const (
	crashReconcile = 2 * time.Second
	crashGrace     = 3 * time.Second
	crashPassword  = "crash-test-password"
)

// crashRooms are the rooms the crash suite seeds, with their members.
var crashRooms = map[string][]string{
	"general":   {"alice", "bob", "carol"},
	"design":    {"bob", "carol", "dave"},
	"alice-bob": {"alice", "bob"},
}

// TestKill9UnderJoinLoadLosesNoAnsweredJoin runs `chatto serve` as a
// subprocess against a real LiveKit and kills it with SIGKILL at a random
// moment of each round while eight goroutines join and leave calls over
// HTTP (some devices also connect to LiveKit and stay across the kill).
// After each restart: every join answered 200 before the kill has its
// participant_joined fact, PRAGMA integrity_check is ok, the calls
// converge with LiveKit (reconcile, join grace), and no key of an ended
// call is in the database, WAL or shm file.
func TestKill9UnderJoinLoadLosesNoAnsweredJoin(t *testing.T) {
	seed := calltest.Seed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	rounds := 5
	if d := calltest.Soak(t, 0); d > 0 {
		rounds = max(rounds, int(d/(15*time.Second)))
	}
	began := time.Now()
	c := newCrashEnv(t)
	c.seed()
	c.start()
	t.Logf("built the binary, started LiveKit, seeded users and rooms and started serve in %s", time.Since(began).Round(time.Millisecond))
	clients := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		clients[u] = c.login(u)
	}
	var workers []*crashWorker
	for _, room := range slices.Sorted(maps.Keys(crashRooms)) {
		for _, u := range crashRooms[room] {
			admin := u == "alice" && room != "design" || u == "bob" && room != "general"
			workers = append(workers, &crashWorker{c: c, user: u, room: room, token: clients[u], admin: admin,
				rng: rand.New(rand.NewPCG(seed, uint64(len(workers)+100))), lk: map[string]*lksdk.Room{}})
		}
	}

	var recovers, converges []time.Duration
	for round := 1; round <= rounds; round++ {
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() { w.run(ctx) })
		}
		time.Sleep(1500*time.Millisecond + time.Duration(rng.Int64N(int64(3*time.Second))))
		c.kill()
		stop()
		wg.Wait()

		restarted := time.Now()
		c.start()
		recovers = append(recovers, time.Since(restarted))
		c.checkEndedKeysAreGone()
		c.checkAnsweredJoinsAreInTheLog()
		c.checkIntegrity()
		converges = append(converges, c.converge(restarted))
		c.checkEndedKeysAreGone()
		t.Logf("round %d: %d joins answered so far; restarted in %s, converged %s after the restart",
			round, len(c.acks), recovers[len(recovers)-1].Round(time.Millisecond), converges[len(converges)-1].Round(time.Millisecond))
	}

	// Everyone goes; every call ends exactly once, its key shredded.
	for _, w := range workers {
		w.hangUp()
	}
	c.converge(time.Now())
	c.checkEndedKeysAreGone()
	started, ended := c.callCounts()
	if started == 0 || started != ended {
		t.Errorf("the log has %d call_started and %d call_ended facts after everyone left", started, ended)
	}
	if strings.Contains(c.out.String(), "DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", c.out.String())
	}
	t.Logf("crash summary: seed %d, %d rounds, %d kills (SIGKILL), %d joins answered 200 and all in the log, %d LiveKit connects; "+
		"calls started %d, ended %d; time to recover (restart to /healthz 200) max %s; converged with LiveKit max %s after a restart",
		seed, rounds, c.kills, len(c.acks), c.connects, started, ended, slices.Max(recovers).Round(time.Millisecond),
		slices.Max(converges).Round(time.Millisecond))
}

// crashEnv is a LiveKit, a config file and the chatto binary run as a
// subprocess on one database.
type crashEnv struct {
	t      *testing.T
	bin    string
	config string
	db     string
	base   string
	lk     *lkserver.Server
	rooms  *lksdk.RoomServiceClient
	proc   *exec.Cmd
	exited chan struct{}
	out    lockedBuffer // everything the server printed, over all runs
	kills  int

	mu       sync.Mutex
	acks     []crashAck        // joins answered 200
	keys     map[string][]byte // call id → key, from join answers
	connects int
}

// crashAck is one join the server answered 200.
type crashAck struct{ callID, identity string }

func newCrashEnv(t *testing.T) *crashEnv {
	t.Helper()
	dir := t.TempDir()
	c := &crashEnv{t: t, bin: filepath.Join(dir, "chatto"), db: filepath.Join(dir, "chatto.db"), keys: map[string][]byte{}}
	build := exec.Command("go", "build", "-o", c.bin, ".")
	if raceEnabled {
		build.Args = append(build.Args[:2], append([]string{"-race"}, build.Args[2:]...)...)
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build chatto: %v\n%s", err, out)
	}
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	// Start's context owns LiveKit for the whole test; Stop ends it.
	c.lk, err = lkserver.Start(context.Background(), lkserver.Options{APIKey: "crashkey", APISecret: secret,
		WebhookURLs: []string{c.base + "/webhooks/livekit"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.lk.Stop() })
	c.rooms = lksdk.NewRoomServiceClient(c.lk.HTTPURL(), "crashkey", secret)
	c.config = writeConfig(t, fmt.Sprintf(`[webserver]
url = %q
listen = "127.0.0.1:%d"
[database]
path = %q
[livekit]
enabled = true
url = %q
internal_url = %q
api_key = "crashkey"
api_secret = %q
reconcile_interval = %q
join_grace = %q
join_burst = 1000
join_interval = "1ms"
max_pending_devices = 1000
max_participants = 100
ring_timeout = "1h"
`, c.base, port, c.db, c.lk.URL(), c.lk.HTTPURL(), secret, crashReconcile, crashGrace))
	t.Cleanup(func() {
		if c.proc != nil {
			c.proc.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// seed adds the users and rooms with the admin commands, as an operator
// would (serve never seeds demo data).
func (c *crashEnv) seed() {
	c.t.Helper()
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		c.admin(crashPassword+"\n", "users", "add", u, "--name", strings.ToUpper(u[:1])+u[1:], "--password-stdin")
	}
	c.admin("", "rooms", "add", "general", "--name", "General", "--kind", "group", "--members", "alice,bob,carol", "--admins", "alice")
	c.admin("", "rooms", "add", "design", "--name", "Design", "--kind", "group", "--members", "bob,carol,dave", "--admins", "bob")
	c.admin("", "rooms", "add", "alice-bob", "--name", "Alice & Bob", "--kind", "direct", "--members", "alice,bob")
}

func (c *crashEnv) admin(stdin string, args ...string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "-config", c.config)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("chatto %v: %v\n%s", args, err, out)
	}
}

// start runs `chatto serve` and waits until /healthz answers 200.
func (c *crashEnv) start() {
	c.t.Helper()
	cmd := exec.Command(c.bin, "serve", "-config", c.config)
	cmd.Stdout, cmd.Stderr = &c.out, &c.out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	c.proc, c.exited = cmd, exited
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			c.proc = nil
			c.t.Fatalf("chatto serve exited at startup:\n%s", c.out.tail(4000))
		default:
		}
		if resp, err := http.Get(c.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("chatto serve not healthy within 30s:\n%s", c.out.tail(4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL: no shutdown, no checkpoint, no
// closing of the database.
func (c *crashEnv) kill() {
	c.t.Helper()
	if err := c.proc.Process.Kill(); err != nil {
		c.t.Fatal(err)
	}
	<-c.exited
	c.proc = nil
	c.kills++
}

// login signs a user in over HTTP, as a non-browser client: with the
// site's Origin, since sign-in needs it.
func (c *crashEnv) login(user string) string {
	c.t.Helper()
	raw, _ := json.Marshal(map[string]string{"user": user, "password": crashPassword})
	req, err := http.NewRequest("POST", c.base+"/api/login", bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	st := 0
	resp, err := crashLoginHTTP.Do(req)
	if err == nil {
		st = resp.StatusCode
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	var out struct{ Token string }
	if err != nil || st != 200 || json.Unmarshal(raw, &out) != nil {
		c.t.Fatalf("sign in %s: %d %s %v", user, st, raw, err)
	}
	return out.Token
}

// post sends a JSON POST; a bearer token when there is one. Safe off
// the test's goroutine.
func (c *crashEnv) post(token, path string, body any) (int, []byte, error) {
	return c.do("POST", token, path, body)
}

func (c *crashEnv) do(method, token, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.base)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

var crashHTTP = &http.Client{Timeout: 10 * time.Second}

// crashLoginHTTP waits longer: a sign-in is a bcrypt comparison at the
// production cost, seconds under -race on a busy 2-core machine (the
// server also hashes its dummy password at the same cost as it starts).
var crashLoginHTTP = &http.Client{Timeout: 60 * time.Second}

// open opens the database file beside the running server (a second
// connection, as sqlite3 would), for reading.
func (c *crashEnv) open() *sql.DB {
	c.t.Helper()
	db, err := sql.Open("sqlite", eventlog.DSN(c.db))
	if err != nil {
		c.t.Fatal(err)
	}
	return db
}

// checkAnsweredJoinsAreInTheLog: each join answered 200 is a
// participant_joined fact of its user in its call.
func (c *crashEnv) checkAnsweredJoinsAreInTheLog() {
	c.t.Helper()
	db := c.open()
	defer db.Close()
	want := map[crashAck]int{}
	c.mu.Lock()
	for _, a := range c.acks {
		want[a]++
	}
	c.mu.Unlock()
	for a, n := range want {
		var got int
		err := db.QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'participant_joined' AND source = 'user' AND call_id = ? AND identity = ?`,
			a.callID, a.identity).Scan(&got)
		if err != nil {
			c.t.Fatal(err)
		}
		if got < n {
			c.t.Errorf("%s's join of call %s was answered 200 %d times, the log has %d of those facts", a.identity, a.callID, n, got)
		}
	}
}

// checkIntegrity runs PRAGMA integrity_check on the restarted database.
func (c *crashEnv) checkIntegrity() {
	c.t.Helper()
	db := c.open()
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		c.t.Fatalf("integrity_check after a kill: %q, %v", res, err)
	}
}

// converge waits until every room's call (over the API) lists exactly the
// devices LiveKit has connected, all connected, and a room has a call only
// if LiveKit has someone in it. Pending devices of tokens handed out
// before the kill are dropped at their join grace; reconcile runs at
// startup and every interval. It returns the time from since.
func (c *crashEnv) converge(since time.Time) time.Duration {
	c.t.Helper()
	limit := crashReconcile + crashGrace + 5*time.Second
	token := c.login("bob") // bob is in every room
	var diff string
	for {
		if diff = c.difference(token); diff == "" {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			c.t.Fatalf("no convergence with LiveKit within %s of the restart: %s", limit, diff)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *crashEnv) difference(token string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rs, err := c.rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{})
	if err != nil {
		return "LiveKit: " + err.Error()
	}
	truth := map[string][]string{} // room → identities; room names are <server>.<room>.<call>
	for _, r := range rs.GetRooms() {
		parts := strings.Split(r.GetName(), ".")
		if len(parts) != 3 {
			continue
		}
		ps, err := c.rooms.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: r.GetName()})
		if err != nil {
			return "LiveKit: " + err.Error()
		}
		for _, p := range ps.GetParticipants() {
			if p.GetState() == lkproto.ParticipantInfo_ACTIVE {
				truth[parts[1]] = append(truth[parts[1]], parts[2]+"/"+p.GetIdentity())
			}
		}
	}
	var out []string
	for _, room := range slices.Sorted(maps.Keys(crashRooms)) {
		st, raw, err := c.do("GET", token, "/api/rooms/"+room+"/call", nil)
		var v *chatto.CallView
		if err != nil || st != 200 || json.Unmarshal(raw, &v) != nil {
			return fmt.Sprintf("GET %s's call: %d %v", room, st, err)
		}
		var got []string
		if v != nil {
			for _, p := range v.Participants {
				s := v.ID + "/" + p.Identity
				if !p.Connected {
					s += "(pending)"
				}
				got = append(got, s)
			}
		}
		want := truth[room]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || (v == nil) != (len(want) == 0) {
			out = append(out, fmt.Sprintf("%s: call %v, LiveKit %v", room, got, want))
		}
	}
	return strings.Join(out, "; ")
}

// checkEndedKeysAreGone: the key of every call the log says ended is in
// none of the database, WAL or shm files.
func (c *crashEnv) checkEndedKeysAreGone() {
	c.t.Helper()
	db := c.open()
	rows, err := db.Query(`SELECT call_id FROM events WHERE kind = 'call_ended'`)
	if err != nil {
		c.t.Fatal(err)
	}
	var ended []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ended = append(ended, id)
	}
	rows.Close()
	db.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	// A running server takes a shredded key out of the WAL moments after
	// the call's end (its shredder), so a call that ended just now gets a
	// short while; a restart does it before serving.
	deadline := time.Now().Add(2 * time.Second)
	for _, id := range ended {
		key := c.keys[id]
		for key != nil && calltest.FileContains(c.t, c.db, key) {
			if time.Now().After(deadline) {
				c.t.Errorf("the key of ended call %s is still in the database, WAL or shm file", id)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// callCounts returns how many calls the log says started and ended.
func (c *crashEnv) callCounts() (started, ended int) {
	c.t.Helper()
	db := c.open()
	defer db.Close()
	if err := db.QueryRow(`SELECT COALESCE(SUM(kind = 'call_started'), 0), COALESCE(SUM(kind = 'call_ended'), 0) FROM events`).Scan(&started, &ended); err != nil {
		c.t.Fatal(err)
	}
	return started, ended
}

// crashWorker is one member in one room joining and leaving with three
// devices, and ending the call now and then if it is a room admin; about
// a third of its joins also connect to LiveKit, and those sessions stay
// across the kills until the worker hangs them up.
type crashWorker struct {
	c                 *crashEnv
	user, room, token string
	rng               *rand.Rand
	admin             bool                   // may end the room's call for everyone
	lk                map[string]*lksdk.Room // device → LiveKit session
}

// run joins and leaves until ctx ends or the server stops answering.
func (w *crashWorker) run(ctx context.Context) {
	for ctx.Err() == nil {
		for dev, r := range w.lk {
			if r.ConnectionState() == lksdk.ConnectionStateDisconnected {
				delete(w.lk, dev) // its call was ended for everyone
			}
		}
		dev := fmt.Sprintf("%s-%d", w.room, w.rng.IntN(3))
		switch op := w.rng.Float64(); {
		case op < 0.06 && w.admin:
			// End the call for everyone: the key is shredded, and a
			// kill may land between that commit and its checkpoint.
			st, raw, err := w.c.post(w.token, "/api/rooms/"+w.room+"/call/end", nil)
			if err != nil {
				return
			}
			if st != 200 && st != 409 { // 409: no call right now
				w.c.t.Errorf("%s ends %s's call: %d %s", w.user, w.room, st, raw)
				return
			}
		case op < 0.6:
			st, raw, err := w.c.post(w.token, "/api/rooms/"+w.room+"/call/join", map[string]string{"device_id": dev})
			if err != nil {
				return // killed
			}
			var j chatto.JoinResult
			if st != 200 || json.Unmarshal(raw, &j) != nil {
				w.c.t.Errorf("%s joins %s: %d %s", w.user, w.room, st, raw)
				return
			}
			key, _ := base64.StdEncoding.DecodeString(j.E2EEKey)
			w.c.mu.Lock()
			w.c.acks = append(w.c.acks, crashAck{j.CallID, j.Identity})
			w.c.keys[j.CallID] = key
			w.c.mu.Unlock()
			if w.lk[dev] == nil && w.rng.Float64() < 0.35 {
				if r, err := calltest.Dial(&j, nil); err == nil {
					w.lk[dev] = r
					w.c.mu.Lock()
					w.c.connects++
					w.c.mu.Unlock()
				}
			}
		default:
			if r := w.lk[dev]; r != nil {
				r.Disconnect()
				delete(w.lk, dev)
			}
			st, raw, err := w.c.post(w.token, "/api/rooms/"+w.room+"/call/leave", map[string]string{"device_id": dev})
			if err != nil {
				return
			}
			if st != 200 {
				w.c.t.Errorf("%s leaves %s: %d %s", w.user, w.room, st, raw)
				return
			}
		}
		time.Sleep(time.Duration(w.rng.Int64N(int64(150 * time.Millisecond))))
	}
}

// hangUp disconnects the worker's LiveKit sessions without telling the
// API, as a closed laptop would.
func (w *crashWorker) hangUp() {
	for dev, r := range w.lk {
		r.Disconnect()
		delete(w.lk, dev)
	}
}

// lockedBuffer collects a subprocess's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) tail(n int) string {
	s := l.String()
	return s[max(0, len(s)-n):]
}
