-- Roles: a participant is a speaker or a listener. participant_joined
-- records the role its token grants, role_changed an admin's change.
-- The kind list is a CHECK constraint, so the table is rebuilt as in 0002.
CREATE TABLE events_v4 (
	seq         INTEGER PRIMARY KEY,
	at_ms       INTEGER NOT NULL,
	room_id     TEXT    NOT NULL,
	call_id     TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('call_started', 'participant_joined', 'participant_left', 'call_ended',
	                                             'ring_started', 'ring_stopped', 'role_changed')),
	identity    TEXT    NOT NULL DEFAULT '',
	user_id     TEXT    NOT NULL DEFAULT '',
	name        TEXT    NOT NULL DEFAULT '',
	sid         TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL CHECK (source IN ('user', 'livekit', 'reconcile', 'timer')),
	lk_event_id TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT '',
	call_type   TEXT    NOT NULL DEFAULT '',
	deadline_ms INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT    NOT NULL DEFAULT '',
	detail      TEXT    NOT NULL DEFAULT '',
	-- participant_joined and role_changed: 'speaker' or 'listener' ('' in
	-- joins logged before roles, read as speaker).
	role        TEXT    NOT NULL DEFAULT '' CHECK (role IN ('', 'speaker', 'listener'))
);

INSERT INTO events_v4 (seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
                       call_type, deadline_ms, outcome, detail)
	SELECT seq, at_ms, room_id, call_id, kind, identity, user_id, name, sid, source, lk_event_id, reason,
	       call_type, deadline_ms, outcome, detail FROM events;

DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;

CREATE INDEX events_call ON events (call_id, seq);
CREATE INDEX events_started ON events (call_id) WHERE kind = 'call_started';
CREATE INDEX events_ended ON events (call_id) WHERE kind = 'call_ended';
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
