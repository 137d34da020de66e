// The incoming-call dialog: shown while someone rings this user (from a
// call.ringing event, or from the call views fetched at boot and on every
// stream reconnect), with the caller's avatar and name, one line of
// context (call type and room), Accept, Accept audio only (video calls),
// Decline and, when the user is in another call, Merge. While the tab is
// hidden the title flashes and, with permission, a system notification
// shows. A ring tone plays while
// it shows. It goes away when the ring stops for this user (answered or
// declined on any of their devices, cancelled, missed, merged), when the
// call ends, or when the ring expires.

import { ApiError, api, callPath } from './api.js';
import { userColour } from './avatar.js';
import { acceptCall } from './callpanel.js';
import { $, announce, initials, showError } from './dom.js';
import { callType, ringingOf } from './realtime.js';
import { app, learnCall, nameOf, openRoom, roomName } from './state.js';

// The server stops a ring at its deadline (call.ring_stopped, missed); the
// page's own timer is a backstop for a lost stream, so it waits a little
// longer and the server's word, announced, comes first.
const EXPIRY_GRACE_MS = 1500;

/** call id -> { callId, roomId, type, caller: {id, name}, expiresAt (ms), busy, at (ms) } */
const rings = new Map();
let shown = null; // the ring the dialog shows
let returnFocus = null; // where focus was before the dialog took it
let expiryTimer = 0;
let pending = false; // a request from the dialog is under way

// ---- what rings ----

/** Takes in call.ringing and call.ring_stopped. */
export function onRingEvent(ev) {
  if (!ev || !app.me) return;
  if (ev.type === 'call.ringing' && ev.call) {
    learnCall(ev.call);
    const caller = ev.caller && ev.caller.id ? ev.caller : { id: ev.call.created_by, name: nameOf(ev.call.created_by) };
    if (caller.id === app.me.id) return; // a ring is never for the caller
    if (caller.name) app.names.set(caller.id, caller.name);
    addRing({
      callId: ev.call.id,
      roomId: ev.room_id || ev.call.room_id,
      type: callType(ev.call),
      caller: { id: caller.id, name: caller.name || nameOf(caller.id) },
      expiresAt: expiry(ev.expires_at),
      busy: !!ev.busy,
    });
  } else if (ev.type === 'call.ring_stopped' && ev.user_id === app.me.id) {
    removeRing(ev.call_id, ev.reason);
  }
}

/** Takes in call.started/updated/ended: a call that ended rings no more. */
export function onCallEvent(ev) {
  if (ev && ev.type === 'call.ended' && ev.call) removeRing(ev.call.id, 'ended');
}

/**
 * Brings the rings in line with a fresh snapshot of the calls (boot and
 * stream reconnect): rings listed for this user that have not expired are
 * shown, rings the snapshot no longer lists go away. Rings that arrived
 * after the snapshot was asked for (since, ms) are newer than it and kept.
 */
export function reconcileRings(since) {
  if (!app.me) return;
  const listed = new Set();
  for (const { call } of app.calls.rooms.values()) {
    if (!call) continue;
    for (const r of ringingOf(call)) {
      if (r.user_id !== app.me.id) continue;
      const expiresAt = expiry(r.expires_at);
      if (expiresAt <= Date.now()) continue;
      learnCall(call);
      listed.add(call.id);
      if (rings.has(call.id)) continue;
      // An invite names its inviter; older servers only gave the creator.
      const caller = r.caller && r.caller.id ? r.caller : { id: call.created_by, name: nameOf(call.created_by) };
      addRing({
        callId: call.id,
        roomId: call.room_id,
        type: callType(call),
        caller: { id: caller.id, name: caller.name || nameOf(caller.id) },
        expiresAt,
        busy: !!r.busy,
      });
    }
  }
  for (const r of [...rings.values()]) {
    if (!listed.has(r.callId) && r.at < since) removeRing(r.callId, 'gone');
  }
}

function expiry(iso) {
  const t = Date.parse(iso);
  if (Number.isFinite(t)) return t;
  return Date.now() + 1000 * (Number(app.config.ring_timeout_seconds) || 30);
}

