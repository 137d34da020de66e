// The client's shared state: who is signed in, the server's call
// settings, the rooms, the open room, the realtime call index and this
// tab's call. Modules read and update it; main.js owns its lifecycle.

import { CallIndex } from './realtime.js';
import { deviceId } from './deviceid.js';

export const app = {
  me: null,
  config: { enabled: false },
  rooms: [],
  current: null, // open room id
  calls: new CallIndex(),
  stream: null,
  session: null, // CallSession, in at most one room at a time
  tiles: null,
  deviceId: deviceId(() => app.session && app.session.active, (id) => (app.deviceId = id)),
  names: new Map(), // user id -> display name, learnt from call views and events
  rung: new Map(), // call id -> user ids rung in it, for wording its outcome
};

/** A user's display name as far as the client has seen it, else the id. */
export const nameOf = (userId) => {
  if (app.me && userId === app.me.id) return app.me.name;
  return app.names.get(userId) || userId;
};

/** Remembers what a call view tells about people: names and who was rung. */
export function learnCall(call) {
  if (!call) return;
  for (const p of call.participants || []) if (p.user_id && p.name) app.names.set(p.user_id, p.name);
  for (const r of call.ringing || []) {
    if (r.user_id && r.name) app.names.set(r.user_id, r.name);
    if (!r.user_id) continue;
    if (!app.rung.has(call.id)) app.rung.set(call.id, new Set());
    app.rung.get(call.id).add(r.user_id);
  }
}

/** Whether the signed-in user may end a call for everyone in the room. */
export function canEndForEveryone(call) {
  if (!app.me || !call || isDirect(call.room_id)) return false;
  return call.created_by === app.me.id || isRoomAdmin(call.room_id);
}

/**
 * Whether the signed-in user moderates the room's call: an admin of a
 * group room. A direct call is between two people, like a phone call:
 * hanging up ends it, and nobody moderates the other.
 */
export function isRoomAdmin(roomId) {
  const room = roomById(roomId);
  return !!(app.me && room && room.kind !== 'direct' && Array.isArray(room.admins) && room.admins.includes(app.me.id));
}

/** Whether a room is a direct (two-person) room. */
export function isDirect(roomId) {
  const room = roomById(roomId);
  return !!(room && room.kind === 'direct');
}

/** Forgets a room the user is no longer a member of; reports whether it was listed. */
export function dropRoom(roomId) {
  const before = app.rooms.length;
  app.rooms = app.rooms.filter((r) => r.id !== roomId);
  app.calls.drop(roomId);
  return app.rooms.length !== before;
}

/** The room summary with this id, if the user is a member. */
export const roomById = (id) => app.rooms.find((r) => r.id === id);

/** The room's display name, or its id while the list is not loaded. */
export const roomName = (id) => {
  const r = roomById(id);
  return r ? r.name : id;
};

/** Opens a room: routing follows the hash (see main.js). */
export function openRoom(id) {
  const hash = `#/rooms/${encodeURIComponent(id)}`;
  if (location.hash !== hash) location.hash = hash;
}
