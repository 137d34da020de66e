-- Session generations: every join the API grants gets an opaque id that
-- its token carries as a LiveKit participant attribute. participant_joined
-- from the API records the generation it starts, a user's leave the one it
-- ends, and facts from webhooks and reconcile the one LiveKit reported, so
-- a late fact about an older join can never add, replace or remove the
-- device's current one.
ALTER TABLE events ADD COLUMN generation TEXT NOT NULL DEFAULT '';
