-- Ringing: two new kinds of fact (ring_started, ring_stopped) and the
-- columns they and call history need. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt and every row copied with
-- its seq; DROP TABLE fires no triggers, and the new table gets the same
-- append-only triggers back.
CREATE TABLE events_v2 (
	seq         INTEGER PRIMARY KEY,
	at_ms       INTEGER NOT NULL,
	room_id     TEXT    NOT NULL,
	call_id     TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('call_started', 'participant_joined', 'participant_left', 'call_ended',
	                                             'ring_started', 'ring_stopped')),
	identity    TEXT    NOT NULL DEFAULT '',
	user_id     TEXT    NOT NULL DEFAULT '',
	name        TEXT    NOT NULL DEFAULT '',
	sid         TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL CHECK (source IN ('user', 'livekit', 'reconcile', 'timer')),
	lk_event_id TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT '',
	-- call_started: 'audio' or 'video' ('' in calls logged before rings).
	call_type   TEXT    NOT NULL DEFAULT '',
	-- ring_started: when the ring times out, so a restart resumes it.
	deadline_ms INTEGER NOT NULL DEFAULT 0,
	-- call_ended: completed, missed, declined, busy, cancelled or merged
	-- ('' in calls logged before rings, read as completed).
	outcome     TEXT    NOT NULL DEFAULT '',
	-- Free detail: LiveKit's disconnect reason on a leave, the target
	-- room of a merge, 'busy' or 'invite' on a ring.
	detail      TEXT    NOT NULL DEFAULT ''
);

INSERT INTO events_v2 (seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason)
	SELECT seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason FROM events;

DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;

CREATE INDEX events_call ON events (call_id, seq);
CREATE INDEX events_started ON events (call_id) WHERE kind = 'call_started';
CREATE INDEX events_ended ON events (call_id) WHERE kind = 'call_ended';
-- Call history pages a room's ended calls newest first.
CREATE INDEX events_room_ended ON events (room_id, seq) WHERE kind = 'call_ended';

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
