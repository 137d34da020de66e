package host

import (
	"encoding/json"
	"errors"
	"sync"
)

// Frame is one realtime event ready to write to a stream.
type Frame struct {
	Type string
	Data []byte
}

// Hub fans realtime events out to each user's open streams. A stream that
// cannot keep up is ended rather than slowing everyone down (or silently
// missing an update): its page reconnects and refetches the state, so the
// lost update heals. Each stream
// belongs to a session, so ending a session (logout, expiry, a password
// change) ends its streams.
type Hub struct {
	// perUser and total cap the open streams (0: no cap), so one user's
	// runaway tabs or a flood of connections cannot exhaust the server.
	perUser, total int

	mu     sync.Mutex
	subs   map[string]map[*stream]struct{} // by user id
	count  int
	closed bool
}

// ErrTooManyStreams is Subscribe's answer when a cap is reached.
var ErrTooManyStreams = errors.New("host: too many event streams")

type stream struct {
	session string // token hash
	ch      chan Frame
}

// NewHub returns an empty hub with at most perUser streams per user and
// total in all (0: no cap).
func NewHub(perUser, total int) *Hub {
	return &Hub{perUser: perUser, total: total, subs: make(map[string]map[*stream]struct{})}
}

// streamBuffer is how many events may wait for one stream's writer. A
// stream this far behind is ended (Send). Each waiting slot costs every
// open stream 40 bytes, so it is kept to what a burst of one change
// (the call update, its notice and rings) needs several times over.
const streamBuffer = 16

// Subscribe opens a stream for a user's session (its token hash). The
// channel closes when the hub or the session ends; call the returned
// cancel when the stream ends.
func (h *Hub) Subscribe(userID, session string) (<-chan Frame, func(), error) {
	s := &stream{session: session, ch: make(chan Frame, streamBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch, func() {}, nil
	}
	if (h.perUser > 0 && len(h.subs[userID]) >= h.perUser) || (h.total > 0 && h.count >= h.total) {
		return nil, nil, ErrTooManyStreams
	}
	if h.subs[userID] == nil {
		h.subs[userID] = make(map[*stream]struct{})
	}
	h.subs[userID][s] = struct{}{}
	h.count++
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[userID][s]; ok {
			delete(h.subs[userID], s)
			h.count--
			close(s.ch)
		}
	}, nil
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
		for s := range h.subs[u] {
			select {
			case s.ch <- f:
			default:
				// Too far behind: end it, so its page reconnects and
				// refetches instead of showing a state that missed this.
				delete(h.subs[u], s)
				h.count--
				close(s.ch)
			}
		}
	}
}

// Count is how many streams are open.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Sessions lists the sessions that have open streams.
func (h *Hub) Sessions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := make(map[string]bool)
	var out []string
	for _, set := range h.subs {
		for s := range set {
			if !seen[s.session] {
				seen[s.session] = true
				out = append(out, s.session)
			}
		}
	}
	return out
}

// EndSession ends every stream of a session.
func (h *Hub) EndSession(session string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			if s.session == session {
				delete(set, s)
				h.count--
				close(s.ch)
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
		for s := range set {
			close(s.ch)
		}
	}
	clear(h.subs)
	h.count = 0
}
