package chatto

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// announce tells the host about committed events: timeline notices for
// call starts and ends, realtime updates for room members, rings to the
// rung users, and, for an ended call, the deletion of its LiveKit room.
// Each step runs whatever the others do, and none can be cancelled by the
// client whose request caused the events. It runs under the room lock so
// members see a room's updates in order.
func (s *Service) announce(ctx context.Context, roomID string, evs []eventlog.Event) {
	if len(evs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	var ended *callSummary
	if last := evs[len(evs)-1]; last.Kind == eventlog.CallEnded {
		sum := s.summary(ctx, last.CallID)
		ended = &sum
	}
	s.postNotices(ctx, evs, ended)
	// Ring events go first: a callee's dialog closes on its ring_stopped
	// before the call it belongs to is reported ended.
	s.publishRings(ctx, roomID, evs)
	s.publishCall(ctx, roomID, evs, ended)
	if ended != nil && ended.liveKitSaw {
		// Nobody should linger in the LiveKit room of a call whose key is
		// gone; deleting it also frees LiveKit's resources at once. The
		// room's name is the call's own, so a call starting meanwhile is
		// not affected, and nothing waits for it under the room lock.
		// LiveKit makes the room when the first device connects, so a
		// call LiveKit never reported anyone in most likely has none; if
		// a device connected just before the end, its participant_joined
		// finds the call ended and deletes the room then
		// (deleteLateRoom).
		lkRoom := s.lk.RoomName(roomID, ended.ID)
		s.background(ctx, func(ctx context.Context) {
			if err := s.lk.DeleteRoom(ctx, lkRoom); err != nil {
				s.log.DebugContext(ctx, "delete livekit room of ended call", "room", roomID, "err", err)
			}
		})
	}
}

func (s *Service) postNotices(ctx context.Context, evs []eventlog.Event, ended *callSummary) {
	if evs[0].Kind == eventlog.CallStarted {
		s.notice(ctx, startNotice(evs[0]))
	}
	if ended != nil {
		s.notice(ctx, endNotice(*ended))
	}
}

// publishCall sends the room's members the call as it now is.
func (s *Service) publishCall(ctx context.Context, roomID string, evs []eventlog.Event, ended *callSummary) {
	room, err := s.host.Room(ctx, roomID)
	if err != nil {
		s.log.WarnContext(ctx, "cannot load room members for call update", "room", roomID, "err", err)
		return
	}
	ev := CallEvent{Type: EventCallUpdated, RoomID: roomID, Call: s.View(roomID)}
	switch {
	case ended != nil:
		ev = CallEvent{Type: EventCallEnded, RoomID: roomID, Call: ended.view(evs[len(evs)-1].Seq)}
	case evs[0].Kind == eventlog.CallStarted:
		ev.Type = EventCallStarted
	}
	if err := s.host.Publish(ctx, room.Members, ev); err != nil {
		s.log.WarnContext(ctx, "publish call update", "room", roomID, "err", err)
	}
}

// publishRings rings the devices of newly rung users and tells the rung
// user's devices and the caller when a ring stops.
func (s *Service) publishRings(ctx context.Context, roomID string, evs []eventlog.Event) {
	for _, e := range evs {
		var to []string
		var ev RealtimeEvent
		ringer, _ := UserOfIdentity(e.Identity)
		switch e.Kind {
		case eventlog.RingStarted:
			to = []string{e.UserID}
			ev = RingingEvent{
				Type: EventCallRinging, RoomID: roomID, Call: s.View(roomID),
				Caller:    User{ID: ringer, Name: s.userName(ctx, ringer)},
				ExpiresAt: e.Deadline, Busy: e.Detail == eventlog.DetailBusy,
			}
		case eventlog.RingStopped:
			to = []string{e.UserID}
			if ringer != "" && ringer != e.UserID {
				to = append(to, ringer)
			}
			ev = RingStoppedEvent{Type: EventCallRingStopped, RoomID: roomID, CallID: e.CallID, UserID: e.UserID, Reason: e.Reason}
		default:
			continue
		}
		if err := s.host.Publish(ctx, to, ev); err != nil {
			s.log.WarnContext(ctx, "publish ring", "room", roomID, "kind", e.Kind, "err", err)
		}
	}
}

// startNotice is the timeline notice of a call_started event.
func startNotice(e eventlog.Event) Notice {
	kind := "a call"
	switch e.CallType {
	case eventlog.TypeAudio:
		kind = "a voice call"
	case eventlog.TypeVideo:
		kind = "a video call"
	}
	return Notice{
		ID: e.CallID + ":" + NoticeCallStarted, Kind: NoticeCallStarted, RoomID: e.RoomID,
		CallID: e.CallID, UserID: e.UserID, At: e.At, CallType: e.CallType,
		Text: fmt.Sprintf("%s started %s", displayName(e.Name, e.UserID), kind),
	}
}

// endNotice is the timeline notice of an ended call, worded for each
// reader where the outcome reads differently for caller and callee.
func endNotice(c callSummary) Notice {
	d := c.duration()
	n := Notice{
		ID: c.ID + ":" + NoticeCallEnded, Kind: NoticeCallEnded, RoomID: c.RoomID,
		CallID: c.ID, UserID: c.CreatedBy, At: c.EndedAt, Duration: d,
		Outcome: string(c.Outcome), CallType: c.Type, Participants: c.Participants,
		EndReason: c.EndReason, EndedBy: c.EndedBy,
	}
	caller := c.name(c.CreatedBy)
	callees := make([]string, 0, len(c.Rung))
	for _, u := range c.Rung {
		callees = append(callees, c.name(u))
	}
	callee := strings.Join(callees, ", ")
	kind := strings.ToLower(typeLabel(c.Type))
	texts := map[string]string{}
	forCallees := func(text string) {
		for _, u := range c.Rung {
			texts[u] = text
		}
	}
	switch c.Outcome {
	case eventlog.OutcomeMissed:
		n.Text = fmt.Sprintf("Missed %s from %s", kind, caller)
		forCallees(n.Text)
		texts[c.CreatedBy] = fmt.Sprintf("%s didn't answer", callee)
	case eventlog.OutcomeDeclined:
		n.Text = fmt.Sprintf("%s declined a %s from %s", callee, kind, caller)
		forCallees(fmt.Sprintf("You declined a %s from %s", kind, caller))
		texts[c.CreatedBy] = fmt.Sprintf("%s declined", callee)
	case eventlog.OutcomeBusy:
		n.Text = fmt.Sprintf("%s was busy when %s called", callee, caller)
		forCallees(fmt.Sprintf("You were busy when %s called", caller))
		texts[c.CreatedBy] = fmt.Sprintf("%s is busy", callee)
	case eventlog.OutcomeCancelled:
		n.Text = fmt.Sprintf("%s cancelled the call", caller)
		forCallees(fmt.Sprintf("Missed %s from %s (cancelled)", kind, caller))
		texts[c.CreatedBy] = "You cancelled the call"
	case eventlog.OutcomeMerged:
		n.Text = fmt.Sprintf("Call moved into the call in %s", c.Detail)
	default:
		// "Video call · 12m 4s · Alice, Bob", then who ended it if
		// someone did, worded for that person and for everyone else.
		parts := []string{typeLabel(c.Type), formatDuration(d)}
		names := make([]string, 0, len(c.Participants))
		for _, u := range c.Participants {
			names = append(names, c.name(u))
		}
		if len(names) > 0 {
			parts = append(parts, strings.Join(names, ", "))
		}
		n.Text = strings.Join(parts, " · ")
		if ended := endedWording(c.EndReason); c.EndedBy != "" && ended != "" {
			texts[c.EndedBy] = n.Text + " · You " + ended
			n.Text += " · " + c.name(c.EndedBy) + " " + ended
		}
	}
	if len(texts) > 0 {
		n.Texts = texts
	}
	return n
}

// noticeTail is how far back into the log boot looks for call starts and
// ends whose notices may not have reached the host. A notice is posted
// right after its event is committed, so only a crash in between loses
// one, and that event is among the last few of the log.
const noticeTail = 1000

// redeliverNotices posts again the notices of the call starts and ends at
// the end of the log. Notice ids are stable, and hosts store each id once,
// so notices that did arrive are not doubled.
func (s *Service) redeliverNotices(ctx context.Context) {
	evs, err := s.store.RecentBoundaries(ctx, noticeTail)
	if err != nil {
		s.log.WarnContext(ctx, "cannot read recent calls to redeliver their notices", "err", err)
		return
	}
	for _, e := range evs {
		switch e.Kind {
		case eventlog.CallStarted:
			s.notice(ctx, startNotice(e))
		case eventlog.CallEnded:
			s.notice(ctx, endNotice(s.summary(ctx, e.CallID)))
		}
	}
}

// notice posts n to the host; one the host cannot store is owed, and the
// timer loop posts it again until it can.
func (s *Service) notice(ctx context.Context, n Notice) {
	if err := s.host.PostNotice(ctx, n); err != nil {
		s.log.WarnContext(ctx, "post call notice; retrying", "room", n.RoomID, "kind", n.Kind, "err", err)
		s.unposted.add(n)
	}
}

// repostNotices posts again the notices the host could not store (its
// database was full, say). Notice ids make a second post of one that did
// arrive harmless.
func (s *Service) repostNotices(ctx context.Context) {
	for _, n := range s.unposted.take() {
		if err := s.host.PostNotice(ctx, n); err != nil {
			s.log.Debug("post call notice again", "room", n.RoomID, "kind", n.Kind, "err", err)
			s.unposted.add(n)
		}
	}
}

// maxUnposted bounds the notices kept for another try; a restart
// redelivers the recent ones anyway (redeliverNotices).
const maxUnposted = noticeTail

// unposted holds the notices the host refused, oldest first.
type unposted struct {
	mu      sync.Mutex
	notices []Notice
}

func (u *unposted) add(n Notice) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.notices) >= maxUnposted {
		u.notices = u.notices[1:]
	}
	u.notices = append(u.notices, n)
}

