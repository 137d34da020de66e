package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chattocalls/chatto/internal/calltest"
	"github.com/chattocalls/chatto/internal/lkserver"
)

// adminEnv is a config file whose database is in a temp dir.
type adminEnv struct {
	t      *testing.T
	config string
	base   string
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	port, err := lkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := writeConfig(t, fmt.Sprintf("[webserver]\nurl = %q\nlisten = \"127.0.0.1:%d\"\n[database]\npath = %q\n",
		base, port, filepath.Join(t.TempDir(), "chatto.db")))
	return &adminEnv{t: t, config: cfg, base: base}
}

// cmd runs a command line with stdin and returns stdout and the error.
func (e *adminEnv) cmd(stdin string, args ...string) (string, error) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	err := runWithInput(context.Background(), append(args, "-config", e.config), stdin, &out, &errOut)
	if strings.Contains(out.String()+errOut.String(), "correct horse") {
		e.t.Errorf("%v printed the password", args)
	}
	return out.String(), err
}

func (e *adminEnv) ok(stdin string, args ...string) string {
	e.t.Helper()
	out, err := e.cmd(stdin, args...)
	if err != nil {
		e.t.Fatalf("%v: %v", args, err)
	}
	return out
}

func (e *adminEnv) fails(want string, stdin string, args ...string) {
	e.t.Helper()
	_, err := e.cmd(stdin, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		e.t.Fatalf("%v: error %v, want one containing %q", args, err, want)
	}
}

// login signs in against the running server and returns the status.
func (e *adminEnv) login(user, password string) int {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	req, _ := http.NewRequest("POST", e.base+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// token signs in and returns the session token.
func (e *adminEnv) token(user, password string) string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	req, _ := http.NewRequest("POST", e.base+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		e.t.Fatalf("sign in %s: %d", user, resp.StatusCode)
	}
	return out.Token
}

// get sends an authenticated GET and returns the status.
func (e *adminEnv) get(token, path string) int {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAdminCommandsManageUsersAndRoomsOfARunningServer(t *testing.T) {
	e := newAdminEnv(t)

	// serve, unlike dev, starts with no users at all.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-config", e.config}, calltest.LogWriter(t), calltest.LogWriter(t))
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exited with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15s")
		}
	}()
	calltest.Eventually(t, 10*time.Second, "server up", func() bool {
		resp, err := http.Get(e.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if st := e.login("alice", "demo"); st != 401 {
		t.Fatalf("demo sign-in on a serve database: %d, want 401", st)
	}

	e.ok("correct horse\n", "users", "add", "erin", "--name", "Erin Example", "--password-stdin")
	e.ok("battery staple\n", "users", "add", "--password-stdin", "frank")
	e.ok("another one\n", "users", "add", "gus", "--password-stdin")
	e.fails("already exists", "correct horse\n", "users", "add", "erin", "--password-stdin")
	e.fails("user id", "correct horse\n", "users", "add", "Erin#1", "--password-stdin")
	e.fails("at least 8", "short\n", "users", "add", "hal", "--password-stdin")
	e.fails("--password-stdin", "", "users", "add", "hal")
	e.fails("does not take --kind", "", "users", "rm", "gus", "--kind", "direct")
	e.fails("unknown command", "", "users", "frobnicate", "gus")

	// The running server sees the new users without a restart.
	calltest.Eventually(t, 10*time.Second, "erin can sign in", func() bool { return e.login("erin", "correct horse") == 200 })

	e.ok("", "rooms", "add", "team", "--name", "Team", "--kind", "group", "--members", "erin,frank,gus", "--admins", "erin")
	e.ok("", "rooms", "add", "erin-frank", "--name", "Erin & Frank", "--kind", "direct", "--members", "erin,frank")
	e.fails("exactly two", "", "rooms", "add", "trio", "--name", "Trio", "--kind", "direct", "--members", "erin,frank,gus")
	e.fails("not one of the members", "", "rooms", "add", "x", "--name", "X", "--members", "erin", "--admins", "frank")
	e.fails("no user", "", "rooms", "add", "y", "--name", "Y", "--members", "erin,nobody")
	e.fails("--name is required", "", "rooms", "add", "z", "--members", "erin")
	if got, want := e.ok("", "rooms", "members", "team"), "erin\tadmin\tErin Example\nfrank\tmember\tfrank\ngus\tmember\tgus\n"; got != want {
		t.Fatalf("members of team:\n%s\nwant\n%s", got, want)
	}
	if got, want := e.ok("", "rooms", "members", "team", "--rm", "gus", "--admin", "frank"), "erin\tadmin\tErin Example\nfrank\tadmin\tfrank\n"; got != want {
		t.Fatalf("members of team after the change:\n%s\nwant\n%s", got, want)
	}
	e.fails("not a member", "", "rooms", "members", "team", "--rm", "gus")

	// The running server applies a removal to a signed-in member.
	frank := e.token("frank", "battery staple")
	calltest.Eventually(t, 10*time.Second, "the new room reaches the server", func() bool { return e.get(frank, "/api/rooms/team/messages") == 200 })
	e.ok("", "rooms", "members", "team", "--rm", "frank")
	calltest.Eventually(t, 10*time.Second, "frank is refused team", func() bool { return e.get(frank, "/api/rooms/team/messages") == 403 })
	e.fails("at most two", "", "rooms", "members", "erin-frank", "--add", "gus")
	e.fails("no room", "", "rooms", "members", "nowhere")

	// A new password ends the old sessions; the old password stops working.
	e.ok("a new secret\n", "users", "passwd", "erin", "--password-stdin")
	calltest.Eventually(t, 10*time.Second, "erin's new password works", func() bool { return e.login("erin", "a new secret") == 200 })
	if st := e.login("erin", "correct horse"); st != 401 {
		t.Fatalf("old password after passwd: %d", st)
	}
	e.ok("", "users", "rm", "gus")
	e.fails("no user", "", "users", "rm", "gus")
	calltest.Eventually(t, 10*time.Second, "gus cannot sign in", func() bool { return e.login("gus", "another one") == 401 })
}
