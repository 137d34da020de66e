package host

import (
	"errors"
	"testing"
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
