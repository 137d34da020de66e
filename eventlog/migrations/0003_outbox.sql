-- Outgoing webhooks: deliveries wait here until a receiver accepts them.
-- Rows are written in the transaction that appends the facts causing
-- them, so a committed fact never loses its delivery and a rolled-back one
-- never sends one. Unlike events, rows change: they move from pending to
-- delivered or dead.
CREATE TABLE outbox (
	-- The Standard Webhooks webhook-id; one event sent to several
	-- endpoints keeps one id, so the pair is the key.
	id              TEXT    NOT NULL,
	-- The configured receiver (its url).
	endpoint        TEXT    NOT NULL,
	-- The webhook type, e.g. 'call.ended'.
	event           TEXT    NOT NULL,
	-- The JSON body, signed and sent as is on every attempt.
	payload         BLOB    NOT NULL,
	created_ms      INTEGER NOT NULL,
	-- Attempts made so far, whatever their result.
	attempts        INTEGER NOT NULL DEFAULT 0,
	-- When a pending row may be tried next; a claimed row's lease end.
	next_attempt_ms INTEGER NOT NULL,
	state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
	-- Why the last attempt failed (no secrets: a status or a network error).
	last_error      TEXT    NOT NULL DEFAULT '',
	delivered_ms    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (id, endpoint)
) WITHOUT ROWID;

-- The worker asks for pending rows that are due, earliest first.
CREATE INDEX outbox_due ON outbox (next_attempt_ms) WHERE state = 'pending';
-- /healthz counts rows by state without reading the payloads.
CREATE INDEX outbox_state ON outbox (state);
