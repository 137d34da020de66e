package host

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chattocalls/chatto/chatto"
)

// Message is one entry of a room timeline.
type Message struct {
	Seq    int64          `json:"seq"`
	ID     string         `json:"id"`
	RoomID string         `json:"room_id"`
	UserID string         `json:"user_id,omitempty"`
	Kind   string         `json:"kind"` // "text" or "notice"
	Body   string         `json:"body"`
	Notice *chatto.Notice `json:"notice,omitempty"`
	At     time.Time      `json:"at"`
}

// PostNotice implements chatto.Host: the notice becomes a timeline entry
// (once per notice id) and is pushed to the room's members.
func (h *Host) PostNotice(ctx context.Context, n chatto.Notice) error {
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("host: encode notice: %w", err)
	}
	m := Message{ID: n.ID, RoomID: n.RoomID, Kind: "notice", Body: n.Text, Notice: &n, At: n.At}
	return h.insertMessage(ctx, m, string(raw))
}

// PostText adds a user's text message to a room.
func (h *Host) PostText(ctx context.Context, roomID, userID, text string) (Message, error) {
	raw := make([]byte, 12)
	rand.Read(raw)
	m := Message{ID: hex.EncodeToString(raw), RoomID: roomID, UserID: userID, Kind: "text", Body: text, At: time.Now()}
	return m, h.insertMessage(ctx, m, "")
}

func (h *Host) insertMessage(ctx context.Context, m Message, notice string) error {
	var stored bool
	err := h.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO messages (id, room_id, user_id, kind, body, notice, at_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			m.ID, m.RoomID, m.UserID, m.Kind, m.Body, notice, m.At.UnixMilli())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		stored = n > 0 // none: already stored, a notice re-sent after a retry
		m.Seq, _ = res.LastInsertId()
		return nil
	})
	if err != nil {
		return fmt.Errorf("host: store message in %s: %w", m.RoomID, err)
	}
	if !stored {
		return nil
	}
	members, err := h.members(ctx, m.RoomID)
	if err != nil {
		return err
	}
	h.hub.Send(members, "message.created", m)
	return nil
}

// write runs fn in a committed transaction: the configured writer's, or
// one of its own.
func (h *Host) write(ctx context.Context, fn func(context.Context, *sql.Tx) error) (err error) {
	defer func() { h.wrote(ctx, err) }()
	if h.opt.write != nil {
		return h.opt.write(ctx, fn)
	}
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Messages returns the latest limit messages of a room, oldest first.
func (h *Host) Messages(ctx context.Context, roomID string, limit int) ([]Message, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT seq, id, room_id, user_id, kind, body, notice, at_ms FROM
		(SELECT * FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`, roomID, limit)
	if err != nil {
		return nil, fmt.Errorf("host: messages of %s: %w", roomID, err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var notice string
		var atMS int64
		if err := rows.Scan(&m.Seq, &m.ID, &m.RoomID, &m.UserID, &m.Kind, &m.Body, &notice, &atMS); err != nil {
			return nil, fmt.Errorf("host: messages of %s: %w", roomID, err)
		}
		m.At = time.UnixMilli(atMS)
		if notice != "" {
			m.Notice = new(chatto.Notice)
			if err := json.Unmarshal([]byte(notice), m.Notice); err != nil {
				return nil, fmt.Errorf("host: decode notice %s: %w", m.ID, err)
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
