package chatto_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/livekit"
)

// The webhook chaos suite: LiveKit's webhooks pass a relay that drops,
// duplicates, delays and reorders them while real lksdk participants
// join, leave, crash, reconnect with their token and rejoin at random.
const (
	chaosReconcile = 3 * time.Second
	chaosGrace     = 3 * time.Second
	// chaosSlack is what "within one reconcile interval" allows on top of
	// the interval: one reconcile pass under -race on a busy machine and
	// the sampler's own period.
	chaosSlack = 2 * time.Second
	// chaosHold is the longest the relay holds a webhook back.
	chaosHold = 8 * time.Second
)

// chaosRooms are the demo rooms and their members.
var chaosRooms = map[string][]string{
	"general":   {"alice", "bob", "carol"},
	"design":    {"bob", "carol", "dave"},
	"alice-bob": {"alice", "bob"},
}

// TestWebhookChaosNeverDropsAConnectedDeviceAndConverges: with a quarter
// of LiveKit's webhooks dropped, 15% duplicated, 60% held for up to 8 s
// and 60% parked until a later one has passed (reordered), 24 devices
// (every member of every demo room, three devices each) join, leave,
// crash, reconnect and rejoin at random, often right after leaving or
// crashing (inside the hold window, so the old session's facts arrive
// after the new join's), and every room empties now and then. Sampled
// against LiveKit's own list (RoomService, state ACTIVE): a connected
// session the call's view has shown never disappears from it while its
// device is not leaving, and one the view has not yet shown (its join
// webhook lost) appears within one reconcile interval; once the faults
// stop, the calls equal LiveKit's rooms within one interval (or the join
// grace of a token handed out just before); every call that started ended
// exactly once and its key is in none of the database files.
func TestWebhookChaosNeverDropsAConnectedDeviceAndConverges(t *testing.T) {
	seed := calltest.Seed(t)
	runFor := calltest.Soak(t, 40*time.Second)
	env := calltest.Start(t, func(c *config.Config) {
		lk := &c.LiveKit
		lk.ReconcileInterval, lk.JoinGrace = chaosReconcile, chaosGrace
		lk.JoinBurst, lk.JoinInterval, lk.MaxPendingDevices = 1000, time.Millisecond, 100
		lk.MaxParticipants = 30
		// A direct call nobody answers would end as missed while its
		// caller is connected; that is the ring timeout's job, not a
		// fault, so it stays out of this test.
		lk.RingTimeout = time.Hour
	})
	svc := env.Service()
	rooms := lksdk.NewRoomServiceClient(env.LK.HTTPURL(), calltest.APIKey, calltest.APISecret)
	ch := &chaos{env: env, svc: svc, rooms: rooms, serverID: svc.ServerID(), keys: map[string]string{},
		missing: map[chaosSession]time.Time{}, sessions: map[string]bool{}, shown: map[chaosSession]bool{},
		live: map[string]*lkSession{}}

	clients := map[string]*calltest.Client{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		clients[u] = env.Login(u)
	}
	var actors []*chaosActor
	for _, room := range chaosRoomIDs() {
		for _, u := range chaosRooms[room] {
			for d := range 3 {
				actors = append(actors, &chaosActor{ch: ch, user: u, room: room, token: clients[u].Token,
					device: fmt.Sprintf("%s-%d", room, d), rng: rand.New(rand.NewPCG(seed, uint64(len(actors)+1)))})
			}
		}
	}

	env.Relay.Inject(calltest.Faults{Seed: seed, Drop: 0.25, Duplicate: 0.15, Delay: 0.6, MaxDelay: chaosHold, Reorder: 0.6})
	ctx, stop := context.WithTimeout(context.Background(), runFor)
	defer stop()
	var wg sync.WaitGroup
	ch.gates = map[string]*atomic.Bool{}
	for room := range chaosRooms {
		ch.gates[room] = &atomic.Bool{}
	}
	for room := range chaosRooms {
		wg.Go(func() { ch.openAndClose(ctx, room, rand.New(rand.NewPCG(seed, uint64(len(room))))) })
	}
	for _, a := range actors {
		wg.Go(func() { a.run(ctx) })
	}
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		tick := time.NewTicker(400 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				ch.sample(ctx)
			}
		}
	}()
	<-ctx.Done()
	wg.Wait()
	<-samplerDone
	stopped := time.Now()
	faults := env.Relay.Calm()
	calm := time.Now()

	// After the faults: equal to LiveKit within one reconcile interval of
	// the calm, or the join grace of the last token handed out.
	limit := max(chaosReconcile, stopped.Add(chaosGrace).Sub(calm)) + chaosSlack
	var diff string
	for {
		if diff = ch.difference(); diff == "" {
			break
		}
		if time.Since(calm) > limit {
			t.Fatalf("the calls did not converge with LiveKit within %s of the faults stopping: %s", limit.Round(time.Millisecond), diff)
		}
		time.Sleep(100 * time.Millisecond)
	}
	converged := time.Since(calm)

	// Everyone goes; every call ends.
	connectedAtEnd := 0
	for _, a := range actors {
		if a.lk != nil && !a.lk.gone.Load() {
			connectedAtEnd++
		}
		a.out(a.rng.IntN(2) == 0)
	}
	calltest.Eventually(t, chaosReconcile+chaosGrace+chaosSlack, "every call ended", func() bool {
		for room := range chaosRooms {
			if svc.View(room) != nil {
				return false
			}
		}
		return true
	})
	for callID, key := range ch.keys {
		if env.KeyOnDisk(mustKey(t, key)) {
			t.Errorf("the key of ended call %s is still in the database, WAL or shm file", callID)
		}
	}
	started, ended := checkEveryCallEndedOnce(t, env.Config.Database.Path)
	if len(ch.keys) != started {
		t.Errorf("join answers named %d calls, the log has %d call_started", len(ch.keys), started)
	}

	ch.mu.Lock()
	for _, v := range ch.violations {
		t.Error(v)
	}
	// The story of each device that disappeared, from the log.
	for _, d := range ch.gone {
		for _, e := range callLog(t, env, d.callID) {
			if e.Identity == d.identity {
				t.Logf("  %s seq %d %s %s %s sid=%s gen=%s reason=%s detail=%s start=%s", d.identity, e.Seq, e.At.Format("15:04:05.000"),
					e.Kind, e.Source, e.SID, e.Generation, e.Reason, e.Detail, e.SessionStart.Format("15:04:05.000"))
			}
		}
	}
	ch.mu.Unlock()
	st := &ch.stats
	t.Logf("actors %d, LiveKit sessions %d, joins %d (join errors %d), connects %d (failed %d), API leaves %d, crashes %d, "+
		"reconnects with the same token %d, rejoins right after a leave or crash %d, tokens left unused %d, late connects %d (closed by LiveKit %d), connected at the end %d",
		len(actors), len(ch.sessions), st.joins.Load(), st.joinErrors.Load(), st.connects.Load(), st.connectErrors.Load(),
		st.leaves.Load(), st.crashes.Load(), st.reconnects.Load(), st.quickRejoins.Load(), st.abandoned.Load(), st.lateConnects.Load(), ch.lateKicks, connectedAtEnd)
	t.Logf("webhooks: %s", faults)
	t.Logf("samples %d, connected sessions sampled %d, shown by the view %d, seen missing from their call's view before it showed them %d times, longest %s (limit %s); shown sessions that disappeared %d",
		ch.samples, ch.sampled, len(ch.shown), ch.spans, ch.maxLag.Round(time.Millisecond), chaosReconcile+chaosSlack, ch.vanished)
	t.Logf("chaos summary: seed %d, %s of faults, %d participants (%d LiveKit sessions), webhooks sent %d, dropped %d, duplicated %d, "+
		"delayed %d, reordered %d; calls started %d, ended %d; converged %s after the faults stopped",
		seed, runFor, len(actors), len(ch.sessions), faults.Received, faults.Dropped, faults.Duplicated, faults.Delayed,
		faults.Reordered, started, ended, converged.Round(time.Millisecond))
	if started == 0 || faults.Dropped == 0 || faults.Reordered == 0 {
		t.Errorf("the run proved little: %d calls, %d webhooks dropped, %d reordered", started, faults.Dropped, faults.Reordered)
	}
	if n := st.joinErrors.Load(); n > 0 {
		t.Errorf("%d joins failed (see the log)", n)
	}
}