function addRing(r) {
  const held = rings.get(r.callId);
  rings.set(r.callId, { ...r, at: held ? held.at : Date.now() });
  render();
}

function removeRing(callId, reason) {
  const r = rings.get(callId);
  if (!r) return;
  rings.delete(callId);
  if (shown && shown.callId === callId) {
    const msg = {
      cancelled: `${r.caller.name} cancelled the call.`,
      missed: `Missed call from ${r.caller.name}.`,
      accepted: 'Answered on another device.',
      declined: 'Declined.',
    }[reason];
    if (msg) announce(msg);
  }
  render();
}

/** The ring to show: the newest one that has not expired. */
function current() {
  const now = Date.now();
  let best = null;
  for (const r of rings.values()) {
    if (r.expiresAt + EXPIRY_GRACE_MS <= now) {
      rings.delete(r.callId);
      continue;
    }
    if (!best || r.at > best.at) best = r;
  }
  return best;
}

/** Whether answering means leaving the call this tab is in. */
const inOtherCall = (r) => !!(app.session && app.session.active && app.session.roomId !== r.roomId);

/**
 * The room of the call the user is in, other than the ringing one: this
 * tab's, else one where another of the user's devices takes part.
 */
function callRoomOtherThan(r) {
  if (inOtherCall(r)) return app.session.roomId;
  for (const [roomId, { call }] of app.calls.rooms) {
    if (roomId === r.roomId || !call) continue;
    if ((call.participants || []).some((p) => p.user_id === app.me.id)) return roomId;
  }
  return null;
}

// ---- the dialog ----

/** Renders the dialog for the current ring, or hides it. */
export function render() {
  const dlg = $('incoming');
  const r = current();
  clearTimeout(expiryTimer);
  if (!r) {
    hide();
    return;
  }
  // Wake up when the earliest ring expires.
  const next = Math.min(...[...rings.values()].map((x) => x.expiresAt));
  expiryTimer = setTimeout(render, Math.max(50, next + EXPIRY_GRACE_MS - Date.now() + 10));

  const here = inOtherCall(r);
  const mergeInto = callRoomOtherThan(r);
  const busy = r.busy || !!mergeInto;
  const isNew = !shown || shown.callId !== r.callId || dlg.hidden;
  shown = r;
  const kind = r.type === 'audio' ? 'voice' : 'video';
  setText($('incoming-title'), `Incoming ${kind} call`);
  setText($('incoming-where'), roomName(r.roomId));
  setText($('incoming-caller'), r.caller.name);
  setText($('incoming-initials'), initials(r.caller.name));
  $('incoming-avatar').style.background = userColour(r.caller.id);
  dlg.dataset.callId = r.callId;
  dlg.dataset.room = r.roomId;
  dlg.dataset.type = r.type;
  dlg.dataset.busy = String(busy);
  setText($('incoming-accept'), here ? 'Leave current call and answer' : 'Accept');
  // A voice call's Accept is already audio only.
  $('incoming-audio').hidden = r.type === 'audio';
  setText($('incoming-audio'), here ? 'Leave and answer with audio only' : 'Accept audio only');
  $('incoming-notify').hidden = !canAskForNotifications();
  const merge = $('incoming-merge');
  merge.hidden = !mergeInto;
  merge.dataset.into = mergeInto || '';
  setText(merge, `Add ${r.caller.name} to this call`);
  for (const b of dlg.querySelectorAll('button')) b.disabled = pending;
  if (isNew) {
    $('incoming-error').textContent = '';
    if (dlg.hidden) returnFocus = document.activeElement;
    dlg.hidden = false;
    $('incoming-accept').focus();
    announce(`Incoming ${kind} call from ${r.caller.name}`);
    tone.start();
  }
  ringAlert.update(r, kind);
}

