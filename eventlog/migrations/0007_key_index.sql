-- Key rotation: a call's key is replaced when a participant leaves a
-- call that continues. key_index counts the call's keys (0 for the first);
-- clients use it to tell the keys apart in their key ring.
ALTER TABLE call_keys ADD COLUMN key_index INTEGER NOT NULL DEFAULT 0;