// chaos is the shared state of one chaos run.
type chaos struct {
	env      *calltest.Env
	svc      *chatto.Service
	rooms    *lksdk.RoomServiceClient
	serverID string
	gates    map[string]*atomic.Bool // open rooms

	stats struct {
		joins, joinErrors, connects, connectErrors, leaves, crashes, reconnects, quickRejoins, abandoned, lateConnects atomic.Int64
	}

	mu   sync.Mutex
	keys map[string]string // call id → key, from join answers
	// Sampler state: since when each LiveKit session has been seen
	// ACTIVE but missing from its call's view.
	missing  map[chaosSession]time.Time
	sessions map[string]bool // every LiveKit session seen
	// shown are the sessions the sampler has seen ACTIVE and in their
	// call's view: from then on the view must keep them while they are.
	shown map[chaosSession]bool
	// live are the actors' sessions by LiveKit session id, so the sampler
	// can tell a device on its way out (whose view may drop it) from one
	// that stays.
	live       map[string]*lkSession
	vanished   int
	gone       []struct{ callID, identity string }
	maxLag     time.Duration
	violations []string
	lateKicks  int // late connects LiveKit closed (their call had ended)
	samples    int
	sampled    int
	spans      int // times a connected session was seen missing from its view
}

// chaosRoomIDs lists the rooms in order.
func chaosRoomIDs() []string {
	var ids []string
	for id := range chaosRooms {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// chaosSession is one LiveKit session of a device in one LiveKit room.
type chaosSession struct{ lkRoom, identity, sid string }

// openAndClose opens a room for 6–12 s, then closes it for 3–5 s so its
// devices go and its call ends, until ctx ends.
func (ch *chaos) openAndClose(ctx context.Context, room string, rng *rand.Rand) {
	gate := ch.gates[room]
	for {
		gate.Store(true)
		if !sleepCtx(ctx, 6*time.Second+time.Duration(rng.Int64N(int64(6*time.Second)))) {
			return
		}
		gate.Store(false)
		if !sleepCtx(ctx, 3*time.Second+time.Duration(rng.Int64N(int64(2*time.Second)))) {
			return
		}
	}
}

// sample compares LiveKit's participants with the call views and keeps
// how long each connected session has been missing from its call's view.
// LiveKit is read first: a session that is ACTIVE there and missing from
// the view read after it is missing (a leave in between ends the span
// at the next sample, as LiveKit no longer lists it).
func (ch *chaos) sample(ctx context.Context) {
	active, err := ch.activeSessions(ctx)
	if err != nil {
		return // the test is ending or LiveKit is slow; skip this moment
	}
	views := map[string]*chatto.CallView{}
	for room := range chaosRooms {
		views[room] = ch.svc.View(room)
	}
	now := time.Now()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.samples++
	seen := map[chaosSession]bool{}
	for _, s := range active {
		ch.sampled++
		ch.sessions[s.sid] = true
		seen[s] = true
		room, callID, _ := livekit.ParseRoomName(ch.serverID, s.lkRoom)
		v := views[room]
		state, listed := calltest.Identities(v)[s.identity]
		listed = listed && v.ID == callID
		switch {
		case listed:
			ch.shown[s] = true
		case ch.shown[s]:
			// Read after LiveKit and the view: a device that is leaving
			// (or whose session LiveKit ended meanwhile) may be gone.
			if ls := ch.live[s.sid]; ls == nil || (!ls.leaving.Load() && !ls.gone.Load()) {
				ch.vanished++
				ch.gone = append(ch.gone, struct{ callID, identity string }{callID, s.identity})
				ch.violations = append(ch.violations, fmt.Sprintf("%s (session %s, connected in %s) disappeared from the call's view (%s) at %s, which had shown it",
					s.identity, s.sid, s.lkRoom, describeView(v), now.Format("15:04:05.000")))
			}
			delete(ch.shown, s)
		}
		if listed && state {
			ch.closeSpan(s, now)
			continue
		}
		since, ok := ch.missing[s]
		if !ok {
			ch.missing[s] = now
			continue
		}
		if lag := now.Sub(since); lag > chaosReconcile+chaosSlack && !ch.reported(s) {
			ch.violations = append(ch.violations, fmt.Sprintf("LiveKit has reported %s (session %s) connected in %s for %s, and the call view (%s) has lacked it all that time",
				s.identity, s.sid, s.lkRoom, lag.Round(time.Millisecond), describeView(v)))
			ch.missing[s] = time.Time{} // reported once
		}
	}
	for s := range ch.missing {
		if !seen[s] {
			ch.closeSpan(s, now)
		}
	}
}

func (ch *chaos) reported(s chaosSession) bool { return ch.missing[s].IsZero() }

// closeSpan ends a session's missing span, keeping the longest.
func (ch *chaos) closeSpan(s chaosSession, now time.Time) {
	if since, ok := ch.missing[s]; ok && !since.IsZero() {
		ch.maxLag = max(ch.maxLag, now.Sub(since))
		ch.spans++
	}
	delete(ch.missing, s)
}

// activeSessions lists the ACTIVE participants of this server's LiveKit
// rooms.
func (ch *chaos) activeSessions(ctx context.Context) ([]chaosSession, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rs, err := ch.rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{})
	if err != nil {
		return nil, err
	}
	var out []chaosSession
	for _, r := range rs.GetRooms() {
		if _, _, ok := livekit.ParseRoomName(ch.serverID, r.GetName()); !ok {
			continue
		}
		ps, err := ch.rooms.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: r.GetName()})
		if err != nil {
			if strings.Contains(err.Error(), "not_found") || strings.Contains(err.Error(), "not found") {
				continue // deleted since the listing
			}
			return nil, err
		}
		for _, p := range ps.GetParticipants() {
			if p.GetState() == lkproto.ParticipantInfo_ACTIVE {
				out = append(out, chaosSession{r.GetName(), p.GetIdentity(), p.GetSid()})
			}
		}
	}
	return out, nil
}

