package chatto_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/outgoing/outgoingtest"
)

// hooksWait bounds every wait for a delivery; retries in these tests come
// after 20-100 ms.
const hooksWait = 10 * time.Second

// withHooks configures outgoing webhooks with fast retries.
func withHooks(maxAttempts int, eps ...config.Outgoing) calltest.Option {
	return func(c *config.Config) {
		c.Webhooks.Outgoing = eps
		c.Webhooks.MaxAttempts = maxAttempts
		c.Webhooks.Timeout = 2 * time.Second
		c.Webhooks.RetryBase, c.Webhooks.RetryMax = 20*time.Millisecond, 100*time.Millisecond
	}
}

func receiverHook(r *outgoingtest.Receiver, events ...string) config.Outgoing {
	return config.Outgoing{URL: r.URL, Secret: r.Secret, Events: events}
}

// hookData is what tests pick deliveries by.
type hookData struct {
	CallID string `json:"call_id"`
	RoomID string `json:"room_id"`
	UserID string `json:"user_id"`
}

func dataOf(d outgoingtest.Delivery) hookData {
	var h hookData
	json.Unmarshal(d.Data, &h)
	return h
}

// matching returns the accepted deliveries of one type and call (and,
// unless empty, user).
func matching(ds []outgoingtest.Delivery, typ, callID, userID string) []outgoingtest.Delivery {
	var out []outgoingtest.Delivery
	for _, d := range ds {
		if h := dataOf(d); d.Type == typ && h.CallID == callID && (userID == "" || h.UserID == userID) &&
			d.Answer >= 200 && d.Answer < 300 {
			out = append(out, d)
		}
	}
	return out
}

// hook waits for the accepted delivery of one type and call (and user)
// and decodes its data.
func hook[T any](t *testing.T, r *outgoingtest.Receiver, typ, callID, userID string) (outgoingtest.Delivery, T) {
	t.Helper()
	all := r.Wait(hooksWait, typ+" of call "+callID+" "+userID, func(all []outgoingtest.Delivery) bool {
		return len(matching(all, typ, callID, userID)) > 0
	})
	d := matching(all, typ, callID, userID)[0]
	var v T
	if err := json.Unmarshal(d.Data, &v); err != nil {
		t.Fatalf("%s data %s: %v", typ, d.Data, err)
	}
	return d, v
}

// ended waits for a call's call.ended and checks what every outcome
// shares.
func ended(t *testing.T, r *outgoingtest.Receiver, call *chatto.JoinResult, outcome string, participants, rung []string) chatto.CallEndedData {
	t.Helper()
	d, e := hook[chatto.CallEndedData](t, r, chatto.WebhookCallEnded, call.CallID, "")
	if e.Outcome != outcome || e.RoomID != call.RoomID || e.Type != call.Call.Type || e.CreatedBy != call.Call.CreatedBy ||
		!e.StartedAt.Equal(call.Call.StartedAt) || e.EndedAt.Before(e.StartedAt) || !d.Time.Equal(e.EndedAt) ||
		!slices.Equal(e.Participants, participants) || !slices.Equal(e.Rung, rung) {
		t.Fatalf("call.ended = %+v\nwant outcome %s, participants %v, rung %v, and the call's start %+v",
			e, outcome, participants, rung, call.Call)
	}
	if outcome != "completed" && e.DurationSeconds != 0 {
		t.Fatalf("%s call has a duration of %ds", outcome, e.DurationSeconds)
	}
	return e
}