function hide() {
  const dlg = $('incoming');
  shown = null;
  tone.stop();
  ringAlert.update(null);
  if (dlg.hidden) return;
  const hadFocus = dlg.contains(document.activeElement);
  dlg.hidden = true;
  if (hadFocus && returnFocus && document.contains(returnFocus)) returnFocus.focus();
  returnFocus = null;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Answers the shown ring; audioOnly joins with the camera off. */
async function accept(audioOnly) {
  const r = shown;
  if (!r || pending) return;
  rings.delete(r.callId);
  render();
  openRoom(r.roomId);
  // Leaves the call this tab is in first, if any; joining answers.
  await acceptCall(r.roomId, r.type, audioOnly);
}

async function decline() {
  const r = shown;
  if (!r || pending) return;
  const busy = r.busy || !!callRoomOtherThan(r);
  rings.delete(r.callId);
  render();
  try {
    await api('POST', callPath(r.roomId, 'decline'), busy ? { reason: 'busy' } : undefined);
    announce(`Declined the call from ${r.caller.name}.`);
  } catch (e) {
    // Already over (cancelled, answered elsewhere): nothing to decline.
    if (e instanceof ApiError && ['no_call', 'not_ringing'].includes(e.code)) return;
    showError(`Could not decline the call from ${r.caller.name}: ${e.message}`);
  }
}

async function merge() {
  const r = shown;
  const into = r && callRoomOtherThan(r);
  if (!r || pending || !into) return;
  pending = true;
  render();
  try {
    await api('POST', callPath(r.roomId, 'merge'), { into_room: into });
    rings.delete(r.callId);
    announce(`${r.caller.name} is being added to this call.`);
  } catch (e) {
    if (e instanceof ApiError && ['no_call', 'not_ringing'].includes(e.code)) rings.delete(r.callId);
    else $('incoming-error').textContent = mergeErrorMessage(e, r.caller.name, into);
  } finally {
    pending = false;
    render();
  }
}

function mergeErrorMessage(e, caller, into) {
  if (e instanceof ApiError && e.code === 'caller_not_member') {
    return `${caller} is not a member of ${roomName(into)}, so they cannot be added to this call.`;
  }
  return `Could not add ${caller} to this call: ${e.message}`;
}

/** Keeps Tab inside the modal dialog; Escape declines. */
function onKey(e) {
  if (e.key === 'Escape') {
    e.preventDefault();
    decline();
    return;
  }
  if (e.key !== 'Tab') return;
  const buttons = [...$('incoming').querySelectorAll('button')].filter((b) => !b.hidden && !b.disabled);
  if (!buttons.length) return;
  const first = buttons[0];
  const last = buttons[buttons.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

// ---- while the tab is hidden ----

/**
 * RingAlert reaches a user whose tab is in the background: the tab title
 * flashes "📞 Alice is calling…" and, when the user allowed it, a system
 * notification shows (tagged with the call id, so tabs of the same
 * browser show one). Both go away when the ring ends or the tab shows.
 */
class RingAlert {
  constructor() {
    this.ring = null;
    this.kind = '';
    this.timer = 0;
    this.title = ''; // the page's own title while it flashes
    this.flashText = '';
    this.note = null;
    document.addEventListener('visibilitychange', () => this.update(this.ring, this.kind));
  }

  update(ring, kind) {
    this.ring = ring;
    this.kind = kind || '';
    const alerting = !!ring && document.hidden;
    if (alerting) {
      this.#flash();
      this.#notify();
    } else {
      this.#stopFlash();
      this.#closeNote();
    }
  }

  #flash() {
    if (this.timer) return;
    let on = false;
    const step = () => {
      on = !on;
      // The page may retitle itself meanwhile (a room opened): keep that.
      if (document.title !== this.flashText) this.title = document.title;
      this.flashText = `📞 ${this.ring.caller.name} is calling…`;
      document.title = on ? this.flashText : this.title;
    };
    step();
    this.timer = setInterval(step, 1000);
  }

  #stopFlash() {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = 0;
    if (document.title === this.flashText) document.title = this.title;
  }

  #notify() {
    const r = this.ring;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    if (this.note && this.note.tag === r.callId) return;
    this.#closeNote();
    try {
      const n = new Notification(`${r.caller.name} is calling`, {
        body: `Incoming ${this.kind} call · ${roomName(r.roomId)}`,
        tag: r.callId,
        requireInteraction: true,
      });
      n.onclick = () => {
        window.focus();
        n.close();
        render(); // the dialog shows the ring, if it still rings
      };
      this.note = n;
    } catch {
      // Some browsers only notify from a service worker; the title still flashes.
    }
  }

  #closeNote() {
    if (!this.note) return;
    this.note.close();
    this.note = null;
  }

  get state() {
    return { flashing: !!this.timer, notification: this.note ? this.note.tag : '' };
  }
}

