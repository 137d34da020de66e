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
};

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