func TestWebhooksAreSignedAndDeliveredForEveryCallOutcome(t *testing.T) {
	all := outgoingtest.NewReceiver(t)
	phone := outgoingtest.NewReceiver(t) // wants only what rings a phone
	env, clk := ringEnv(t, withHooks(3, receiverHook(all), receiverHook(phone, chatto.WebhookCallRinging, chatto.WebhookCallMissed)))
	alice, bob, carol := env.Login("alice"), env.Login("bob"), env.Login("carol")

	t.Log("completed: bob answers, both hang up 20s later")
	ja := alice.JoinAs("alice-bob", "a", "video")
	d, s := hook[chatto.CallStartedData](t, all, chatto.WebhookCallStarted, ja.CallID, "")
	if s != (chatto.CallStartedData{CallID: ja.CallID, RoomID: "alice-bob", Type: "video", CreatedBy: "alice", StartedAt: s.StartedAt}) ||
		!s.StartedAt.Equal(ja.Call.StartedAt) || !d.Time.Equal(s.StartedAt) {
		t.Fatalf("call.started = %+v (at %v), call %+v", s, d.Time, ja.Call)
	}
	_, r := hook[chatto.CallRingingData](t, all, chatto.WebhookCallRinging, ja.CallID, "bob")
	if r.RoomID != "alice-bob" || r.Caller != "alice" || r.Busy || !r.ExpiresAt.Equal(ja.Call.Ringing[0].ExpiresAt) {
		t.Fatalf("call.ringing = %+v, ring %+v", r, ja.Call.Ringing[0])
	}
	bob.Join("alice-bob", "b")
	clk.Advance(20 * time.Second)
	alice.Leave("alice-bob", "a")
	bob.Leave("alice-bob", "b")
	if e := ended(t, all, ja, "completed", []string{"alice", "bob"}, []string{"bob"}); e.DurationSeconds != 20 {
		t.Fatalf("completed call lasted %ds, want 20", e.DurationSeconds)
	}

	t.Log("missed: the ring times out")
	jm := alice.JoinAs("alice-bob", "a", "audio")
	calltest.Connect(t, jm) // so the join grace keeps her in while the clock moves
	calltest.Eventually(t, wait, "alice connected", connected(alice, "alice-bob", map[string]bool{"alice#a": true}))
	clk.Advance(46 * time.Second)
	_, m := hook[chatto.CallMissedData](t, all, chatto.WebhookCallMissed, jm.CallID, "bob")
	if m != (chatto.CallMissedData{CallID: jm.CallID, RoomID: "alice-bob", UserID: "bob", Caller: "alice"}) {
		t.Fatalf("call.missed = %+v", m)
	}
	ended(t, all, jm, "missed", []string{"alice"}, []string{"bob"})

	t.Log("declined")
	jd := alice.JoinAs("alice-bob", "a", "video")
	if st, code := bob.Post("/api/rooms/alice-bob/call/decline", nil); st != 200 {
		t.Fatalf("decline = %d %s", st, code)
	}
	ended(t, all, jd, "declined", []string{"alice"}, []string{"bob"})

	t.Log("busy: bob is in general's call and declines as busy")
	jg := bob.Join("general", "b")
	jb := alice.JoinAs("alice-bob", "a", "video")
	if _, r := hook[chatto.CallRingingData](t, all, chatto.WebhookCallRinging, jb.CallID, "bob"); !r.Busy {
		t.Fatalf("ringing someone in another call: %+v", r)
	}
	if st, code := bob.Post("/api/rooms/alice-bob/call/decline", map[string]string{"reason": "busy"}); st != 200 {
		t.Fatalf("decline busy = %d %s", st, code)
	}
	ended(t, all, jb, "busy", []string{"alice"}, []string{"bob"})

	t.Log("merged: bob brings alice into general's call")
	jr := alice.JoinAs("alice-bob", "a", "video")
	if st, code := bob.Post("/api/rooms/alice-bob/call/merge", map[string]string{"into_room": "general"}); st != 200 {
		t.Fatalf("merge = %d %s", st, code)
	}
	ended(t, all, jr, "merged", []string{"alice"}, []string{"bob"})
	bob.Leave("general", "b")
	ended(t, all, jg, "completed", []string{"bob"}, []string{})

	t.Log("cancelled: alice hangs up before bob answers")
	jc := alice.JoinAs("alice-bob", "a", "audio")
	alice.Leave("alice-bob", "a")
	ended(t, all, jc, "cancelled", []string{"alice"}, []string{"bob"})

	t.Log("an invite into a group call that times out is a missed call too")
	ji := carol.Join("general", "c")
	calltest.Connect(t, ji)
	calltest.Eventually(t, wait, "carol connected", connected(carol, "general", map[string]bool{"carol#c": true}))
	if st, code := carol.Post("/api/rooms/general/call/invite", map[string]string{"user_id": "bob"}); st != 200 {
		t.Fatalf("invite = %d %s", st, code)
	}
	if _, r := hook[chatto.CallRingingData](t, all, chatto.WebhookCallRinging, ji.CallID, "bob"); r.Caller != "carol" || r.RoomID != "general" {
		t.Fatalf("invite ring = %+v", r)
	}
	clk.Advance(46 * time.Second)
	if _, m := hook[chatto.CallMissedData](t, all, chatto.WebhookCallMissed, ji.CallID, "bob"); m.Caller != "carol" || m.RoomID != "general" {
		t.Fatalf("missed invite = %+v", m)
	}
	carol.Leave("general", "c")
	ended(t, all, ji, "completed", []string{"carol"}, []string{"bob"})

	// Every fact went out exactly once, each with its own id; the phone
	// endpoint got only rings and missed calls, with the same ids.
	time.Sleep(200 * time.Millisecond)
	got := all.All()
	ids := map[string]string{}
	for _, d := range got {
		if prev, dup := ids[d.ID]; dup {
			t.Errorf("webhook id %s delivered twice (%s, %s)", d.ID, prev, d.Type)
		}
		ids[d.ID] = d.Type
	}
	count := map[string]int{}
	for _, d := range got {
		count[d.Type]++
	}
	want := map[string]int{"call.started": 8, "call.ringing": 7, "call.ended": 8, "call.missed": 2}
	if !maps(count, want) {
		t.Errorf("delivered %v, want %v: %s", count, want, outgoingtest.Summary(got))
	}
	for _, d := range phone.Wait(hooksWait, "the phone's nine", func(ds []outgoingtest.Delivery) bool { return len(ds) == 9 }) {
		if d.Type != chatto.WebhookCallRinging && d.Type != chatto.WebhookCallMissed {
			t.Errorf("phone endpoint got %s", d.Type)
		}
		if ids[d.ID] != d.Type {
			t.Errorf("phone's %s %s has another id than the same fact at the other endpoint", d.Type, d.ID)
		}
	}

	var health struct {
		OK       bool `json:"ok"`
		Webhooks struct {
			Endpoints, Pending, Delivered, Dead int
		} `json:"webhooks"`
	}
	if st := alice.Do("GET", "/healthz", nil, &health); st != 200 || !health.OK || health.Webhooks.Endpoints != 2 ||
		health.Webhooks.Pending != 0 || health.Webhooks.Delivered != len(got)+9 || health.Webhooks.Dead != 0 {
		t.Fatalf("healthz = %d %+v, want %d delivered", st, health, len(got)+9)
	}
}

