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
	// PostNotice adds a call notice to the room's timeline. It must keep
	// one entry per Notice.ID: the plugin posts the notices of recent
	// calls again at startup, in case a crash lost one.
	PostNotice(ctx context.Context, n Notice) error
	// Publish pushes a realtime event to the given users' open clients.
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
	Text     string        `json:"text"`
}

// Realtime event types.
const (
	EventCallStarted = "call.started"
	EventCallUpdated = "call.updated"
	EventCallEnded   = "call.ended"
)

// RealtimeEvent is pushed to room members when a call changes.
type RealtimeEvent struct {
	Type   string    `json:"type"`
	RoomID string    `json:"room_id"`
	Call   *CallView `json:"call"`
}

// CallView is the public shape of an active call.
type CallView struct {
	ID        string     `json:"id"`
	RoomID    string     `json:"room_id"`
	StartedAt time.Time  `json:"started_at"`
	StartedBy string     `json:"started_by"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// Seq orders updates of one room: a client keeps the highest it saw.
	Seq          int64             `json:"seq"`
	Participants []ParticipantView `json:"participants"`
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
}