func (u *unposted) take() []Notice {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.notices
	u.notices = nil
	return out
}

// summary reads one call's whole story from the log; the call is no
// longer in the projection once it has ended.
func (s *Service) summary(ctx context.Context, callID string) callSummary {
	evs, err := s.store.CallEvents(ctx, callID)
	if err != nil {
		s.log.WarnContext(ctx, "cannot read the events of a call", "call", callID, "err", err)
	}
	sum := summarize(evs)
	sum.liveKitSaw = sum.liveKitSaw || err != nil
	return sum
}

// callSummary is an ended (or running) call as history and notices show
// it.
type callSummary struct {
	ID, RoomID, Type, CreatedBy string
	StartedAt, EndedAt          time.Time
	Outcome                     eventlog.Outcome
	// Detail is the room a merged call moved into.
	Detail string
	// EndReason is call_ended's reason, EndedBy who ended it (if a
	// user did: hung up or ended it for everyone).
	EndReason, EndedBy string
	// Participants are the users who joined, in order of first join;
	// Rung are the users rung, in order of first ring.
	Participants, Rung []string
	names              map[string]string
	// liveKitSaw says LiveKit reported a device of the call (a webhook or
	// a reconcile found one), so its LiveKit room may exist.
	liveKitSaw bool
}

// summarize folds a call's events, in log order, into its summary.
func summarize(evs []eventlog.Event) callSummary {
	c := callSummary{names: map[string]string{}}
	seenP, seenR := map[string]bool{}, map[string]bool{}
	for _, e := range evs {
		if e.UserID != "" && e.Name != "" {
			c.names[e.UserID] = e.Name
		}
		if e.SID != "" || e.Source == eventlog.SourceLiveKit {
			c.liveKitSaw = true
		}
		switch e.Kind {
		case eventlog.CallStarted:
			c.ID, c.RoomID, c.CreatedBy, c.StartedAt, c.Type = e.CallID, e.RoomID, e.UserID, e.At, e.CallType
			if c.Type == "" {
				c.Type = eventlog.TypeVideo
			}
		case eventlog.ParticipantJoined:
			if !seenP[e.UserID] {
				seenP[e.UserID] = true
				c.Participants = append(c.Participants, e.UserID)
			}
		case eventlog.RingStarted:
			if !seenR[e.UserID] {
				seenR[e.UserID] = true
				c.Rung = append(c.Rung, e.UserID)
			}
		case eventlog.CallEnded:
			c.EndedAt, c.Outcome, c.Detail, c.EndReason = e.At, e.Outcome, e.Detail, e.Reason
			if e.Reason == eventlog.ReasonHungUp || e.Reason == eventlog.ReasonEnded {
				c.EndedBy = e.UserID
			}
			if c.Outcome == "" {
				c.Outcome = eventlog.OutcomeCompleted // logged before outcomes existed
			}
		}
	}
	if c.Participants == nil {
		c.Participants = []string{}
	}
	if c.Rung == nil {
		c.Rung = []string{}
	}
	return c
}