// difference describes how the calls differ from LiveKit ("" when they
// agree): a room has a call iff LiveKit has connected participants for
// it, in that call's LiveKit room, and the call lists exactly those, all
// connected.
func (ch *chaos) difference() string {
	active, err := ch.activeSessions(context.Background())
	if err != nil {
		return "LiveKit: " + err.Error()
	}
	truth := map[string]map[string]string{} // room → identity → livekit room
	for _, s := range active {
		room, _, _ := livekit.ParseRoomName(ch.serverID, s.lkRoom)
		if truth[room] == nil {
			truth[room] = map[string]string{}
		}
		truth[room][s.identity] = s.lkRoom
	}
	var out []string
	for _, room := range chaosRoomIDs() {
		v, want := ch.svc.View(room), truth[room]
		if v == nil && len(want) == 0 {
			continue
		}
		got := map[string]string{}
		if v != nil {
			for _, p := range v.Participants {
				state := "connected"
				if !p.Connected {
					state = "pending"
				}
				got[p.Identity] = state
			}
		}
		bad := v == nil || len(want) == 0 || len(got) != len(want)
		for id, lkRoom := range want {
			_, callID, _ := livekit.ParseRoomName(ch.serverID, lkRoom)
			bad = bad || got[id] != "connected" || callID != v.ID
		}
		if bad {
			out = append(out, fmt.Sprintf("%s: call %s, LiveKit %v", room, describeView(v), want))
		}
	}
	return strings.Join(out, "; ")
}

