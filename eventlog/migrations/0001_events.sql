-- The event log. Rows are facts; the triggers below make the table
-- append-only so no code path can rewrite history.
CREATE TABLE IF NOT EXISTS events (
	-- No AUTOINCREMENT: rows are never deleted, so the rowid already only
	-- grows, and AUTOINCREMENT would write sqlite_sequence on every append.
	seq         INTEGER PRIMARY KEY,
	at_ms       INTEGER NOT NULL,
	room_id     TEXT    NOT NULL,
	call_id     TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('call_started', 'participant_joined', 'participant_left', 'call_ended')),
	identity    TEXT    NOT NULL DEFAULT '',
	user_id     TEXT    NOT NULL DEFAULT '',
	name        TEXT    NOT NULL DEFAULT '',
	sid         TEXT    NOT NULL DEFAULT '',
	source      TEXT    NOT NULL CHECK (source IN ('user', 'livekit', 'reconcile', 'timer')),
	lk_event_id TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_call ON events (call_id, seq);
-- Only call boundaries are indexed by kind; boot looks for calls that
-- started and did not end, and joins/leaves never pay for this index.
CREATE INDEX IF NOT EXISTS events_started ON events (call_id) WHERE kind = 'call_started';
CREATE INDEX IF NOT EXISTS events_ended ON events (call_id) WHERE kind = 'call_ended';

CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
-- INSERT OR REPLACE deletes the row it collides with without firing
-- delete triggers (unless recursive_triggers is on), so an insert may not
-- name a seq that is already taken.
CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events
WHEN NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

-- Per-call E2EE keys live apart from the log so that ending a call can
-- delete (and, with secure_delete, overwrite) them without touching facts.
CREATE TABLE IF NOT EXISTS call_keys (
	call_id TEXT PRIMARY KEY,
	key     BLOB NOT NULL
);
