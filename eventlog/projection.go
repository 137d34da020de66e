package eventlog

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"
)

// Projection is the set of active calls derived from the log. It is not
// safe for concurrent use; its owner serialises access.
type Projection struct {
	calls map[string]*Call // by room id
	// byUser indexes the calls each user has a device in: user id → room
	// id → how many of their devices are in that room's call, so per-user
	// questions need not look at every call.
	byUser map[string]map[string]int
}

// NewProjection returns an empty projection.
func NewProjection() *Projection {
	return &Projection{calls: make(map[string]*Call), byUser: make(map[string]map[string]int)}
}

// UserCalls returns the active calls the user has a device in, ordered
// by room id.
func (p *Projection) UserCalls(userID string) []*Call {
	rooms := p.byUser[userID]
	out := make([]*Call, 0, len(rooms))
	for _, room := range slices.Sorted(maps.Keys(rooms)) {
		if c := p.calls[room]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// index recounts the user's devices in the room's call c (nil: none).
func (p *Projection) index(userID, roomID string, c *Call) {
	if userID == "" {
		return
	}
	n := 0
	if c != nil {
		for _, part := range c.Participants {
			if part.UserID == userID {
				n++
			}
		}
	}
	rooms := p.byUser[userID]
	switch {
	case n > 0 && rooms == nil:
		p.byUser[userID] = map[string]int{roomID: n}
	case n > 0:
		rooms[roomID] = n
	case rooms != nil:
		delete(rooms, roomID)
		if len(rooms) == 0 {
			delete(p.byUser, userID)
		}
	}
}

// Call is an active call as the log describes it.
type Call struct {
	ID        string
	RoomID    string
	StartedAt time.Time
	StartedBy string
	// Type is TypeAudio or TypeVideo.
	Type string
	// Direct is true for a call in a direct room: its first join rings
	// the other member, and it is "ringing" until someone answers.
	Direct bool
	// Answered turns true when anyone but the starter joins or accepts.
	Answered bool
	// Rings are the users being rung, by user id.
	Rings map[string]*Ring
	// Roles holds the roles admins gave, by user id, so a user who leaves
	// and comes back keeps the role they were given.
	Roles map[string]string
	// Removed holds when an admin removed each user (all their devices),
	// by user id, for the cooldown in which none of their devices may
	// come back.
	Removed map[string]time.Time
	// Generations holds the latest join generation granted to each
	// identity, kept after the device leaves, and EndedGenerations those
	// a user's leave (or an admin's or the host's decision) ended: a
	// LiveKit session of any other generation never enters the call.
	Generations      map[string]string
	EndedGenerations map[string]bool
	// Touched holds, by identity, the sequence number of the latest fact
	// about the device, so an observation of LiveKit made before that
	// fact is not applied over it.
	Touched map[string]int64
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
	// Role is RoleSpeaker or RoleListener.
	Role string
	// SessionStart is when LiveKit says the device's latest known session
	// joined. It stays while the device is pending a new session, so a
	// late fact about that older session can be recognised.
	SessionStart time.Time
	// Generation is the device's current join (empty for joins logged
	// before generations): only LiveKit sessions of it count.
	Generation string
}

// Ring is one user being rung into a call.
type Ring struct {
	UserID   string
	Name     string
	Deadline time.Time
	// By is the identity of the device that rang (the caller or inviter).
	By string
	// Busy is true when the user was in another call as the ring started.
	Busy bool
	// Invite is true for a ring into a running call, which does not end
	// the call when nobody answers.
	Invite bool
}

// Ringing reports whether the call still waits for its first answer.
func (c *Call) Ringing() bool { return c.Direct && !c.Answered }

// SortedRings returns the rings ordered by deadline, then user id.
func (c *Call) SortedRings() []*Ring {
	return slices.SortedFunc(maps.Values(c.Rings), func(a, b *Ring) int {
		return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.UserID, b.UserID))
	})
}

// KeepsDevice reports whether e is a participant_left that ends only the
// device's LiveKit session, not its place in the call: the device waits,
// pending, for a newer session (or for the join grace to drop it).
func (e Event) KeepsDevice() bool {
	return e.Kind == ParticipantLeft && (e.Reason == ReasonReplaced || e.Reason == ReasonReconnect)
}

// Pending reports whether LiveKit has not yet confirmed the participant.
func (p *Participant) Pending() bool { return p.SID == "" }

// OtherGeneration reports whether gen names a join of this device other
// than its current one. Unknown generations (empty on either side: facts
// and tokens from before generations) are not "other".
func (p *Participant) OtherGeneration(gen string) bool {
	return gen != "" && p.Generation != "" && gen != p.Generation
}

// Admits reports whether a LiveKit session of generation gen may bring
// identity into the call while it is not in it: only the latest join
// granted to the device, and only if nothing ended it since (a leave, a
// removal). A session without a generation is judged by its session id
// and times instead.
func (c *Call) Admits(identity, gen string) bool {
	if gen == "" {
		return true
	}
	return c.Generations[identity] == gen && !c.EndedGenerations[gen]
}

