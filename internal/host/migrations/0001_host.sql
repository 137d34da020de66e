-- The embedded host's own tables: a deliberately small chat server so the
-- calls plugin can run and be tested on its own.
CREATE TABLE IF NOT EXISTS users (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	password_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rooms (
	id   TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('direct', 'group'))
);
CREATE TABLE IF NOT EXISTS members (
	room_id TEXT NOT NULL REFERENCES rooms (id),
	user_id TEXT NOT NULL REFERENCES users (id),
	PRIMARY KEY (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS members_user ON members (user_id);
CREATE TABLE IF NOT EXISTS sessions (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id),
	created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	id        TEXT NOT NULL UNIQUE,
	room_id   TEXT NOT NULL REFERENCES rooms (id),
	user_id   TEXT NOT NULL DEFAULT '',
	kind      TEXT NOT NULL CHECK (kind IN ('text', 'notice')),
	body      TEXT NOT NULL,
	notice    TEXT NOT NULL DEFAULT '',
	at_ms     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_room ON messages (room_id, seq);
