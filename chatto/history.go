package chatto

import (
	"context"
	"github.com/chattocalls/chatto/eventlog"
	"strconv"
	"time"
)

// HistoryEntry is one ended call in a call history.
type HistoryEntry struct {
	ID              string    `json:"id"`
	RoomID          string    `json:"room_id"`
	Type            string    `json:"type"`
	Outcome         string    `json:"outcome"`
	CreatedBy       string    `json:"created_by"`
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	DurationSeconds int64     `json:"duration_seconds"`
	// Participants are the users who joined; Rung those who were rung.
	Participants []string `json:"participants"`
	Rung         []string `json:"rung"`
}

// HistoryPage is one page of a call history, newest first. Next, when
// set, is the cursor (the before parameter) of the following page.
type HistoryPage struct {
	Calls []HistoryEntry `json:"calls"`
	Next  *string        `json:"next"`
}

// History page sizes.
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 100
)

// RoomHistory pages the ended calls of one room for a member.
func (s *Service) RoomHistory(ctx context.Context, userID, roomID string, limit int, before string) (*HistoryPage, error) {
	if err := s.authorize(ctx, userID, roomID); err != nil {
		return nil, err
	}
	return s.history(ctx, []string{roomID}, limit, before)
}

// UserHistory pages the ended calls of every room the user is in.
func (s *Service) UserHistory(ctx context.Context, userID string, limit int, before string) (*HistoryPage, error) {
	rooms, err := s.host.UserRooms(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.history(ctx, rooms, limit, before)
}

func (s *Service) history(ctx context.Context, rooms []string, limit int, before string) (*HistoryPage, error) {
	if limit == 0 {
		limit = DefaultHistoryLimit
	}
	if limit < 1 || limit > MaxHistoryLimit {
		return nil, Errorf(EINVALID, "limit must be between 1 and %d", MaxHistoryLimit)
	}
	var cursor int64
	if before != "" {
		var err error
		if cursor, err = strconv.ParseInt(before, 10, 64); err != nil || cursor <= 0 {
			return nil, Errorf(EINVALID, "before must be a cursor from a previous page's next")
		}
	}
	ended, err := s.store.EndedCalls(ctx, rooms, cursor, limit+1)
	if err != nil {
		return nil, err
	}
	page := &HistoryPage{Calls: make([]HistoryEntry, 0, min(len(ended), limit))}
	if len(ended) > limit {
		next := strconv.FormatInt(ended[limit-1].Seq, 10)
		page.Next = &next
		ended = ended[:limit]
	}
	ids := make([]string, len(ended))
	for i, e := range ended {
		ids[i] = e.CallID
	}
	evs, err := s.store.EventsOfCalls(ctx, ids)
	if err != nil {
		return nil, err
	}
	byCall := make(map[string][]int, len(ids))
	for i, e := range evs {
		byCall[e.CallID] = append(byCall[e.CallID], i)
	}
	for _, id := range ids {
		own := make([]eventlog.Event, 0, len(byCall[id]))
		for _, i := range byCall[id] {
			own = append(own, evs[i])
		}
		c := summarize(own)
		page.Calls = append(page.Calls, HistoryEntry{
			ID: c.ID, RoomID: c.RoomID, Type: c.Type, Outcome: string(c.Outcome), CreatedBy: c.CreatedBy,
			StartedAt: c.StartedAt, EndedAt: c.EndedAt, DurationSeconds: int64(c.duration() / time.Second),
			Participants: c.Participants, Rung: c.Rung,
		})
	}
	return page, nil
}
