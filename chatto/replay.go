package chatto

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// Replay is one call's whole history rebuilt from the log, for audits
// (`chatto calls replay`): every fact in order with who caused it, and
// folded from them, each device's stays in the call and each ring's
// outcome. It holds no key material: the log has none.
type Replay struct {
	CallID    string    `json:"call_id"`
	RoomID    string    `json:"room_id"`
	Type      string    `json:"type"`
	StartedAt time.Time `json:"started_at"`
	StartedBy string    `json:"started_by"`
	// EndedAt, Outcome, EndedBy and EndReason are empty while the call
	// runs. EndedBy is the source of the call_ended fact ("user" also for
	// an operator, with EndReason "ended (operator)").
	EndedAt         *time.Time `json:"ended_at"`
	Outcome         string     `json:"outcome,omitempty"`
	EndedBy         string     `json:"ended_by,omitempty"`
	EndReason       string     `json:"end_reason,omitempty"`
	DurationSeconds int64      `json:"duration_seconds"`
	// Stays are the devices' times in the call, in the order they began.
	Stays []ReplayStay `json:"stays"`
	// Rings are the rings, in the order they started.
	Rings  []ReplayRing  `json:"rings"`
	Events []ReplayEvent `json:"events"`
}

// ReplayStay is one device's time in the call: from the fact that put it
// in until the fact that took it out (nil while it is still in).
type ReplayStay struct {
	Identity string    `json:"identity"`
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Joined   time.Time `json:"joined_at"`
	JoinedBy string    `json:"joined_by"`
	// Connected is when LiveKit (a webhook or a reconcile) first
	// confirmed a session of the device; nil if it never did.
	Connected   *time.Time `json:"connected_at"`
	ConnectedBy string     `json:"connected_by,omitempty"`
	// Sessions counts the LiveKit sessions the device had (a reload or a
	// network change opens a new one).
	Sessions   int        `json:"sessions"`
	Left       *time.Time `json:"left_at"`
	LeftBy     string     `json:"left_by,omitempty"`
	LeftReason string     `json:"left_reason,omitempty"`
}

// ReplayRing is one ring: who was rung, why, until when, and how it
// stopped (nil while it rings).
type ReplayRing struct {
	UserID    string     `json:"user_id"`
	By        string     `json:"by"`
	Reason    string     `json:"reason"`
	Busy      bool       `json:"busy"`
	StartedAt time.Time  `json:"started_at"`
	Deadline  time.Time  `json:"deadline"`
	StoppedAt *time.Time `json:"stopped_at"`
	StoppedBy string     `json:"stopped_by,omitempty"`
	Outcome   string     `json:"outcome,omitempty"`
}

// ReplayEvent is one fact of the call as the log has it.
type ReplayEvent struct {
	Seq            int64      `json:"seq"`
	At             time.Time  `json:"at"`
	Kind           string     `json:"kind"`
	Source         string     `json:"source"`
	Identity       string     `json:"identity,omitempty"`
	UserID         string     `json:"user_id,omitempty"`
	Name           string     `json:"name,omitempty"`
	SID            string     `json:"livekit_sid,omitempty"`
	LiveKitEventID string     `json:"livekit_event_id,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	Detail         string     `json:"detail,omitempty"`
	Role           string     `json:"role,omitempty"`
	CallType       string     `json:"call_type,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	Deadline       *time.Time `json:"deadline,omitempty"`
}

// BuildReplay folds a call's events, in log order (Store.CallEvents), into
// its Replay. Stays follow the projection's own rules (eventlog.Call), so
// a replay says what the server believed at each fact.
func BuildReplay(evs []eventlog.Event) (*Replay, error) {
	if len(evs) == 0 || evs[0].Kind != eventlog.CallStarted {
		return nil, Errorf(ENOTFOUND, "no call with that id in the log")
	}
	r := &Replay{Stays: []ReplayStay{}, Rings: []ReplayRing{}, Events: make([]ReplayEvent, 0, len(evs))}
	proj := eventlog.NewProjection()
	open := map[string]int{}  // identity → index in Stays of its open stay
	rings := map[string]int{} // user id → index in Rings of its ring
	for _, e := range evs {
		r.Events = append(r.Events, replayEvent(e))
		before := presence(proj, e)
		proj.Apply(e)
		after := presence(proj, e)
		at := e.At.UTC()
		switch e.Kind {
		case eventlog.CallStarted:
			r.CallID, r.RoomID, r.Type, r.StartedAt, r.StartedBy = e.CallID, e.RoomID, e.CallType, at, e.UserID
			if r.Type == "" {
				r.Type = eventlog.TypeVideo
			}
		case eventlog.ParticipantJoined:
			if before == nil && after != nil {
				open[e.Identity] = len(r.Stays)
				r.Stays = append(r.Stays, ReplayStay{Identity: e.Identity, UserID: e.UserID, Name: e.Name, Role: after.Role,
					Joined: at, JoinedBy: string(e.Source)})
			}
			if i, ok := open[e.Identity]; ok && e.SID != "" && (before == nil || before.SID != e.SID) {
				st := &r.Stays[i]
				st.Sessions++
				if st.Connected == nil {
					st.Connected, st.ConnectedBy = &at, string(e.Source)
				}
			}
		case eventlog.ParticipantLeft:
			if i, ok := open[e.Identity]; ok && before != nil && after == nil {
				st := &r.Stays[i]
				st.Left, st.LeftBy, st.LeftReason = &at, string(e.Source), withDetail(e.Reason, e.Detail)
				delete(open, e.Identity)
			}
		case eventlog.RoleChanged:
			if i, ok := open[e.Identity]; ok {
				r.Stays[i].Role = e.Role
			}
		case eventlog.RingStarted:
			rings[e.UserID] = len(r.Rings)
			r.Rings = append(r.Rings, ReplayRing{UserID: e.UserID, By: e.Identity, Reason: e.Reason,
				Busy: e.Detail == eventlog.DetailBusy, StartedAt: at, Deadline: e.Deadline.UTC()})
		case eventlog.RingStopped:
			if i, ok := rings[e.UserID]; ok && r.Rings[i].StoppedAt == nil {
				r.Rings[i].StoppedAt, r.Rings[i].StoppedBy, r.Rings[i].Outcome = &at, string(e.Source), e.Reason
			}
		case eventlog.CallEnded:
			r.EndedAt, r.Outcome, r.EndedBy, r.EndReason = &at, string(e.Outcome), string(e.Source), withDetail(e.Reason, e.Detail)
			for id, i := range open {
				r.Stays[i].Left, r.Stays[i].LeftBy, r.Stays[i].LeftReason = &at, string(e.Source), "call ended"
				delete(open, id)
			}
		}
	}
	sum := summarize(evs)
	r.DurationSeconds = int64(sum.duration() / time.Second)
	return r, nil
}

