-- Sessions expire: after session_idle without a request (last_seen_ms) and
-- session_max after sign-in (created_ms). Existing sessions count as seen
-- when they were created.
ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_ms = created_ms;
CREATE INDEX sessions_user ON sessions (user_id);

-- The admin commands (chatto users/rooms) write to the database while the
-- server runs; the server keeps users, rooms and sessions in memory. Every
-- change to them bumps this counter, which the server polls to reload.
CREATE TABLE host_changes (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
);
INSERT INTO host_changes (id, n) VALUES (1, 0);
CREATE TRIGGER users_inserted AFTER INSERT ON users BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER users_updated AFTER UPDATE ON users BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER rooms_inserted AFTER INSERT ON rooms BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER rooms_updated AFTER UPDATE ON rooms BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER rooms_deleted AFTER DELETE ON rooms BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER members_inserted AFTER INSERT ON members BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER members_updated AFTER UPDATE ON members BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER members_deleted AFTER DELETE ON members BEGIN UPDATE host_changes SET n = n + 1; END;
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions BEGIN UPDATE host_changes SET n = n + 1; END;
