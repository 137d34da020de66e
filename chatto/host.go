package chatto

import (
	"context"
	"net/http"
	"time"
)

// Host is what the plugin needs from the chat server that embeds it.
type Host interface {
	// Caller identifies the user behind a request, or returns an *Error
	// with code EUNAUTHORIZED.
	Caller(r *http.Request) (Caller, error)
	// IsMember reports whether the user currently belongs to the room.
	IsMember(ctx context.Context, roomID, userID string) (bool, error)
	// Room describes a room, or returns an *Error with code ENOTFOUND.
	Room(ctx context.Context, roomID string) (Room, error)
	// User describes a user, or returns an *Error with code ENOTFOUND.
	User(ctx context.Context, userID string) (User, error)
	// UserRooms lists the ids of the rooms a user belongs to (call
	// history across rooms).
	UserRooms(ctx context.Context, userID string) ([]string, error)
	// PostNotice adds a call notice to the room's timeline. It must keep
	// one entry per Notice.ID: the plugin posts the notices of recent
	// calls again at startup, in case a crash lost one.
	PostNotice(ctx context.Context, n Notice) error
	// Publish pushes a realtime event to the given users' open clients,
	// named by ev.EventType() and encoded as JSON.
	Publish(ctx context.Context, userIDs []string, ev RealtimeEvent) error
}

// Caller is the authenticated user of a request.
type Caller struct {
	UserID string
	Name   string
	// DeviceID names the session or device, so one user on two devices is
	// two participants. It ends up in LiveKit identities, so it must not
	// be a secret (use a hash of the session, not the session token).
	DeviceID string
}

// User is a user as the plugin shows them.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Room kinds.
const (
	RoomDirect = "direct"
	RoomGroup  = "group"
)

// Room is what the plugin needs to know about a chat room.
type Room struct {
	ID      string
	Kind    string
	Members []string
	// Admins may end the room's calls for everyone. Every admin is also
	// a member.
	Admins []string
}

// Notice kinds.
const (
	NoticeCallStarted = "call_started"
	NoticeCallEnded   = "call_ended"
)

