package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/lkserver"
	"github.com/chattocalls/chatto/livekit"
)

// callsEnv is `chatto serve` running in-process on a real LiveKit, with
// users and rooms added by the admin commands, and a leak checker that
// sees the server's logs, every command's output and every key handed
// out.
type callsEnv struct {
	*adminEnv
	leaks *calltest.Env
	lk    *lkserver.Server
}

func newCallsEnv(t *testing.T) *callsEnv {
	t.Helper()
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	lk, err := lkserver.Start(context.Background(), lkserver.Options{APIKey: calltest.APIKey, APISecret: calltest.APISecret,
		WebhookURLs: []string{base + "/webhooks/livekit"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.Stop() })
	cfg := writeConfig(t, fmt.Sprintf(`[webserver]
url = %q
listen = "127.0.0.1:%d"
[database]
path = %q
[livekit]
enabled = true
url = %q
internal_url = %q
api_key = %q
api_secret = %q
ring_timeout = "1h"
`, base, port, filepath.Join(t.TempDir(), "chatto.db"), lk.URL(), lk.HTTPURL(), calltest.APIKey, calltest.APISecret))
	e := &callsEnv{adminEnv: &adminEnv{t: t, config: cfg, base: base}, leaks: calltest.Attach(t, base), lk: lk}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-config", cfg}, calltest.LogWriter(t), io.MultiWriter(calltest.LogWriter(t), e.leaks))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exited with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop within 20s")
		}
		for _, l := range e.leaks.Leaks() {
			t.Errorf("secret leaked: %s", l)
		}
	})
	calltest.Eventually(t, 10*time.Second, "server up", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	for _, u := range []string{"alice", "bob", "carol"} {
		e.ok("password-of-"+u+"\n", "users", "add", u, "--name", strings.ToUpper(u[:1])+u[1:], "--password-stdin")
	}
	e.ok("", "rooms", "add", "general", "--name", "General", "--members", "alice,bob,carol", "--admins", "alice")
	e.ok("", "rooms", "add", "alice-bob", "--name", "Alice & Bob", "--kind", "direct", "--members", "alice,bob")
	return e
}

// run runs a command and records its output for the leak check.
func (e *callsEnv) run(args ...string) (string, error) {
	e.t.Helper()
	out, err := e.cmd("", args...)
	e.leaks.Observe("output of chatto "+strings.Join(args, " "), out)
	if err != nil {
		e.leaks.Observe("error of chatto "+strings.Join(args, " "), err.Error())
	}
	return out, err
}

func (e *callsEnv) mustRun(args ...string) string {
	e.t.Helper()
	out, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("chatto %v: %v", args, err)
	}
	return out
}