// presence returns a copy of the participant the event is about as the
// projection has it now, or nil.
func presence(proj *eventlog.Projection, e eventlog.Event) *eventlog.Participant {
	c := proj.Call(e.RoomID)
	if c == nil || c.ID != e.CallID || c.Participants[e.Identity] == nil {
		return nil
	}
	p := *c.Participants[e.Identity]
	return &p
}

func withDetail(reason, detail string) string {
	if detail == "" {
		return reason
	}
	return reason + " (" + detail + ")"
}

func replayEvent(e eventlog.Event) ReplayEvent {
	out := ReplayEvent{
		Seq: e.Seq, At: e.At.UTC(), Kind: string(e.Kind), Source: string(e.Source), Identity: e.Identity,
		UserID: e.UserID, Name: e.Name, SID: e.SID, LiveKitEventID: e.LiveKitEventID, Reason: e.Reason,
		Detail: e.Detail, Role: e.Role, CallType: e.CallType, Outcome: string(e.Outcome),
	}
	if !e.Deadline.IsZero() {
		d := e.Deadline.UTC()
		out.Deadline = &d
	}
	return out
}

// replayTime is how a replay prints times: UTC to the millisecond.
const replayTime = "2006-01-02 15:04:05.000Z"

// sourceWords names a fact's source for a reader: LiveKit's facts come
// from its webhooks.
func sourceWords(src string) string {
	if src == string(eventlog.SourceLiveKit) {
		return "webhook"
	}
	return src
}

// WriteText prints the replay for a person: a summary, each device's
// stays, the rings and then every fact.
func (r *Replay) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "call %s in room %s (%s)\n", r.CallID, r.RoomID, r.Type)
	fmt.Fprintf(&b, "started %s by %s\n", r.StartedAt.Format(replayTime), r.StartedBy)
	if r.EndedAt == nil {
		b.WriteString("still running\n")
	} else {
		fmt.Fprintf(&b, "ended   %s by %s: %s, outcome %s, duration %s\n", r.EndedAt.Format(replayTime), sourceWords(r.EndedBy),
			r.EndReason, r.Outcome, formatDuration(time.Duration(r.DurationSeconds)*time.Second))
	}
	b.WriteString("\ndevices:\n")
	for _, s := range r.Stays {
		fmt.Fprintf(&b, "  %s (%s, %s): joined %s by %s", s.Identity, s.Name, s.Role, s.Joined.Format(replayTime), sourceWords(s.JoinedBy))
		if s.Connected != nil {
			fmt.Fprintf(&b, ", connected %s by %s, %d session(s)", s.Connected.Format(replayTime), sourceWords(s.ConnectedBy), s.Sessions)
		} else {
			b.WriteString(", never connected")
		}
		if s.Left != nil {
			fmt.Fprintf(&b, ", left %s by %s: %s", s.Left.Format(replayTime), sourceWords(s.LeftBy), s.LeftReason)
		} else {
			b.WriteString(", still in the call")
		}
		b.WriteString("\n")
	}
	if len(r.Rings) > 0 {
		b.WriteString("\nrings:\n")
		for _, g := range r.Rings {
			fmt.Fprintf(&b, "  %s rung by %s (%s", g.UserID, g.By, g.Reason)
			if g.Busy {
				b.WriteString(", busy")
			}
			fmt.Fprintf(&b, ") %s until %s", g.StartedAt.Format(replayTime), g.Deadline.Format(replayTime))
			if g.StoppedAt != nil {
				fmt.Fprintf(&b, ": %s %s by %s", g.Outcome, g.StoppedAt.Format(replayTime), sourceWords(g.StoppedBy))
			} else {
				b.WriteString(": still ringing")
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nevents:\n")
	for _, e := range r.Events {
		fmt.Fprintf(&b, "  %s  #%-6d %-18s %-9s", e.At.Format(replayTime), e.Seq, e.Kind, sourceWords(e.Source))
		for _, kv := range [][2]string{
			{"identity", e.Identity}, {"user", e.UserID}, {"name", e.Name}, {"type", e.CallType}, {"role", e.Role},
			{"reason", e.Reason}, {"detail", e.Detail}, {"outcome", e.Outcome}, {"session", e.SID}, {"webhook", e.LiveKitEventID},
		} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%q", kv[0], kv[1])
			}
		}
		if e.Deadline != nil {
			fmt.Fprintf(&b, " until=%s", e.Deadline.Format(replayTime))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