func (c callSummary) name(userID string) string { return displayName(c.names[userID], userID) }

// duration is how long a completed call lasted; a call nobody answered
// has none.
func (c callSummary) duration() time.Duration {
	if c.EndedAt.IsZero() || c.StartedAt.IsZero() || c.Outcome != eventlog.OutcomeCompleted {
		return 0
	}
	return c.EndedAt.Sub(c.StartedAt).Round(time.Second)
}

// view is the ended call as realtime clients get it.
func (c callSummary) view(seq int64) *CallView {
	end := c.EndedAt
	return &CallView{
		ID: c.ID, RoomID: c.RoomID, Type: c.Type, State: StateEnded, CreatedBy: c.CreatedBy,
		StartedAt: c.StartedAt, StartedBy: c.CreatedBy, EndedAt: &end, Outcome: string(c.Outcome),
		EndReason: c.EndReason, EndedBy: c.EndedBy, EndedByName: endedByName(c), Seq: seq, Participants: []ParticipantView{}, Ringing: []RingView{},
	}
}

// endedByName is the name of who ended the call, if someone did.
func endedByName(c callSummary) string {
	if c.EndedBy == "" {
		return ""
	}
	return c.name(c.EndedBy)
}

func displayName(name, userID string) string {
	if name != "" {
		return name
	}
	return userID
}

// typeLabel names a call type as people read it.
func typeLabel(callType string) string {
	if callType == eventlog.TypeAudio {
		return "Voice call"
	}
	return "Video call"
}

// endedWording is what a person did to end a call, by its end reason:
// one side of a direct call hung up, or someone ended it for everyone.
func endedWording(reason string) string {
	switch reason {
	case eventlog.ReasonHungUp:
		return "ended the call"
	case eventlog.ReasonEnded:
		return "ended the call for everyone"
	}
	return ""
}

// formatDuration is the one duration format of texts people read, as the
// web client writes it too: "42s", "1m 34s", "12m 4s", "1h 2m".
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