// Apply folds one event into the projection. Events are facts already
// decided by their writer, so Apply never rejects one.
func (p *Projection) Apply(e Event) {
	if e.Kind == CallStarted {
		typ := e.CallType
		if typ == "" {
			typ = TypeVideo // calls logged before call types were video calls
		}
		if old := p.calls[e.RoomID]; old != nil {
			// Never written by this server (a call ends before the next
			// starts), but the index must not keep the replaced call.
			for _, part := range old.Participants {
				p.index(part.UserID, e.RoomID, nil)
			}
		}
		p.calls[e.RoomID] = &Call{
			ID: e.CallID, RoomID: e.RoomID, StartedAt: e.At, StartedBy: e.UserID, Seq: e.Seq,
			Type: typ, Direct: e.Detail == RoomDirect,
			Rings:            make(map[string]*Ring),
			Roles:            make(map[string]string),
			Removed:          make(map[string]time.Time),
			Participants:     make(map[string]*Participant),
			Generations:      make(map[string]string),
			Touched:          make(map[string]int64),
			EndedGenerations: make(map[string]bool),
			LeftSIDs:         make(map[string]bool),
			WebhookIDs:       make(map[string]bool),
		}
		return
	}
	c := p.calls[e.RoomID]
	if c == nil || c.ID != e.CallID {
		return
	}
	// The users whose devices this event may add or remove.
	users := []string{e.UserID}
	if part := c.Participants[e.Identity]; part != nil && part.UserID != e.UserID {
		users = append(users, part.UserID)
	}
	if e.Kind == CallEnded {
		for _, part := range c.Participants {
			users = append(users, part.UserID)
		}
	}
	c.Apply(e)
	if e.Kind == CallEnded {
		delete(p.calls, e.RoomID)
		c = nil
	}
	for _, u := range users {
		p.index(u, e.RoomID, c)
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
	case RingStarted:
		c.Rings[e.UserID] = &Ring{UserID: e.UserID, Name: e.Name, Deadline: e.Deadline, By: e.Identity,
			Busy: e.Detail == DetailBusy, Invite: e.Reason == RingInvite}
	case RingStopped:
		delete(c.Rings, e.UserID)
		if e.Reason == RingAccepted {
			c.Answered = true
		}
	case ParticipantJoined:
		if e.UserID != c.StartedBy {
			c.Answered = true
		}
		part := c.Participants[e.Identity]
		if part == nil {
			part = &Participant{Identity: e.Identity, JoinedAt: e.At, Role: RoleSpeaker}
			c.Participants[e.Identity] = part
		}
		part.UserID, part.Name = e.UserID, e.Name
		if e.Role != "" {
			part.Role = e.Role
		}
		// A join without a session is a token handed out: the device is
		// pending until LiveKit confirms it, even if an older session of
		// the same identity is still connected (it is about to be
		// replaced).
		part.SID = e.SID
		if e.SID == "" {
			part.PendingSince = e.At
		}
		if !e.SessionStart.IsZero() {
			part.SessionStart = e.SessionStart
		}
		if e.Generation != "" {
			part.Generation = e.Generation
			c.Generations[e.Identity] = e.Generation
		}
		c.Touched[e.Identity] = e.Seq
	case ParticipantLeft:
		// A leave naming a session removes the participant only if that
		// is still their session; one without (user or timer) always does.
		// A session replaced by a newer one of the same identity leaves
		// the device in the call, waiting for LiveKit to confirm the new
		// session (or for the join grace to drop it).
		// A leave naming a generation other than the device's current one
		// is about an older join and removes nothing either.
		part := c.Participants[e.Identity]
		switch {
		case part == nil || (e.SID != "" && part.SID != e.SID) || part.OtherGeneration(e.Generation):
		case e.KeepsDevice():
			part.SID, part.PendingSince = "", e.At
		default:
			delete(c.Participants, e.Identity)
		}
		c.Touched[e.Identity] = e.Seq
		if e.Reason == ReasonRemoved && e.UserID != "" {
			c.Removed[e.UserID] = e.At
		}
		if e.SID != "" {
			c.LeftSIDs[e.SID] = true
		}
		if e.Source == SourceUser && e.Generation != "" {
			c.EndedGenerations[e.Generation] = true
		}
	case RoleChanged:
		// A role belongs to the user: every device of theirs takes it.
		c.Roles[e.UserID] = e.Role
		for _, part := range c.Participants {
			if part.UserID == e.UserID {
				part.Role = e.Role
				c.Touched[part.Identity] = e.Seq
			}
		}
	case CallEnded:
		clear(c.Participants)
		clear(c.Rings)
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
	out.Rings = make(map[string]*Ring, len(c.Rings))
	for k, v := range c.Rings {
		r := *v
		out.Rings[k] = &r
	}
	out.Roles = maps.Clone(c.Roles)
	out.Removed = maps.Clone(c.Removed)
	out.Generations = maps.Clone(c.Generations)
	out.EndedGenerations = maps.Clone(c.EndedGenerations)
	out.Touched = maps.Clone(c.Touched)
	out.LeftSIDs = maps.Clone(c.LeftSIDs)
	out.WebhookIDs = maps.Clone(c.WebhookIDs)
	return &out
}

// Call returns the active call in a room, or nil.
func (p *Projection) Call(roomID string) *Call { return p.calls[roomID] }

// EachCall calls fn for every active call, in no particular order (for
// passes that need no order: cheaper than Calls).
func (p *Projection) EachCall(fn func(*Call)) {
	for _, c := range p.calls {
		fn(c)
	}
}

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
	return slices.SortedFunc(maps.Values(c.Participants), func(a, b *Participant) int {
		return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.Identity, b.Identity))
	})
}