func describeView(v *chatto.CallView) string {
	if v == nil {
		return "none"
	}
	var ps []string
	for _, p := range v.Participants {
		s := p.Identity
		if !p.Connected {
			s += "(pending)"
		}
		ps = append(ps, s)
	}
	return v.ID + " [" + strings.Join(ps, " ") + "]"
}

// chaosActor is one device of one member in one room, acting at random.
type chaosActor struct {
	ch                 *chaos
	user, room, device string
	token              string // the user's session
	rng                *rand.Rand
	join               *chatto.JoinResult // the latest join answer
	joinAsked          time.Time          // when it was asked for
	lk                 *lkSession         // the current LiveKit session, nil when out
	holding            bool               // join holds a token not (yet) used
}

// lkSession is one LiveKit session of an actor.
type lkSession struct {
	room *lksdk.Room
	// timely: connected well within the join grace of its token (or
	// replacing a connected session of the device), so the server must
	// keep it; a later connect may find its call ended and its room gone.
	timely bool
	// leaving: the actor itself is ending it (leave, crash, or a newer
	// session of the device replaces it).
	leaving atomic.Bool
	gone    atomic.Bool // LiveKit ended it
}

// run acts every 0.3–1.5 s until ctx ends, leaving its device as it is.
func (a *chaosActor) run(ctx context.Context) {
	for sleepCtx(ctx, 300*time.Millisecond+time.Duration(a.rng.Int64N(int64(1200*time.Millisecond)))) {
		if a.lk != nil && a.lk.gone.Load() {
			a.lk = nil // what it was is in the kick's record
		}
		open := a.ch.gates[a.room].Load()
		r := a.rng.Float64()
		switch {
		case !open:
			if a.lk != nil || a.holding {
				a.out(r < 0.5)
			}
		case a.lk == nil && a.holding:
			// A token from earlier: connect late (perhaps after its join
			// grace), leave through the API, or forget it.
			switch {
			case r < 0.5:
				a.ch.stats.lateConnects.Add(1)
				a.connect(false)
			case r < 0.75:
				a.out(true)
			default:
				a.holding = false
			}
		case a.lk == nil:
			if !a.joinCall() {
				continue
			}
			if a.rng.Float64() < 0.1 {
				a.ch.stats.abandoned.Add(1)
				continue
			}
			a.connect(false)
		default:
			switch {
			case r < 0.15:
				a.out(true)
			case r < 0.3:
				a.out(false)
			case r < 0.4:
				// Reconnect with the same token: LiveKit closes the old
				// session with DUPLICATE_IDENTITY.
				a.ch.stats.reconnects.Add(1)
				a.connect(true)
			case r < 0.5:
				// Join again while connected (a reload that asks for a
				// new token), then connect with it.
				if a.joinCall() {
					a.connect(true)
				}
			case r < 0.6:
				// Leave or crash and come straight back on the same
				// device: the old session's webhooks, held back, arrive
				// after the new join's.
				a.out(a.rng.IntN(2) == 0)
				a.ch.stats.quickRejoins.Add(1)
				if a.joinCall() {
					a.connect(false)
				}
			}
		}
	}
}

