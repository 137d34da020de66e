// Realtime state: the active call of every room, kept current from the
// server's event stream. Updates carry a per-room sequence number; an
// update older than what we hold is dropped, so out-of-order delivery
// never shows a stale participant list.

import { api } from './api.js';

export class CallIndex {
  constructor() {
    /** room id -> { seq, call } (call null once it ended) */
    this.rooms = new Map();
    this.listeners = new Set();
    this.buffer = null; // events that arrive while a snapshot is loading
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(roomId) {
    const e = this.rooms.get(roomId);
    return e ? e.call : null;
  }

  /** Applies one realtime event ({type, room_id, call}). */
  applyEvent(ev) {
    if (this.buffer) this.buffer.push(ev);
    this.#apply(ev.room_id, ev.call);
  }

  /** Forgets a room's call (the user left the room). */
  drop(roomId) {
    if (this.rooms.delete(roomId)) this.#emit(roomId);
  }

  /** Applies a call view from an API answer (e.g. a join's). */
  applyView(call) {
    if (call && call.room_id) this.applyEvent({ room_id: call.room_id, call });
  }

  #apply(roomId, call) {
    if (!call) return;
    const held = this.rooms.get(roomId);
    // Views are ordered by (seq, rev): rev orders changes that are not in
    // the log (raised hands), so a late view of the same seq cannot undo
    // a newer hand.
    if (held && older(call, held)) return;
    const ended = !!call.ended_at;
    this.rooms.set(roomId, { seq: call.seq, rev: call.rev || 0, call: ended ? null : call });
    this.#emit(roomId);
  }

  /**
   * Replaces the state with a snapshot from GET /api/calls. Events that
   * arrived while it loaded are applied again afterwards, in order.
   */
  async refresh() {
    this.buffer = [];
    let list;
    try {
      list = (await api('GET', '/api/calls')) || [];
    } catch (e) {
      this.buffer = null;
      throw e;
    }
    const pending = this.buffer;
    this.buffer = null;
    const changed = new Set(this.rooms.keys());
    this.rooms.clear();
    for (const c of list) {
      this.rooms.set(c.room_id, { seq: c.seq, rev: c.rev || 0, call: c });
      changed.add(c.room_id);
    }
    for (const ev of pending) {
      const held = this.rooms.get(ev.room_id);
      if (!ev.call || (held && older(ev.call, held))) continue;
      this.rooms.set(ev.room_id, { seq: ev.call.seq, rev: ev.call.rev || 0, call: ev.call.ended_at ? null : ev.call });
    }
    for (const id of changed) this.#emit(id);
  }

  #emit(roomId) {
    for (const fn of this.listeners) fn(roomId, this.get(roomId));
  }
}

/** Whether a call view is older than what is held, by (seq, rev). */
const older = (call, held) => call.seq < held.seq || (call.seq === held.seq && (call.rev || 0) < (held.rev || 0));

/** Participants (devices) in a call view. */
export const participantCount = (call) => (call && call.participants ? call.participants.length : 0);

/** Whether a call view still waits for its callee to answer. */
export const isRinging = (call) => !!call && call.state === 'ringing';

/** The call's type, 'audio' or 'video' (servers before ringing: video). */
export const callType = (call) => (call && call.type === 'audio' ? 'audio' : 'video');

/** The ringing entries of a call view (users being rung right now). */
export const ringingOf = (call) => (call && Array.isArray(call.ringing) ? call.ringing : []);

/** The participant entry of a device in a call view. */
export const participantOf = (call, identity) => (call && call.participants ? call.participants.find((p) => p.identity === identity) : undefined);

/** Realtime events about rings: to the callee's devices and the caller. */
export const RING_EVENTS = ['call.ringing', 'call.ring_stopped', 'call.moved'];

/**
 * Stream opens /api/events and hands events to the callbacks. On every
 * (re)open it calls onOpen, so the caller can refetch what it might have
 * missed while disconnected. Ring events (RING_EVENTS) go to onRing,
 * with their type; call.removed (this user's device taken out of a call)
 * to onRemoved, room.removed (no longer a member) to onRoomRemoved and
 * call.key_rotated (a call's key changed; only its index) to onKeyRotated.
 */
export class Stream {
  constructor({ onOpen, onCall, onRing, onMessage, onRemoved, onRoomRemoved, onKeyRotated, onUnauthorized }) {
    this.cb = { onOpen, onCall, onRing, onMessage, onRemoved, onRoomRemoved, onKeyRotated, onUnauthorized };
    this.es = null;
    this.connected = false;
  }

  start() {
    const es = new EventSource('/api/events');
    this.es = es;
    es.addEventListener('open', () => {
      this.connected = true;
      this.cb.onOpen();
    });
    es.addEventListener('error', () => {
      this.connected = false;
      // EventSource retries by itself unless the answer was not a stream
      // (e.g. 401 after the session ended); then it closes for good.
      if (es.readyState === EventSource.CLOSED) this.cb.onUnauthorized();
    });
    for (const t of ['call.started', 'call.updated', 'call.ended']) {
      es.addEventListener(t, (e) => this.cb.onCall(typed(t, parse(e.data))));
    }
    for (const t of RING_EVENTS) {
      es.addEventListener(t, (e) => this.cb.onRing(typed(t, parse(e.data))));
    }
    es.addEventListener('message.created', (e) => this.cb.onMessage(parse(e.data)));
    es.addEventListener('call.removed', (e) => this.cb.onRemoved(typed('call.removed', parse(e.data))));
    es.addEventListener('call.key_rotated', (e) => this.cb.onKeyRotated(typed('call.key_rotated', parse(e.data))));
    es.addEventListener('room.removed', (e) => this.cb.onRoomRemoved(typed('room.removed', parse(e.data))));
  }

  stop() {
    if (this.es) this.es.close();
    this.es = null;
  }
}

/** The event's payload with its type, which the SSE event name carries too. */
function typed(type, ev) {
  if (ev && typeof ev === 'object' && !ev.type) ev.type = type;
  return ev;
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