const ringAlert = new RingAlert();

/** Whether the "Turn on call notifications" button is worth showing. */
function canAskForNotifications() {
  return typeof Notification !== 'undefined' && Notification.permission === 'default';
}

async function askForNotifications() {
  try {
    await Notification.requestPermission();
  } catch {
    // An old callback-only API, or refused: nothing more to do.
  }
  const granted = typeof Notification !== 'undefined' && Notification.permission === 'granted';
  if (shown) $('incoming-accept').focus();
  $('incoming-notify').hidden = true;
  announce(granted ? 'Call notifications are on.' : 'Call notifications are off.');
}

// ---- ring tone ----

/**
 * RingTone plays a two-tone ring made with WebAudio (no audio files).
 * Browsers may refuse to play before the user has interacted with the
 * page; then it stays silent and says so in its state ('blocked').
 */
class RingTone {
  constructor() {
    this.ctx = null;
    this.timer = 0;
    this.playing = false;
  }

  /** Creates the context on a user gesture, so a later ring may sound. */
  unlock() {
    try {
      if (!this.ctx) this.ctx = new AudioContext();
      if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null;
    }
  }

  start() {
    if (this.playing) return;
    this.playing = true;
    try {
      if (!this.ctx) this.ctx = new AudioContext();
      if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    } catch {
      return; // no WebAudio: the dialog alone has to do
    }
    this.#burst();
    this.timer = setInterval(() => this.#burst(), 3000);
  }

  stop() {
    this.playing = false;
    clearInterval(this.timer);
    this.timer = 0;
  }

  get state() {
    if (!this.playing) return 'off';
    return this.ctx && this.ctx.state === 'running' ? 'playing' : 'blocked';
  }

  // Two short chords of 440 + 480 Hz, then silence until the next burst.
  #burst() {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') return;
    const t0 = ctx.currentTime + 0.02;
    for (const start of [t0, t0 + 0.6]) {
      const gain = ctx.createGain();
      gain.gain.setValueAtTime(0, start);
      gain.gain.linearRampToValueAtTime(0.12, start + 0.03);
      gain.gain.setValueAtTime(0.12, start + 0.4);
      gain.gain.linearRampToValueAtTime(0, start + 0.45);
      gain.connect(ctx.destination);
      for (const f of [440, 480]) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start(start);
        osc.stop(start + 0.46);
        osc.onended = () => gain.disconnect();
      }
    }
  }
}

const tone = new RingTone();

// ---- wiring ----

/** Wires the dialog's buttons and keys, and the tone's unlock on a first gesture. */
export function wireIncoming() {
  $('incoming-accept').addEventListener('click', () => accept(false));
  $('incoming-audio').addEventListener('click', () => accept(true));
  $('incoming-notify').addEventListener('click', askForNotifications);
  $('incoming-decline').addEventListener('click', decline);
  $('incoming-merge').addEventListener('click', merge);
  $('incoming').addEventListener('keydown', onKey);
  const unlock = () => {
    if (!app.config.enabled) return;
    tone.unlock();
    window.removeEventListener('pointerdown', unlock, true);
    window.removeEventListener('keydown', unlock, true);
  };
  window.addEventListener('pointerdown', unlock, true);
  window.addEventListener('keydown', unlock, true);
}

/** The dialog's state for tests; never keys or tokens. */
export function incomingSnapshot() {
  const dlg = $('incoming');
  return {
    visible: !dlg.hidden,
    callId: shown ? shown.callId : '',
    room: shown ? shown.roomId : '',
    type: shown ? shown.type : '',
    caller: shown ? shown.caller.name : '',
    busy: dlg.dataset.busy === 'true',
    rings: rings.size,
    tone: tone.state,
    flashing: ringAlert.state.flashing,
    notification: ringAlert.state.notification,
  };
}

/** Forgets every ring, when the user signs out. */
export function clearRings() {
  rings.clear();
  render();
}
