package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/livekit"
)

const callsUsage = `usage:
  chatto calls list [--json]             the running calls, read from the database
  chatto calls replay <call-id> [--json] a call's whole history, rebuilt from the log
  chatto calls end <room> [--server URL] end a room's call for everyone, through the running server
Each also takes -config path. list and replay read the database (a running
server may keep running); end asks the running server at --server (default:
http://<webserver.listen>, 0.0.0.0 read as 127.0.0.1), signed with the
LiveKit API key, so the LiveKit room is deleted and the clients are told.`

// calls runs "chatto calls ...".
func (c *cli) calls(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(c.stderr, callsUsage)
		return errors.New("chatto calls: want a subcommand")
	}
	sub, args := args[0], args[1:]
	name := "chatto calls " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, callsUsage) }
	path := fs.String("config", defaultConfigPath(), "path to chatto.toml (empty: defaults and CHATTO_* env only)")
	asJSON := fs.Bool("json", false, "print JSON")
	serverURL := fs.String("server", "", "base URL of the running server (default: from webserver.listen)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "replay": 1, "end": 1}
	n, ok := want[sub]
	if !ok {
		fmt.Fprintln(c.stderr, callsUsage)
		return fmt.Errorf("unknown command %q", name)
	}
	if len(pos) != n {
		fmt.Fprintln(c.stderr, callsUsage)
		return fmt.Errorf("%s: want %d argument(s), got %d", name, n, len(pos))
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Database.Path); err != nil {
		return fmt.Errorf("%s: no database at %s (database.path): %w", name, cfg.Database.Path, err)
	}
	store, err := eventlog.OpenCurrent(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer store.Close()
	switch sub {
	case "list":
		return c.listCalls(ctx, store, *asJSON)
	case "replay":
		return c.replayCall(ctx, store, pos[0], *asJSON)
	default:
		return c.endCall(ctx, cfg, store, pos[0], *serverURL)
	}
}

// listedCall is one running call as `calls list --json` prints it.
type listedCall struct {
	RoomID       string         `json:"room_id"`
	CallID       string         `json:"call_id"`
	Type         string         `json:"type"`
	State        string         `json:"state"`
	StartedAt    time.Time      `json:"started_at"`
	StartedBy    string         `json:"started_by"`
	Participants []listedDevice `json:"participants"`
	Ringing      []string       `json:"ringing"`
	LiveKitRoom  string         `json:"livekit_room"`
}

type listedDevice struct {
	Identity  string    `json:"identity"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	JoinedAt  time.Time `json:"joined_at"`
	Connected bool      `json:"connected"`
}

// runningCalls rebuilds the running calls from the log, as the server
// does at boot.
func runningCalls(ctx context.Context, store *eventlog.Store) ([]*eventlog.Call, error) {
	evs, err := store.ActiveEvents(ctx)
	if err != nil {
		return nil, err
	}
	proj := eventlog.NewProjection()
	for _, e := range evs {
		proj.Apply(e)
	}
	return proj.Calls(), nil
}

func (c *cli) listCalls(ctx context.Context, store *eventlog.Store, asJSON bool) error {
	calls, err := runningCalls(ctx, store)
	if err != nil {
		return err
	}
	serverID, err := store.ServerID(ctx)
	if err != nil {
		return err
	}
	out := make([]listedCall, 0, len(calls))
	for _, call := range calls {
		l := listedCall{
			RoomID: call.RoomID, CallID: call.ID, Type: call.Type, State: "active", StartedAt: call.StartedAt.UTC(),
			StartedBy: call.StartedBy, Participants: []listedDevice{}, Ringing: []string{},
			LiveKitRoom: livekit.RoomName(serverID, call.RoomID, call.ID),
		}
		if call.Ringing() {
			l.State = "ringing"
		}
		for _, p := range call.Sorted() {
			l.Participants = append(l.Participants, listedDevice{Identity: p.Identity, UserID: p.UserID, Name: p.Name,
				Role: p.Role, JoinedAt: p.JoinedAt.UTC(), Connected: !p.Pending()})
		}
		for _, r := range call.SortedRings() {
			l.Ringing = append(l.Ringing, r.UserID)
		}
		out = append(out, l)
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintln(c.stdout, "no running calls")
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROOM\tCALL\tTYPE\tSTATE\tSTARTED (UTC)\tBY\tDEVICES")
	for _, l := range out {
		var devs []string
		for _, p := range l.Participants {
			st := "connected"
			if !p.Connected {
				st = "pending"
			}
			devs = append(devs, fmt.Sprintf("%s (%s, %s)", p.Identity, st, p.Role))
		}
		for _, u := range l.Ringing {
			devs = append(devs, u+" (ringing)")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.RoomID, l.CallID, l.Type, l.State,
			l.StartedAt.Format("2006-01-02 15:04:05"), l.StartedBy, strings.Join(devs, ", "))
	}
	return tw.Flush()
}

func (c *cli) replayCall(ctx context.Context, store *eventlog.Store, callID string, asJSON bool) error {
	evs, err := store.CallEvents(ctx, callID)
	if err != nil {
		return err
	}
	r, err := chatto.BuildReplay(evs)
	if err != nil {
		return fmt.Errorf("chatto calls replay: %s: %s", callID, chatto.ErrorMessage(err))
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(c.stdout)
}

// operatorTokenTTL bounds how long a `calls end` order can be replayed.
const operatorTokenTTL = time.Minute

// endCall asks the running server to end the room's running call: the
// server records the facts, deletes the LiveKit room and tells the
// clients, which this process could not do for a server's state.
func (c *cli) endCall(ctx context.Context, cfg config.Config, store *eventlog.Store, roomID, base string) error {
	lk := cfg.LiveKit
	if !lk.Enabled {
		return errors.New("chatto calls end: calls are disabled in the configuration (livekit.enabled)")
	}
	calls, err := runningCalls(ctx, store)
	if err != nil {
		return err
	}
	var call *eventlog.Call
	for _, cl := range calls {
		if cl.RoomID == roomID {
			call = cl
		}
	}
	if call == nil {
		return fmt.Errorf("chatto calls end: room %s has no running call", roomID)
	}
	serverID := lk.ServerID
	if serverID == "" {
		if serverID, err = store.ServerID(ctx); err != nil {
			return err
		}
	}
	token, err := livekit.OperatorToken(lk.APIKey, lk.APISecret, livekit.RoomName(serverID, roomID, call.ID), operatorTokenTTL)
	if err != nil {
		return err
	}
	if base == "" {
		base = localBaseURL(cfg.Webserver.Listen)
	}
	endpoint := strings.TrimRight(base, "/") + "/api/admin/rooms/" + url.PathEscape(roomID) + "/call/end"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return fmt.Errorf("chatto calls end: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("chatto calls end: no server answered at %s (is chatto serve running? --server sets its address): %w", base, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("chatto calls end: the server refused (%d %s): %s", resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("chatto calls end: the server answered %d", resp.StatusCode)
	}
	_, err = fmt.Fprintf(c.stdout, "ended call %s in room %s\n", call.ID, roomID)
	return err
}

// localBaseURL is the server's own address from webserver.listen, for a
// command run on the same machine.
func localBaseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