// joinCall asks the API to join and keeps the answer.
func (a *chaosActor) joinCall() bool {
	var j chatto.JoinResult
	asked := time.Now()
	st, raw, err := apiPost(a.ch.env.BaseURL, a.token, "/api/rooms/"+a.room+"/call/join", map[string]string{"device_id": a.device})
	if err == nil && st == http.StatusOK {
		err = json.Unmarshal(raw, &j)
	}
	if err != nil || st != http.StatusOK {
		a.ch.stats.joinErrors.Add(1)
		a.ch.env.Main.Log.Error("chaos: join failed", "identity", a.user+"#"+a.device, "status", st, "body", string(raw), "err", err)
		return false
	}
	a.ch.stats.joins.Add(1)
	a.ch.mu.Lock()
	a.ch.keys[j.CallID] = j.E2EEKey
	a.ch.mu.Unlock()
	a.join, a.joinAsked, a.holding = &j, asked, true
	return true
}

// connect opens a LiveKit session with the latest token; replace says it
// takes over from the device's connected session, which LiveKit then
// closes with DUPLICATE_IDENTITY.
func (a *chaosActor) connect(replace bool) {
	a.holding = false
	old := a.lk
	if old != nil {
		old.leaving.Store(true)
	}
	s := &lkSession{}
	identity, lkRoom := a.join.Identity, a.join.LiveKitRoom
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(reason lksdk.DisconnectionReason) {
		s.gone.Store(true)
		if !s.leaving.Load() {
			a.ch.kicked(identity, lkRoom, s.timely, reason)
		}
	}
	r, err := calltest.Dial(a.join, cb)
	a.lk = nil
	if old != nil {
		old.room.Disconnect()
	}
	if err != nil {
		// The room of an ended call can refuse or drop a late joiner.
		a.ch.stats.connectErrors.Add(1)
		return
	}
	s.room = r
	s.timely = replace && old != nil && !old.gone.Load() || time.Since(a.joinAsked) < chaosGrace-time.Second
	a.ch.stats.connects.Add(1)
	a.ch.mu.Lock()
	a.ch.live[r.LocalParticipant.SID()] = s
	a.ch.mu.Unlock()
	a.lk = s
}

