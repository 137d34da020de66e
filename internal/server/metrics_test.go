package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/config"
)

// scrape is one read of /metrics.
type scrape struct {
	t        *testing.T
	text     string
	families map[string]*dto.MetricFamily
}

// scrapeMetrics GETs /metrics with the given headers and expects 200.
func scrapeMetrics(t *testing.T, e *calltest.Env, header http.Header) scrape {
	t.Helper()
	st, body := getMetrics(t, e, header)
	if st != 200 {
		t.Fatalf("GET /metrics: %d %s", st, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return scrape{t: t, text: body, families: fams}
}

func getMetrics(t *testing.T, e *calltest.Env, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.BaseURL+"/metrics", nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	e.Observe("answer to GET /metrics", string(raw))
	return resp.StatusCode, string(raw)
}

// value is the sample of a counter, gauge or (its count) histogram whose
// labels include the given name=value pairs; -1 if there is none.
func (s scrape) value(name string, labels ...string) float64 {
	s.t.Helper()
	f := s.families[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// want fails unless the sample is exactly v.
func (s scrape) want(v float64, name string, labels ...string) {
	s.t.Helper()
	if got := s.value(name, labels...); got != v {
		s.t.Errorf("%s%v = %v, want %v", name, labels, got, v)
	}
}

// postWebhook signs body as LiveKit would (with secret) and posts it.
func postWebhook(t *testing.T, e *calltest.Env, body []byte, secret string) int {
	t.Helper()
	sum := sha256.Sum256(body)
	jwt, err := auth.NewAccessToken(calltest.APIKey, secret).SetValidFor(5 * time.Minute).
		SetSha256(base64.StdEncoding.EncodeToString(sum[:])).ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", e.BaseURL+"/webhooks/livekit", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/webhook+json")
	req.Header.Set("Authorization", jwt)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestMetricsCountJoinsWebhooksCallsAndStreams(t *testing.T) {
	e := calltest.Start(t)
	// A second server in the same process has its own registry: nothing
	// it counts shows up in the first one's, and registering twice does
	// not collide.
	peer := e.StartPeer(t)

	alice, bob, dave := e.Login("alice"), e.Login("bob"), e.Login("dave")
	calltest.Stream(t, e, bob)
	j := alice.Join("general", "laptop")
	room := calltest.Connect(t, j)
	defer room.Disconnect()
	bob.Join("general", "phone")
	if st, _ := dave.Raw("POST", "/api/rooms/general/call/join", map[string]string{"device_id": "x"}); st != 403 {
		t.Fatalf("dave (not a member) joins general: %d", st)
	}
	calltest.Eventually(t, 10*time.Second, "LiveKit's participant_joined applied", func() bool {
		return calltest.Identities(alice.Call("general"))[j.Identity]
	})

	// A webhook with a bad signature, and one event posted twice.
	left := webhookEvent(t, "EV_metrics_left", "participant_left", j.LiveKitRoom, "ghost#x", "PA_ghost")
	if st := postWebhook(t, e, left, "not-the-secret-0123456789abcdefghijklmnop"); st != 401 {
		t.Fatalf("forged webhook: %d", st)
	}
	for range 2 {
		if st := postWebhook(t, e, left, calltest.APISecret); st != 200 {
			t.Fatalf("webhook: %d", st)
		}
	}
	if st := postWebhook(t, e, webhookEvent(t, "EV_other", "participant_left", "someone-else.room.call", "x#y", "PA_x"), calltest.APISecret); st != 200 {
		t.Fatalf("webhook for another server's room: %d", st)
	}

	s := scrapeMetrics(t, e, nil)
	s.want(2, "chatto_joins_total", "result", "ok")
	s.want(1, "chatto_joins_total", "result", "forbidden")
	s.want(0, "chatto_joins_total", "result", "rate_limited")
	s.want(2, "chatto_join_duration_seconds")
	s.want(1, "chatto_calls_started_total")
	s.want(1, "chatto_active_calls")
	s.want(1, "chatto_call_participants", "state", "connected")
	s.want(1, "chatto_call_participants", "state", "pending")
	s.want(1, "chatto_event_streams")
	s.want(1, "chatto_webhooks_rejected_total", "reason", "signature")
	s.want(1, "chatto_webhooks_duplicate_total")
	if got := s.value("chatto_webhooks_applied_total"); got < 2 { // alice's join and the ghost's leave
		t.Errorf("chatto_webhooks_applied_total = %v, want at least 2", got)
	}
	if got := s.value("chatto_webhooks_ignored_total"); got < 1 {
		t.Errorf("chatto_webhooks_ignored_total = %v, want at least 1", got)
	}
	if r, a, d, i := s.value("chatto_webhooks_received_total"), s.value("chatto_webhooks_applied_total"),
		s.value("chatto_webhooks_duplicate_total"), s.value("chatto_webhooks_ignored_total"); r != a+d+i+1 {
		t.Errorf("received %v webhooks, but applied %v + duplicate %v + ignored %v + 1 rejected differ", r, a, d, i)
	}
	if got := s.value("chatto_webhook_duration_seconds"); got != s.value("chatto_webhooks_received_total") {
		t.Errorf("webhook latency observations %v, received %v", got, s.value("chatto_webhooks_received_total"))
	}
	if got := s.value("chatto_eventlog_events"); got < 4 { // started, two joins, a leave tombstone
		t.Errorf("chatto_eventlog_events = %v", got)
	}
	if got := s.value("chatto_database_size_bytes", "file", "db"); got <= 0 {
		t.Errorf("chatto_database_size_bytes{file=db} = %v", got)
	}
	if s.value("go_goroutines") <= 0 || s.value("process_open_fds") <= 0 {
		t.Error("the Go runtime and process metrics are missing")
	}
	// Aggregates only: no room, user, device or call in any label.
	for _, personal := range []string{"general", "alice", "bob", "laptop", j.CallID} {
		if strings.Contains(s.text, personal) {
			t.Errorf("/metrics names %q", personal)
		}
	}

	// The reconcile pass and the end of the call.
	if err := e.Service().Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := alice.Do("POST", "/api/rooms/general/call/end", nil, nil); st != 200 {
		t.Fatalf("end: %d", st)
	}
	s = scrapeMetrics(t, e, nil)
	s.want(1, "chatto_calls_ended_total", "outcome", "completed")
	s.want(0, "chatto_calls_ended_total", "outcome", "missed")
	s.want(0, "chatto_active_calls")
	s.want(0, "chatto_call_participants", "state", "connected")
	s.want(0, "chatto_reconcile_failures_total")
	if runs := s.value("chatto_reconcile_runs_total"); runs < 1 {
		t.Errorf("chatto_reconcile_runs_total = %v", runs)
	}
	if at := s.value("chatto_reconcile_last_success_timestamp_seconds"); time.Since(time.Unix(int64(at), 0)) > time.Minute {
		t.Errorf("last successful reconcile at %v", at)
	}

	p := scrapeMetrics(t, peer, nil)
	p.want(0, "chatto_joins_total", "result", "ok")
	p.want(0, "chatto_calls_started_total")
	p.want(0, "chatto_event_streams")
}

func TestMetricsRingOutcomes(t *testing.T) {
	e := calltest.Start(t)
	alice, bob := e.Login("alice"), e.Login("bob")
	alice.Join("alice-bob", "laptop") // rings bob
	if st := bob.Do("POST", "/api/rooms/alice-bob/call/decline", nil, nil); st != 200 {
		t.Fatalf("decline: %d", st)
	}
	s := scrapeMetrics(t, e, nil)
	s.want(1, "chatto_rings_started_total")
	s.want(1, "chatto_rings_total", "outcome", "declined")
	s.want(0, "chatto_rings_total", "outcome", "missed")
	s.want(1, "chatto_calls_ended_total", "outcome", "declined")
	s.want(0, "chatto_rings_active")
}

func TestMetricsAreForMetricsAllowOrTheToken(t *testing.T) {
	const token = "scrape-token-0123456789abcdef"
	// No proxy, and the default metrics_allow: this machine.
	direct := calltest.Start(t, trust())
	// Behind a trusted proxy on this machine that names its clients.
	open := calltest.Start(t, trust("127.0.0.1/32"))
	withToken := calltest.Start(t, trust("127.0.0.1/32"), func(c *config.Config) { c.Webserver.MetricsToken = token })
	// A monitoring network elsewhere, and not this machine.
	narrow := calltest.Start(t, trust("127.0.0.1/32"), func(c *config.Config) { c.Webserver.MetricsAllow = []string{"198.51.100.0/24"} })
	elsewhere := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	for _, tc := range []struct {
		name   string
		env    *calltest.Env
		header http.Header
		want   int
	}{
		{name: "loopback by default", env: direct, want: 200},
		{name: "an address forwarded by a peer that is no trusted proxy is not the client", env: direct, header: elsewhere, want: 200},
		{name: "the trusted proxy itself", env: open, want: 200},
		{name: "loopback, token configured", env: withToken, want: 200},
		{name: "from elsewhere through a trusted proxy", env: open, header: elsewhere, want: 403},
		{name: "forged loopback address through a trusted proxy", env: open,
			header: http.Header{"X-Forwarded-For": {"127.0.0.1, 203.0.113.9"}}, want: 403},
		{name: "from elsewhere with the token", env: withToken,
			header: http.Header{"X-Forwarded-For": elsewhere["X-Forwarded-For"], "Authorization": {"Bearer " + token}}, want: 200},
		{name: "from elsewhere with a wrong token", env: withToken,
			header: http.Header{"X-Forwarded-For": elsewhere["X-Forwarded-For"], "Authorization": {"Bearer " + token + "x"}}, want: 401},
		{name: "a token when none is configured", env: open,
			header: http.Header{"X-Forwarded-For": elsewhere["X-Forwarded-For"], "Authorization": {"Bearer " + token}}, want: 401},
		{name: "loopback with a session's bearer token", env: withToken, header: http.Header{"Authorization": {"Bearer abc"}}, want: 200},
		{name: "from elsewhere without the token", env: withToken, header: elsewhere, want: 403},
		{name: "loopback when metrics_allow leaves it out", env: narrow, want: 403},
		{name: "a client in metrics_allow through a trusted proxy", env: narrow,
			header: http.Header{"X-Forwarded-For": {"198.51.100.9"}}, want: 200},
		{name: "a client outside metrics_allow through a trusted proxy", env: narrow, header: elsewhere, want: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := getMetrics(t, tc.env, tc.header)
			if st != tc.want {
				t.Fatalf("status %d, want %d: %.200s", st, tc.want, body)
			}
			var e calltest.APIError
			json.Unmarshal([]byte(body), &e)
			if want := map[int]string{401: "unauthorized", 403: "forbidden"}[st]; e.Error.Code != want {
				t.Errorf("refusal %d with code %q, want %q: %s", st, e.Error.Code, want, body)
			}
		})
	}
	if strings.Contains(withToken.Logs(), token) {
		t.Error("the metrics token is in the server's logs")
	}
}

func webhookEvent(t *testing.T, id, event, room, identity, sid string) []byte {
	t.Helper()
	ev := &lkproto.WebhookEvent{Id: id, Event: event, Room: &lkproto.Room{Name: room}, CreatedAt: time.Now().Unix(),
		Participant: &lkproto.ParticipantInfo{Identity: identity, Sid: sid, Name: identity}}
	raw, err := protojson.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
