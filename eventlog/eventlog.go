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
	// RingStarted: UserID is being rung until Deadline.
	RingStarted Kind = "ring_started"
	// RingStopped: UserID's ring is over; Reason says why.
	RingStopped Kind = "ring_stopped"
	// RoleChanged: an admin made Identity (of UserID) a Role.
	RoleChanged Kind = "role_changed"
)

// Roles of a participant.
const (
	RoleSpeaker  = "speaker"  // publishes camera, microphone and screen
	RoleListener = "listener" // subscribes only
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

// Reasons recorded on participant_left and call_ended events.
const (
	ReasonLeft         = "left"          // the device left (API or LiveKit)
	ReasonAborted      = "aborted"       // LiveKit: connection aborted
	ReasonRoomFinished = "room_finished" // LiveKit closed the room
	ReasonAbsent       = "absent"        // reconcile: LiveKit does not have it
	ReasonGraceExpired = "grace_expired" // token never used within the join grace
	// ReasonReplaced: a newer session of the same identity took over; the
	// device stays in the call, pending its new session.
	ReasonReplaced = "replaced"
	// ReasonReconnect: LiveKit closed the session and told the client to
	// connect again with a new one (a full reconnect after a negotiation,
	// publication or subscription failure, or a move to another node).
	// Like a replaced session, the device stays, pending its new session
	// for the join grace.
	ReasonReconnect = "reconnect"
	ReasonEnded     = "ended"     // someone ended the call for everyone
	ReasonRemoved   = "removed"   // a room admin removed the device
	ReasonRevoked   = "revoked"   // the user is no longer a member of the room
	ReasonLastLeft  = "last_left" // call_ended: nobody is left
	// ReasonHungUp: call_ended of a direct room's answered call that one
	// side (UserID) hung up, which ends it for both, as a phone call.
	ReasonHungUp = "hung_up"
	// ReasonRefused: a session LiveKit reported that may not be in the
	// call (its user was removed within the cooldown, or its join is not
	// the device's current one) was disconnected.
	ReasonRefused = "refused"
	// DetailStaleGeneration: participant_left.Detail of a session refused
	// because its join is not the device's latest, or was ended.
	DetailStaleGeneration = "stale_generation"
)

// Why a ring starts (ring_started.Reason) and what ring_started.Detail and
// call_started.Detail may say.
const (
	RingCall   = "call"   // the first join of a direct room's call
	RingInvite = "invite" // someone rang a member into a running call
	DetailBusy = "busy"   // the rung user was in another call
	RoomDirect = "direct" // call_started.Detail: the room is a direct room
	// DetailOperator: call_ended.Detail when an operator ended the call
	// (chatto calls end) rather than a member.
	DetailOperator = "operator"
)

// Reasons a ring stops (ring_stopped.Reason).
const (
	RingAccepted  = "accepted"
	RingDeclined  = "declined"
	RingCancelled = "cancelled"
	RingMissed    = "missed"
	RingMerged    = "merged"
)

// Outcome is how an ended call went, for history and notices.
type Outcome string

// The outcomes of a call.
const (
	OutcomeCompleted Outcome = "completed"
	OutcomeMissed    Outcome = "missed"
	OutcomeDeclined  Outcome = "declined"
	OutcomeBusy      Outcome = "busy"
	OutcomeCancelled Outcome = "cancelled"
	OutcomeMerged    Outcome = "merged"
)

// Call types.
const (
	TypeAudio = "audio"
	TypeVideo = "video"
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
	// Reason is a short machine word, one of the Reason* or Ring*
	// constants.
	Reason string
	// CallType is set on call_started: TypeAudio or TypeVideo.
	CallType string
	// Deadline is set on ring_started: when the ring times out.
	Deadline time.Time
	// Outcome is set on call_ended.
	Outcome Outcome
	// Detail adds context: LiveKit's disconnect reason on a leave, the
	// room a call was merged into, "busy" or "invite" on a ring.
	Detail string
	// Role is set on participant_joined and role_changed.
	Role string
	// SessionStart is when LiveKit says session SID joined, on facts that
	// come from LiveKit (zero when unknown).
	SessionStart time.Time
	// Generation names one join of a device: participant_joined from the
	// API records the generation its token carries, a leave from the API
	// the one it ends, and facts from LiveKit the one LiveKit reported
	// (empty for tokens that carried none).
	Generation string
}