// out takes the device out: through the API (hanging up first, as the
// web client does), or by disconnecting from LiveKit only (a crash).
func (a *chaosActor) out(viaAPI bool) {
	if a.room == "alice-bob" {
		// In a direct room leaving through the API hangs up, which ends
		// the call for the other side too (TestHangingUpADirectCallEndsItForBoth);
		// this suite is about webhooks, so its direct-room devices crash.
		viaAPI = false
	}
	a.holding = false
	if a.lk != nil {
		a.lk.leaving.Store(true)
		a.lk.room.Disconnect()
		a.lk = nil
		if !viaAPI {
			a.ch.stats.crashes.Add(1)
		}
	}
	if viaAPI {
		st, raw, err := apiPost(a.ch.env.BaseURL, a.token, "/api/rooms/"+a.room+"/call/leave", map[string]string{"device_id": a.device})
		if err != nil || st != http.StatusOK {
			a.ch.env.Main.Log.Error("chaos: leave failed", "status", st, "body", string(raw), "err", err)
			return
		}
		a.ch.stats.leaves.Add(1)
	}
}

// kicked records a session LiveKit ended without its device asking. A
// session that connected in time belongs to a device the server must
// keep: LiveKit closing it (its room deleted with a call the server
// ended, or the participant removed) is a false removal. A late one may
// find its call over.
func (ch *chaos) kicked(identity, lkRoom string, timely bool, reason lksdk.DisconnectionReason) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !timely {
		ch.lateKicks++
		return
	}
	ch.violations = append(ch.violations, fmt.Sprintf("LiveKit closed %s's session in %s (%s) although it had connected in time", identity, lkRoom, reason))
}

// apiPost sends a JSON POST with a bearer token; safe off the test's
// goroutine.
func apiPost(base, token, path string, body any) (int, []byte, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes(), err
}

// checkEveryCallEndedOnce reads the log file directly: every call that
// started has exactly one call_ended. It returns how many started and
// ended.
func checkEveryCallEndedOnce(t *testing.T, path string) (started, ended int) {
	t.Helper()
	db, err := sql.Open("sqlite", eventlog.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT call_id, SUM(kind = 'call_started'), SUM(kind = 'call_ended') FROM events GROUP BY call_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var s, e int
		if err := rows.Scan(&id, &s, &e); err != nil {
			t.Fatal(err)
		}
		started, ended = started+s, ended+e
		if s != 1 || e != 1 {
			t.Errorf("call %s has %d call_started and %d call_ended facts, want 1 and 1", id, s, e)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return started, ended
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
