// Package eventlog is the append-only SQLite record of call facts and the
// active-call projection derived from it.
package eventlog

import "time"

// Kind names a fact in the log.
type Kind string

// The kinds of fact the log records.
const (
	CallStarted       Kind = "call_started"
	ParticipantJoined Kind = "participant_joined"
	ParticipantLeft   Kind = "participant_left"
	CallEnded         Kind = "call_ended"
)

// Source says who caused a fact.
type Source string

// The sources of facts.
const (
	SourceUser      Source = "user"
	SourceLiveKit   Source = "livekit"
	SourceReconcile Source = "reconcile"
	SourceTimer     Source = "timer"
)

// Event is one row of the log. It never carries key material.
type Event struct {
	Seq      int64
	At       time.Time
	RoomID   string
	CallID   string
	Kind     Kind
	Identity string
	UserID   string
	Name     string
	// SID is LiveKit's participant session id, empty until LiveKit has
	// seen the participant connect.
	SID    string
	Source Source
	// LiveKitEventID is the webhook event id the fact came from, if any.
	LiveKitEventID string
	// Reason is a short machine word: "left", "aborted", "room_finished",
	// "absent", "grace_expired", "last_left".
	Reason string
}
