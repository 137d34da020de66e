package host

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestHubCapsStreamsPerUserAndInAll(t *testing.T) {
	h := NewHub(2, 3)
	_, c1, err1 := h.Subscribe("alice", "s1")
	_, _, err2 := h.Subscribe("alice", "s2")
	if err1 != nil || err2 != nil {
		t.Fatalf("first two streams: %v, %v", err1, err2)
	}
	if _, _, err := h.Subscribe("alice", "s3"); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("third stream of one user = %v, want ErrTooManyStreams", err)
	}
	if _, _, err := h.Subscribe("bob", "s4"); err != nil {
		t.Fatalf("another user's stream: %v", err)
	}
	if _, _, err := h.Subscribe("carol", "s5"); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("a stream over the total = %v, want ErrTooManyStreams", err)
	}
	c1() // a closed stream frees its place
	c1() // and closing twice does not free two
	if _, _, err := h.Subscribe("carol", "s5"); err != nil {
		t.Fatalf("stream after one closed: %v", err)
	}
	if _, _, err := h.Subscribe("dave", "s6"); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("total not kept after a double close: %v", err)
	}
	h.EndSession("s2") // logout frees its streams too
	if _, _, err := h.Subscribe("alice", "s7"); err != nil {
		t.Fatalf("stream after a session ended: %v", err)
	}
}

// A stream too far behind is ended, not left to miss updates: its reader
// gets every event that fitted, then the end, and the others carry on.
func TestAStreamThatFallsBehindIsEndedAndTheOthersGetEverything(t *testing.T) {
	h := NewHub(0, 0)
	slow, cancelSlow, _ := h.Subscribe("alice", "s1")
	fast, cancelFast, _ := h.Subscribe("alice", "s2")
	defer cancelSlow()
	defer cancelFast()
	for i := range streamBuffer + 1 {
		h.Send([]string{"alice"}, "n", i)
		if f := <-fast; string(f.Data) != fmt.Sprint(i) {
			t.Fatalf("fast stream got %s, want %d", f.Data, i)
		}
	}
	got := 0
	for ended := false; !ended; {
		select {
		case _, ok := <-slow:
			if ok {
				got++
			}
			ended = !ok
		case <-time.After(2 * time.Second):
			t.Fatalf("the slow stream is still open after %d events", got)
		}
	}
	if got != streamBuffer {
		t.Fatalf("the slow stream got %d events before it ended, want the %d that fitted", got, streamBuffer)
	}
	if n := h.Count(); n != 1 {
		t.Fatalf("%d streams open, want the fast one", n)
	}
	cancelSlow() // the handler's cancel after the end changes nothing
	if n := h.Count(); n != 1 {
		t.Fatalf("%d streams open after the slow one's cancel, want 1", n)
	}
}
