-- When LiveKit says a session joined (participant_joined and
-- participant_left from webhooks and reconcile), in Unix milliseconds, so
-- facts about an older session of a device can be told from facts about
-- its newer one even when webhooks arrive out of order.
ALTER TABLE events ADD COLUMN lk_joined_ms INTEGER NOT NULL DEFAULT 0;
