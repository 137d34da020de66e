package calltest

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// StreamEvent is one Server-Sent Event.
type StreamEvent struct {
	Type string
	Data string
}

// Stream opens the user's /api/events stream and delivers its events
// until the test ends.
func Stream(t testing.TB, e *Env, c *Client) <-chan StreamEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.BaseURL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("open event stream: %v %v", err, resp)
	}
	out := make(chan StreamEvent, 64)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev StreamEvent
		for sc.Scan() {
			line := sc.Text()
			if line != "" {
				e.Observe("event stream of "+c.User, line)
			}
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Type = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.Type != "":
				select {
				case out <- ev:
				default:
				}
				ev = StreamEvent{}
			}
		}
	}()
	return out
}

// Next waits for the next stream event of type typ whose data satisfies
// match (nil: any), skipping others, and fails the test after timeout.
func Next(t testing.TB, events <-chan StreamEvent, timeout time.Duration, typ string, match func(data string) bool) StreamEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-events:
			if ev.Type == typ && (match == nil || match(ev.Data)) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, timeout)
			return StreamEvent{}
		}
	}
}

// None fails the test if an event of type typ arrives within d.
func None(t testing.TB, events <-chan StreamEvent, d time.Duration, typ string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-events:
			if ev.Type == typ {
				t.Fatalf("unexpected %s event: %s", typ, ev.Data)
			}
		case <-deadline:
			return
		}
	}
}
