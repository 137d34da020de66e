package host

import (
	"context"
	"sync"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// diskFull tracks the host's writes refused because the disk holding the
// database is full, so the trouble is logged once when it starts and once
// when it ends, not once per refused message or sign-in. (The requests
// themselves get 503 storage_full, like refused call changes.)
type diskFull struct {
	mu      sync.Mutex
	since   time.Time // zero while writes succeed
	refused int
}

// wrote reports how a write ended: err nil (the disk takes writes), a
// full disk, or anything else (not this tracker's business).
func (h *Host) wrote(ctx context.Context, err error) {
	d := &h.full
	switch {
	case err == nil:
		d.mu.Lock()
		since, n := d.since, d.refused
		d.since, d.refused = time.Time{}, 0
		d.mu.Unlock()
		if !since.IsZero() {
			h.log.InfoContext(ctx, "the database's disk accepts the host's writes again", "refused", n,
				"outage", time.Since(since).Round(time.Millisecond))
		}
	case eventlog.IsFull(err):
		d.mu.Lock()
		first := d.since.IsZero()
		if first {
			d.since = time.Now()
		}
		d.refused++
		d.mu.Unlock()
		if first {
			h.log.ErrorContext(ctx, "the database's disk is full: messages and sign-ins are refused (503 storage_full) until space is freed", "err", err)
		} else {
			h.log.DebugContext(ctx, "host write refused: the disk is still full", "err", err)
		}
	}
}