// Notice is a call fact for the room timeline. ID is stable per call and
// kind, so a host can ignore a notice it has already stored.
type Notice struct {
	ID       string        `json:"id"`
	Kind     string        `json:"kind"`
	RoomID   string        `json:"room_id"`
	CallID   string        `json:"call_id"`
	UserID   string        `json:"user_id,omitempty"`
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"duration,omitempty"`
	// Text is the wording for any reader; Texts overrides it for the
	// readers it names (the callee reads "Missed call from Alice", the
	// caller "Bob didn't answer").
	Text  string            `json:"text"`
	Texts map[string]string `json:"texts,omitempty"`
	// Outcome and CallType are set on call_ended notices.
	Outcome  string `json:"outcome,omitempty"`
	CallType string `json:"call_type,omitempty"`
	// Participants are the users who were in the call (call_ended).
	Participants []string `json:"participants,omitempty"`
	// EndReason is how the call ended (call_ended; see CallView), and
	// EndedBy who ended it when a person did (hung up a direct call, or
	// ended it for everyone).
	EndReason string `json:"end_reason,omitempty"`
	EndedBy   string `json:"ended_by,omitempty"`
}

// TextFor returns the notice's wording for one reader.
func (n Notice) TextFor(userID string) string {
	if t, ok := n.Texts[userID]; ok {
		return t
	}
	return n.Text
}

// Realtime event types.
const (
	EventCallStarted     = "call.started"
	EventCallUpdated     = "call.updated"
	EventCallEnded       = "call.ended"
	EventCallRinging     = "call.ringing"
	EventCallRingStopped = "call.ring_stopped"
	EventCallMoved       = "call.moved"
	EventCallRemoved     = "call.removed"
	EventCallKeyRotated  = "call.key_rotated"
)

// RealtimeEvent is something the plugin pushes to users' open clients.
type RealtimeEvent interface {
	EventType() string
}

// CallEvent (call.started, call.updated, call.ended) is pushed to room
// members when a call changes.
type CallEvent struct {
	Type   string    `json:"type"`
	RoomID string    `json:"room_id"`
	Call   *CallView `json:"call"`
}

// EventType implements RealtimeEvent.
func (e CallEvent) EventType() string { return e.Type }

// KeyRotatedEvent (call.key_rotated) is pushed to the users still in a
// call when its key changed because someone left. It carries no key: each
// device fetches the key with POST /api/rooms/:room/call/key.
type KeyRotatedEvent struct {
	Type     string `json:"type"`
	RoomID   string `json:"room_id"`
	CallID   string `json:"call_id"`
	KeyIndex int    `json:"key_index"`
}

// EventType implements RealtimeEvent.
func (e KeyRotatedEvent) EventType() string { return EventCallKeyRotated }

// RingingEvent (call.ringing) is pushed to every device of a user being
// rung.
type RingingEvent struct {
	Type      string    `json:"type"`
	RoomID    string    `json:"room_id"`
	Call      *CallView `json:"call"`
	Caller    User      `json:"caller"`
	ExpiresAt time.Time `json:"expires_at"`
	// Busy says the rung user is in another call.
	Busy bool `json:"busy"`
}

// EventType implements RealtimeEvent.
func (e RingingEvent) EventType() string { return EventCallRinging }

// RingStoppedEvent (call.ring_stopped) is pushed to every device of the
// user whose ring stopped and to the caller.
type RingStoppedEvent struct {
	Type   string `json:"type"`
	RoomID string `json:"room_id"`
	CallID string `json:"call_id"`
	// UserID is whose ring stopped.
	UserID string `json:"user_id"`
	// Reason is accepted, declined, cancelled, missed or merged.
	Reason string `json:"reason"`
}

// EventType implements RealtimeEvent.
func (e RingStoppedEvent) EventType() string { return EventCallRingStopped }

// MovedEvent (call.moved) tells a caller whose direct call was merged
// into another room's call to join that call.
type MovedEvent struct {
	Type     string `json:"type"`
	CallID   string `json:"call_id"`
	FromRoom string `json:"from_room"`
	IntoRoom string `json:"into_room"`
}

// EventType implements RealtimeEvent.
func (e MovedEvent) EventType() string { return EventCallMoved }

// Call states.
const (
	StateRinging = "ringing"
	StateActive  = "active"
	StateEnded   = "ended" // only in call.ended events
)

// CallView is the public shape of a call: an active one, or one that just
// ended (EndedAt and Outcome set).
type CallView struct {
	ID        string     `json:"id"`
	RoomID    string     `json:"room_id"`
	Type      string     `json:"type"`
	State     string     `json:"state"`
	CreatedBy string     `json:"created_by"`
	StartedAt time.Time  `json:"started_at"`
	StartedBy string     `json:"started_by"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Outcome   string     `json:"outcome,omitempty"`
	// EndReason says how an ended call ended: "hung_up" (one side of a
	// direct call hung up), "ended" (ended for everyone), "last_left" and
	// others; EndedBy and EndedByName name who, when someone did.
	EndReason   string `json:"end_reason,omitempty"`
	EndedBy     string `json:"ended_by,omitempty"`
	EndedByName string `json:"ended_by_name,omitempty"`
	// Seq orders updates of one room: a client keeps the highest it saw.
	Seq int64 `json:"seq"`
	// Rev orders views of one seq: it grows when live state that is not
	// in the log (raised hands) changes. Compare (seq, rev).
	Rev int64 `json:"rev"`
	// KeyIndex counts the call's E2EE keys: it grows each time someone
	// leaves a call that goes on. A client holding an older key fetches
	// the current one (POST .../call/key).
	KeyIndex     int               `json:"key_index"`
	Participants []ParticipantView `json:"participants"`
	Ringing      []RingView        `json:"ringing"`
}

// ParticipantView is one device in a call.
type ParticipantView struct {
	Identity string    `json:"identity"`
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	JoinedAt time.Time `json:"joined_at"`
	// Connected is false while the device holds a token but LiveKit has
	// not seen it yet.
	Connected bool `json:"connected"`
	// Role is "speaker" or "listener".
	Role string `json:"role"`
	// HandRaisedAt is when the participant raised their hand, if it is up.
	HandRaisedAt *time.Time `json:"hand_raised_at,omitempty"`
}

// RingView is a user being rung into a call.
type RingView struct {
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"`
	Busy      bool      `json:"busy"`
	// Caller is who rang: the call's creator, or whoever invited.
	Caller User `json:"caller"`
}
