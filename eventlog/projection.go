package eventlog

import (
	"maps"
	"sort"
	"time"
)

// Projection is the set of active calls derived from the log. It is not
// safe for concurrent use; its owner serialises access.
type Projection struct {
	calls map[string]*Call // by room id
}

// NewProjection returns an empty projection.
func NewProjection() *Projection {
	return &Projection{calls: make(map[string]*Call)}
}

// Call is an active call as the log describes it.
type Call struct {
	ID        string
	RoomID    string
	StartedAt time.Time
	StartedBy string
	// Participants by identity.
	Participants map[string]*Participant
	// LeftSIDs holds LiveKit sessions known to be over, so a late
	// participant_joined for one of them cannot resurrect it.
	LeftSIDs map[string]bool
	// WebhookIDs holds the LiveKit event ids already applied to this call.
	WebhookIDs map[string]bool
	// Seq is the sequence number of the call's latest event; clients use
	// it to drop realtime updates that arrive out of order.
	Seq int64
}

// Participant is one device in a call.
type Participant struct {
	Identity string
	UserID   string
	Name     string
	// SID is the current LiveKit session; empty while the participant
	// holds a token but has not been seen in LiveKit (pending).
	SID string
	// JoinedAt is when the participant entered the call (token issued or
	// first seen in LiveKit).
	JoinedAt time.Time
	// PendingSince is when the latest token was handed out; the join
	// grace counts from here while SID is empty.
	PendingSince time.Time
}

// Pending reports whether LiveKit has not yet confirmed the participant.
func (p *Participant) Pending() bool { return p.SID == "" }

// Apply folds one event into the projection. Events are facts already
// decided by their writer, so Apply never rejects one.
func (p *Projection) Apply(e Event) {
	if e.Kind == CallStarted {
		p.calls[e.RoomID] = &Call{
			ID: e.CallID, RoomID: e.RoomID, StartedAt: e.At, StartedBy: e.UserID, Seq: e.Seq,
			Participants: make(map[string]*Participant),
			LeftSIDs:     make(map[string]bool),
			WebhookIDs:   make(map[string]bool),
		}
		return
	}
	c := p.calls[e.RoomID]
	if c == nil || c.ID != e.CallID {
		return
	}
	c.Apply(e)
	if e.Kind == CallEnded {
		delete(p.calls, e.RoomID)
	}
}

// Apply folds one event of this call into it. Writers use it on a Clone
// to see what a batch would leave behind before they append it.
func (c *Call) Apply(e Event) {
	c.Seq = e.Seq
	if e.LiveKitEventID != "" {
		c.WebhookIDs[e.LiveKitEventID] = true
	}
	switch e.Kind {
	case ParticipantJoined:
		part := c.Participants[e.Identity]
		if part == nil {
			part = &Participant{Identity: e.Identity, JoinedAt: e.At}
			c.Participants[e.Identity] = part
		}
		part.UserID, part.Name = e.UserID, e.Name
		// A join without a session is a token handed out: the device is
		// pending until LiveKit confirms it, even if an older session of
		// the same identity is still connected (it is about to be
		// replaced).
		part.SID = e.SID
		if e.SID == "" {
			part.PendingSince = e.At
		}
	case ParticipantLeft:
		// A leave naming a session removes the participant only if that
		// is still their session; one without (user or timer) always does.
		if part := c.Participants[e.Identity]; part != nil && (e.SID == "" || part.SID == e.SID) {
			delete(c.Participants, e.Identity)
		}
		if e.SID != "" {
			c.LeftSIDs[e.SID] = true
		}
	case CallEnded:
		clear(c.Participants)
	}
}

// Clone returns a deep copy of the call.
func (c *Call) Clone() *Call {
	out := *c
	out.Participants = make(map[string]*Participant, len(c.Participants))
	for k, v := range c.Participants {
		p := *v
		out.Participants[k] = &p
	}
	out.LeftSIDs = maps.Clone(c.LeftSIDs)
	out.WebhookIDs = maps.Clone(c.WebhookIDs)
	return &out
}

// Call returns the active call in a room, or nil.
func (p *Projection) Call(roomID string) *Call { return p.calls[roomID] }

// Calls returns every active call, ordered by room id.
func (p *Projection) Calls() []*Call {
	out := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RoomID < out[j].RoomID })
	return out
}

// Sorted returns the call's participants ordered by join time, then identity.
func (c *Call) Sorted() []*Participant {
	out := make([]*Participant, 0, len(c.Participants))
	for _, p := range c.Participants {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].JoinedAt.Equal(out[j].JoinedAt) {
			return out[i].JoinedAt.Before(out[j].JoinedAt)
		}
		return out[i].Identity < out[j].Identity
	})
	return out
}
