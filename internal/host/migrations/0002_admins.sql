-- Room admins: who may end a call for everyone (and, later, moderate).
-- Both members of a direct room administer it; an existing group room
-- gets its first member (by user id) as admin, which for the demo data
-- is alice in general and bob in design.
ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin'));

UPDATE members SET role = 'admin'
WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct')
   OR (room_id, user_id) IN (SELECT room_id, min(user_id) FROM members GROUP BY room_id);
