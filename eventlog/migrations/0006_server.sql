-- Settings this installation chose for itself, e.g. the server id that
-- prefixes its LiveKit rooms when livekit.server_id is not configured.
CREATE TABLE server_settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