// post sends a JSON POST with a bearer token and decodes a 200 into out.
func (e *callsEnv) post(token, path string, body, out any) int {
	e.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if !strings.HasSuffix(path, "/call/join") { // the one answer that hands its caller the key
		e.leaks.Observe("answer to POST "+path, string(got))
	}
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func (e *callsEnv) join(token, room, device string) *chatto.JoinResult {
	e.t.Helper()
	var j chatto.JoinResult
	if st := e.post(token, "/api/rooms/"+room+"/call/join", map[string]string{"device_id": device}, &j); st != 200 {
		e.t.Fatalf("join %s: %d", room, st)
	}
	e.leaks.AddKey(j.E2EEKey)
	return &j
}

func TestCallsCommandsListReplayAndEndThroughTheRunningServer(t *testing.T) {
	e := newCallsEnv(t)
	alice, bob := e.token("alice", "password-of-alice"), e.token("bob", "password-of-bob")
	calltest.Eventually(t, 10*time.Second, "the rooms reach the server", func() bool {
		return e.get(alice, "/api/rooms/alice-bob/messages") == 200 && e.get(bob, "/api/rooms/general/messages") == 200
	})

	if got := e.mustRun("calls", "list"); got != "no running calls\n" {
		t.Fatalf("calls list on an idle server:\n%s", got)
	}

	// A direct call bob declines: a ring with an outcome.
	direct := e.join(alice, "alice-bob", "laptop")
	if st := e.post(bob, "/api/rooms/alice-bob/call/decline", nil, nil); st != 200 {
		t.Fatalf("decline: %d", st)
	}

	// A group call: alice connects to LiveKit, bob holds a token.
	j := e.join(alice, "general", "laptop")
	room := calltest.Connect(t, j)
	defer room.Disconnect()
	calltest.Eventually(t, 10*time.Second, "alice's session confirmed by LiveKit's webhook", func() bool {
		out := e.mustRun("calls", "list")
		return strings.Contains(out, "alice#laptop (connected, speaker)")
	})
	e.join(bob, "general", "phone")
	text := e.mustRun("calls", "list")
	for _, want := range []string{"ROOM", "general", j.CallID, "video", "active", "alice", "bob#phone (pending, speaker)"} {
		if !strings.Contains(text, want) {
			t.Errorf("calls list lacks %q:\n%s", want, text)
		}
	}
	var listed []struct {
		RoomID       string `json:"room_id"`
		CallID       string `json:"call_id"`
		LiveKitRoom  string `json:"livekit_room"`
		Participants []struct {
			Identity  string
			Connected bool
		}
	}
	if err := json.Unmarshal([]byte(e.mustRun("calls", "list", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].CallID != j.CallID || listed[0].RoomID != "general" || len(listed[0].Participants) != 2 ||
		!listed[0].Participants[0].Connected || listed[0].Participants[1].Connected || listed[0].LiveKitRoom != j.LiveKitRoom {
		t.Fatalf("calls list --json = %+v", listed)
	}

	// Ending goes through the server: the clients hear of it and LiveKit
	// closes the room.
	events := e.stream(bob)
	// An order for another call, or signed with another secret, is refused.
	other, _ := livekit.OperatorToken(calltest.APIKey, calltest.APISecret, strings.Replace(j.LiveKitRoom, ".general.", ".alice-bob.", 1), time.Minute)
	forged, _ := livekit.OperatorToken(calltest.APIKey, "another-secret-0123456789abcdefghijklmnop", j.LiveKitRoom, time.Minute)
	for token, want := range map[string]int{other: 403, forged: 401, alice: 401} {
		if st := e.post(token, "/api/admin/rooms/general/call/end", nil, nil); st != want {
			t.Errorf("operator end with a wrong token: %d, want %d", st, want)
		}
	}
	// With no server at the address, nothing ends and the command says why.
	if _, err := e.run("calls", "end", "general", "--server", "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "no server answered") {
		t.Fatalf("calls end without a server: %v", err)
	}
	if got := e.mustRun("calls", "end", "general"); got != "ended call "+j.CallID+" in room general\n" {
		t.Fatalf("calls end: %q", got)
	}
	select {
	case ev := <-events:
		if !strings.Contains(ev, "call.ended") || !strings.Contains(ev, j.CallID) {
			t.Fatalf("bob's stream got %q, want call.ended", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bob's stream did not hear that the call ended")
	}
	calltest.Eventually(t, 10*time.Second, "LiveKit disconnects alice and drops the room", func() bool {
		rooms, err := lksdk.NewRoomServiceClient(e.lk.HTTPURL(), calltest.APIKey, calltest.APISecret).
			ListRooms(context.Background(), &lkproto.ListRoomsRequest{Names: []string{j.LiveKitRoom}})
		return err == nil && len(rooms.GetRooms()) == 0 && room.ConnectionState() == lksdk.ConnectionStateDisconnected
	})
	// An order for the call that just ended changes nothing, also once
	// another call runs in the room.
	stale, _ := livekit.OperatorToken(calltest.APIKey, calltest.APISecret, j.LiveKitRoom, time.Minute)
	e.join(bob, "general", "phone")
	if st := e.post(stale, "/api/admin/rooms/general/call/end", nil, nil); st != 409 {
		t.Errorf("operator end of an ended call: %d, want 409", st)
	}
	if st := e.post(bob, "/api/rooms/general/call/leave", map[string]string{"device_id": "phone"}, nil); st != 200 {
		t.Fatalf("bob leaves: %d", st)
	}
	if _, err := e.run("calls", "end", "general"); err == nil || !strings.Contains(err.Error(), "no running call") {
		t.Fatalf("calls end of an ended call: %v", err)
	}
	if got := e.mustRun("calls", "list"); got != "no running calls\n" {
		t.Fatalf("calls list after the end:\n%s", got)
	}

	// The group call's history, as text and JSON.
	text = e.mustRun("calls", "replay", j.CallID)
	for _, want := range []string{
		"call " + j.CallID + " in room general (video)",
		"started ", "by alice",
		"by user: ended (operator), outcome completed, duration ",
		"alice#laptop (Alice, speaker): joined ", " by user, connected ", " by webhook, 1 session(s), left ",
		"bob#phone (Bob, speaker): joined ", "never connected",
		"call_started", "participant_joined", "call_ended",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("calls replay lacks %q:\n%s", want, text)
		}
	}
	var r chatto.Replay
	if err := json.Unmarshal([]byte(e.mustRun("calls", "replay", j.CallID, "--json")), &r); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range r.Events {
		kinds = append(kinds, ev.Kind+"/"+ev.Source)
	}
	wantKinds := "call_started/user participant_joined/user participant_joined/livekit participant_joined/user call_ended/user"
	if strings.Join(kinds, " ") != wantKinds || r.Outcome != "completed" || r.EndReason != "ended (operator)" ||
		len(r.Stays) != 2 || r.Stays[0].ConnectedBy != "livekit" || r.Stays[0].Left == nil || r.Stays[1].Connected != nil {
		t.Fatalf("calls replay --json = %+v, events %s", r, kinds)
	}

	// The declined direct call: its ring and outcome.
	text = e.mustRun("calls", "replay", direct.CallID)
	for _, want := range []string{"outcome declined", "rings:", "bob rung by alice#laptop (call)", ": declined ", " by user"} {
		if !strings.Contains(text, want) {
			t.Errorf("replay of the declined call lacks %q:\n%s", want, text)
		}
	}
	if _, err := e.run("calls", "replay", "no-such-call"); err == nil || !strings.Contains(err.Error(), "no call with that id") {
		t.Fatalf("replay of an unknown call: %v", err)
	}
	// The keys handed out are nowhere in the outputs (checked at the end
	// with the logs); make sure the check knows them in every form.
	if raw, _ := base64.StdEncoding.DecodeString(j.E2EEKey); len(raw) != chatto.KeySize {
		t.Fatalf("join answer key: %d bytes", len(raw))
	}
}

// stream opens a user's event stream and delivers each event's type and
// data as one string.
func (e *callsEnv) stream(token string) <-chan string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		e.t.Fatalf("open event stream: %v %v", err, resp)
	}
	out := make(chan string, 64)
	e.t.Cleanup(cancel)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			e.leaks.Observe("event stream", line)
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && typ == "call.ended":
				out <- typ + " " + line
			}
		}
	}()
	return out
}

func TestLocalBaseURLReadsAnAnyAddressAsLoopback(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"[::1]:9000":     "http://[::1]:9000",
		"chat.lan:80":    "http://chat.lan:80",
	} {
		if got := localBaseURL(listen); got != want {
			t.Errorf("localBaseURL(%q) = %q, want %q", listen, got, want)
		}
	}
}
