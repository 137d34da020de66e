package chatto

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/livekit"
)

// An operator (the admin CLI, `chatto calls end`) acts on a running
// server through its API, so the server that owns the call state records
// the facts, deletes the LiveKit room and tells the clients. The order is
// a LiveKit access token signed with this server's API key that grants
// roomAdmin of the call's LiveKit room (livekit.OperatorToken): it names
// exactly one call, and only someone holding the API secret, who could
// delete that LiveKit room anyway, can make one.

// EndCall ends the room's call callID for everyone on an operator's
// order, as End does for its creator or a room admin: rings stop, the key
// is shredded, the LiveKit room is deleted and every client is told. If
// the room's call is no longer callID (it ended, another may have
// started) nothing changes and the answer is no_call.
func (s *Service) EndCall(ctx context.Context, roomID, callID string) error {
	unlock := s.lockRoom(roomID)
	defer unlock()
	call, err := s.activeCall(roomID)
	if err != nil {
		return err
	}
	if call.ID != callID {
		return Errorf(ENOCALL, "the room's call is not the one named (it ended; another may have started)")
	}
	if err := s.record(ctx, roomID, endForAll(call, eventlog.Event{Detail: eventlog.DetailOperator})); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "call ended by an operator", "room", roomID, "call", callID)
	return nil
}

// operatorEnd is POST /api/admin/rooms/:room/call/end.
func (p *Plugin) operatorEnd(c echo.Context) error {
	if p.svc == nil {
		return Errorf(EDISABLED, "calls are disabled on this server")
	}
	raw, _ := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	lkRoom, err := livekit.VerifyOperatorToken(raw, p.cfg.APIKey, p.cfg.APISecret)
	if err != nil {
		return Errorf(EUNAUTHORIZED, "an operator token signed with this server's LiveKit API key is required")
	}
	roomID, callID, ok := p.svc.lk.ParseRoomName(lkRoom)
	if !ok || roomID != c.Param("room") {
		return Errorf(EFORBIDDEN, "the operator token is for another room")
	}
	if err := p.svc.EndCall(c.Request().Context(), roomID, callID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ended": true, "call_id": callID})
}
