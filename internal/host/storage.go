package host

import (
	"context"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// wrote reports how one of the host's writes ended: err nil (the disk
// takes writes), a full disk, or anything else (not this report's
// business). A full disk is logged when the outage starts and when it
// ends, not once per refused message or sign-in (the requests themselves
// get 503 storage_full, like refused call changes).
func (h *Host) wrote(ctx context.Context, err error) {
	switch {
	case err == nil:
		if since, n, ok := h.full.End(); ok {
			h.log.InfoContext(ctx, "the database's disk accepts the host's writes again", "refused", n,
				"outage", time.Since(since).Round(time.Millisecond))
		}
	case eventlog.IsFull(err):
		if h.full.Fail(time.Now()) {
			h.log.ErrorContext(ctx, "the database's disk is full: messages and sign-ins are refused (503 storage_full) until space is freed", "err", err)
		} else {
			h.log.DebugContext(ctx, "host write refused: the disk is still full", "err", err)
		}
	}
}