func first[A, B any](a A, _ B) A { return a }

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWebhookAfterTwoServerErrorsIsDeliveredOnceOnTheThirdAttempt(t *testing.T) {
	rcv := outgoingtest.NewReceiver(t)
	rcv.Answer(func(n int, _ outgoingtest.Delivery) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	env, _ := ringEnv(t, withHooks(5, receiverHook(rcv, chatto.WebhookCallStarted)))
	ja := env.Login("alice").JoinAs("general", "a", "audio")

	hook[chatto.CallStartedData](t, rcv, chatto.WebhookCallStarted, ja.CallID, "")
	time.Sleep(300 * time.Millisecond) // past any further retry
	got := rcv.All()
	if len(got) != 3 || got[0].Answer != 500 || got[1].Answer != 500 || got[2].Answer != 200 ||
		got[0].ID != got[2].ID || len(rcv.Accepted()) != 1 {
		t.Fatalf("attempts = %s, want 500, 500, 200 of one webhook", outgoingtest.Summary(got))
	}
	es, err := env.Main.Store().OutboxEntries(context.Background(), got[0].ID)
	if err != nil || len(es) != 1 || es[0].State != eventlog.OutboxDelivered || es[0].Attempts != 3 {
		t.Fatalf("outbox = %+v, %v", es, err)
	}
}

func TestPendingWebhooksAreDeliveredAfterAServerRestart(t *testing.T) {
	rcv := outgoingtest.NewReceiver(t)
	var up atomic.Bool
	rcv.Answer(func(int, outgoingtest.Delivery) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	// Retries slow enough that no delivery runs out of its 20 attempts
	// (about 20 s) before the stop, even on a loaded machine.
	env, clk := ringEnv(t, withHooks(20, receiverHook(rcv)), func(c *config.Config) {
		c.Webhooks.RetryBase, c.Webhooks.RetryMax = time.Second, time.Second
	})
	alice := env.Login("alice")
	ja := alice.JoinAs("alice-bob", "a", "video")
	calltest.Connect(t, ja)
	calltest.Eventually(t, wait, "alice connected", connected(alice, "alice-bob", map[string]bool{"alice#a": true}))
	rcv.Wait(hooksWait, "failed attempts of the start and the ring", func(all []outgoingtest.Delivery) bool {
		return slices.ContainsFunc(all, func(d outgoingtest.Delivery) bool { return d.Type == chatto.WebhookCallStarted }) &&
			slices.ContainsFunc(all, func(d outgoingtest.Delivery) bool { return d.Type == chatto.WebhookCallRinging })
	})

	// Down with both deliveries pending; the ring runs out meanwhile.
	env.StopServer()
	clk.Advance(10 * time.Minute)
	up.Store(true)
	before := map[string]bool{}
	for _, d := range rcv.All() {
		before[d.ID] = true
	}
	env.StartServer()

	for _, d := range []outgoingtest.Delivery{
		first(hook[chatto.CallStartedData](t, rcv, chatto.WebhookCallStarted, ja.CallID, "")),
		first(hook[chatto.CallRingingData](t, rcv, chatto.WebhookCallRinging, ja.CallID, "bob")),
	} {
		if !before[d.ID] {
			t.Errorf("%s after the restart has id %s, not the one tried before it", d.Type, d.ID)
		}
	}
	hook[chatto.CallMissedData](t, rcv, chatto.WebhookCallMissed, ja.CallID, "bob")
	ended(t, rcv, ja, "missed", []string{"alice"}, []string{"bob"})
	time.Sleep(200 * time.Millisecond)
	if n := len(rcv.Accepted()); n != 4 {
		t.Fatalf("accepted %d deliveries, want each of the four once: %s", n, outgoingtest.Summary(rcv.All()))
	}
}

func TestUnreachableWebhookReceiverLeavesDeadLettersInTheStoreAndHealthz(t *testing.T) {
	dead := config.Outgoing{URL: outgoingtest.DeadURL(t), Secret: outgoingtest.NewSecret()}
	env, _ := ringEnv(t, withHooks(2, dead))
	ja := env.Login("alice").JoinAs("alice-bob", "a", "video")

	var letters []eventlog.OutboxEntry
	calltest.Eventually(t, hooksWait, "two dead letters", func() bool {
		var err error
		letters, err = env.Main.Store().DeadOutbox(context.Background(), 10)
		return err == nil && len(letters) == 2
	})
	for _, l := range letters {
		var w chatto.Webhook
		json.Unmarshal(l.Payload, &w)
		if l.Attempts != 2 || l.Endpoint != dead.URL || !strings.Contains(l.LastError, "connection refused") ||
			!strings.Contains(string(l.Payload), ja.CallID) || w.Type != l.Event {
			t.Errorf("dead letter = %+v (%s)", l, l.Payload)
		}
	}
	st, raw := env.Login("bob").Raw("GET", "/healthz", nil)
	var health struct {
		OK       bool `json:"ok"`
		Webhooks struct {
			Endpoints, Pending, Delivered, Dead int
		} `json:"webhooks"`
	}
	json.Unmarshal(raw, &health)
	if st != 200 || !health.OK || health.Webhooks.Dead != 2 || health.Webhooks.Pending != 0 || health.Webhooks.Endpoints != 1 {
		t.Fatalf("healthz = %d %s; want ok with 2 dead letters", st, raw)
	}
	if strings.Contains(string(raw), strings.TrimPrefix(dead.Secret, "whsec_")) {
		t.Fatal("healthz shows the secret")
	}
	if logs := env.Logs(); strings.Count(logs, "outgoing webhook given up: dead letter") != 2 {
		t.Fatalf("dead letters are not logged once each:\n%s", logs)
	}
}
