package chatto

import (
	"errors"
	"fmt"
	"time"

	"github.com/chattocalls/chatto/eventlog"
)

// The event log lives on a disk that can fill up. A change the log cannot
// record is refused whole, before anything of it reaches memory, LiveKit
// or the host: the request gets 503 storage_full (LiveKit retries its
// webhooks; reconcile and the timer loop try again on their own). Such
// trouble lasts until someone frees space, so it is logged once when it
// starts and once when it ends, not once per refused request.

// storageRetryAfter is how long a client is told to wait before it tries
// a change the full disk refused again.
const storageRetryAfter = 5 * time.Second

// refused turns an error from appending to the log into the error the
// request returns: storage_full when the disk is full.
func (s *Service) refused(err error) error {
	if !errors.Is(err, eventlog.ErrFull) {
		return fmt.Errorf("chatto: record call events: %w", err)
	}
	if s.diskFull.Fail(s.clock.Now()) {
		s.log.Error("the event log's disk is full: call changes are refused (503 storage_full) until space is freed", "err", err)
	} else {
		s.log.Debug("call change refused: the event log's disk is still full", "err", err)
	}
	e := Errorf(ESTORAGEFULL, "the server cannot record call changes right now because its storage is full; try again shortly")
	e.RetryAfter = storageRetryAfter
	return e
}

// recorded notes that the log took a write, which ends a disk-full outage.
func (s *Service) recorded() {
	if since, n, ok := s.diskFull.End(); ok {
		s.log.Info("the event log's disk accepts writes again", "refused", n,
			"outage", s.clock.Now().Sub(since).Round(time.Millisecond))
	}
}

// checkpointFailed reports a shred checkpoint that could not complete: a
// deleted key may still be in old WAL frames until a retry succeeds. Only
// the timer loop, which retries it, calls it and checkpointDone.
func (s *Service) checkpointFailed(err error) {
	if s.shredOwed.Fail(s.clock.Now()) {
		s.log.Error("a shredded key may still be in the WAL: its checkpoint failed; retrying until it completes", "err", err)
	} else {
		s.log.Debug("owed checkpoint failed again", "err", err)
	}
}

// checkpointDone notes that no checkpoint is owed any more.
func (s *Service) checkpointDone() {
	if since, n, ok := s.shredOwed.End(); ok {
		s.log.Info("owed checkpoint completed: shredded keys are gone from the WAL", "failures", n,
			"after", s.clock.Now().Sub(since).Round(time.Millisecond))
	}
}

// storageFull reports whether err is a change refused for a full disk,
// which refused has already reported.
func storageFull(err error) bool { return ErrorCode(err) == ESTORAGEFULL }
