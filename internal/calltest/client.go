package calltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/chattocalls/chatto/chatto"
)

// Client is a signed-in user talking to the HTTP API.
type Client struct {
	t     testing.TB
	env   *Env
	User  string
	Token string
}

// APIError is the error body shape.
type APIError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Do sends a request (body as JSON unless it is []byte) and decodes a 2xx
// answer into out. It returns the status.
func (c *Client) Do(method, path string, body, out any) int {
	c.t.Helper()
	st, raw := c.Raw(method, path, body)
	if st < 300 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return st
}

// Raw sends a request and returns status and body.
func (c *Client) Raw(method, path string, body any) (int, []byte) {
	c.t.Helper()
	a := c.Send(method, path, body)
	return a.Status, a.Body
}

// Answer is what a request got back: its status, body, error (for an
// error answer) and Retry-After.
type Answer struct {
	Status     int
	Body       []byte
	Error      APIError
	RetryAfter string
}

// Send sends a request (body as JSON unless it is []byte) and returns the
// whole answer.
func (c *Client) Send(method, path string, body any) Answer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.env.BaseURL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	// As a browser on the server's own page would: sign-in needs it.
	req.Header.Set("Origin", c.env.BaseURL)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	c.env.observeAnswer(method, path, resp.StatusCode, raw)
	a := Answer{Status: resp.StatusCode, Body: raw, RetryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 300 {
		json.Unmarshal(raw, &a.Error)
	}
	return a
}

// Join joins a room's call from a device and fails the test on error.
func (c *Client) Join(room, device string) *chatto.JoinResult {
	c.t.Helper()
	return c.JoinAs(room, device, "")
}

// Leave leaves a room's call from a device.
func (c *Client) Leave(room, device string) {
	c.t.Helper()
	if st, raw := c.Raw("POST", "/api/rooms/"+room+"/call/leave", map[string]string{"device_id": device}); st != 200 {
		c.t.Fatalf("%s leaves %s: status %d: %s", c.User, room, st, raw)
	}
}

// Call returns the room's active call, or nil.
func (c *Client) Call(room string) *chatto.CallView {
	c.t.Helper()
	var v *chatto.CallView
	st, raw := c.Raw("GET", "/api/rooms/"+room+"/call", nil)
	if st != 200 {
		c.t.Fatalf("get call of %s: status %d: %s", room, st, raw)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatalf("get call of %s: %v in %s", room, err, raw)
	}
	return v
}

// Connect joins LiveKit with a join result, as a client would.
func Connect(t testing.TB, j *chatto.JoinResult) *lksdk.Room {
	t.Helper()
	r, err := Dial(j, nil)
	if err != nil {
		t.Fatalf("connect %s to LiveKit: %v", j.Identity, err)
	}
	t.Cleanup(r.Disconnect)
	return r
}

// Dial is Connect for goroutines other than the test's: it returns the
// error, and the caller disconnects the room. cb may be nil.
func Dial(j *chatto.JoinResult, cb *lksdk.RoomCallback) (*lksdk.Room, error) {
	return DialWithin(j, cb, 15*time.Second)
}

// DialWithin is Dial giving up after timeout.
func DialWithin(j *chatto.JoinResult, cb *lksdk.RoomCallback, timeout time.Duration) (*lksdk.Room, error) {
	// The SDK logs every ICE state change to stdout; tests assert instead.
	quietSDK.Do(func() { lksdk.SetLogger(protologger.GetDiscardLogger()) })
	if cb == nil {
		cb = lksdk.NewRoomCallback()
	}
	return lksdk.ConnectToRoomWithToken(j.LiveKitURL, j.Token, cb,
		lksdk.WithConnectTimeout(timeout),
		lksdk.WithDisableRegionDiscovery(),
		lksdk.WithAutoSubscribe(false),
	)
}

var quietSDK sync.Once

// JoinAs joins a room's call from a device asking for a call type ("" for
// the default) and fails the test on error.
func (c *Client) JoinAs(room, device, typ string) *chatto.JoinResult {
	c.t.Helper()
	var res chatto.JoinResult
	st, raw := c.Raw("POST", "/api/rooms/"+room+"/call/join", map[string]string{"device_id": device, "type": typ})
	if st != 200 {
		c.t.Fatalf("%s joins %s: status %d: %s", c.User, room, st, raw)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		c.t.Fatal(err)
	}
	return &res
}

// Post sends a JSON POST and returns the status and, for an error answer,
// its code.
func (c *Client) Post(path string, body any) (int, string) {
	c.t.Helper()
	st, raw := c.Raw("POST", path, body)
	if st < 300 {
		return st, ""
	}
	var e APIError
	if err := json.Unmarshal(raw, &e); err != nil {
		c.t.Fatalf("POST %s: %d with a body that is not an error: %s", path, st, raw)
	}
	return st, e.Error.Code
}
