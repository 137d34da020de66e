package host

import (
	"encoding/json"
	"sync"
)

// Frame is one realtime event ready to write to a stream.
type Frame struct {
	Type string
	Data []byte
}

// Hub fans realtime events out to each user's open streams. A stream that
// cannot keep up loses events rather than slowing everyone down; clients
// refetch state when they reconnect, so a lost update heals.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan Frame]struct{}
	closed bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: make(map[string]map[chan Frame]struct{})} }

// Subscribe opens a stream for a user. The channel closes when the hub
// does; call the returned cancel when the stream ends.
func (h *Hub) Subscribe(userID string) (<-chan Frame, func()) {
	ch := make(chan Frame, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs[userID] == nil {
		h.subs[userID] = make(map[chan Frame]struct{})
	}
	h.subs[userID][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[userID][ch]; ok {
			delete(h.subs[userID], ch)
			close(ch)
		}
	}
}

// Send delivers an event to every stream of the given users.
func (h *Hub) Send(userIDs []string, typ string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	f := Frame{Type: typ, Data: data}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range userIDs {
		for ch := range h.subs[u] {
			select {
			case ch <- f:
			default:
			}
		}
	}
}

// Close ends every stream.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, set := range h.subs {
		for ch := range set {
			close(ch)
		}
	}
	clear(h.subs)
}
