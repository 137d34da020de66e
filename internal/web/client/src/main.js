// Chatto web client, the shell: boot, sign-in, the room list with live
// call indicators, routing, rooms the user loses (room.removed), and the
// event stream's wiring to the timeline (timeline.js), the room's call
// (callpanel.js, call.js, participants.js), the incoming-call dialog
// (incoming.js) and Recent calls (history.js).

import { ApiError, api } from './api.js';
import * as callpanel from './callpanel.js';
import { confirmSnapshot, wireConfirm } from './confirm.js';
import { prejoinSnapshot } from './prejoin.js';
import { $, announce, h, initials, showError } from './dom.js';
import { clearHistory, historySnapshot, loadHistory, refreshHistorySoon, wireHistory } from './history.js';
import * as incoming from './incoming.js';
import { Stream, isRinging, participantCount } from './realtime.js';
import { participantsSnapshot } from './participants.js';
import { app, dropRoom, learnCall, openRoom, roomById, roomName } from './state.js';
import { addMessages, clearTimeline, isCallNotice, loadMessages, renderLiveCall, sendMessage } from './timeline.js';

const { renderCall, renderHeader } = callpanel;

// ---- boot and sign-in ----

async function boot() {
  try {
    app.config = (await api('GET', '/api/calls/config')) || { enabled: false };
  } catch {
    app.config = { enabled: false };
  }
  document.body.dataset.calls = app.config.enabled ? 'on' : 'off';
  try {
    app.me = await api('GET', '/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignIn();
    return showSignIn(e.message);
  }
  await showShell();
}

function showSignIn(message = '') {
  app.me = null;
  if (app.stream) app.stream.stop();
  app.stream = null;
  incoming.clearRings();
  clearHistory();
  $('shell').hidden = true;
  $('skip-link').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('signin-user').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const user = $('signin-user').value.trim();
  const password = $('signin-password').value;
  $('signin-error').textContent = '';
  if (!user || !password) {
    $('signin-error').textContent = 'Enter your user name and password.';
    return;
  }
  const btn = ev.submitter || ev.target.querySelector('button');
  btn.disabled = true;
  try {
    await api('POST', '/api/login', { user, password });
    $('signin-password').value = '';
    await boot();
  } catch (e) {
    $('signin-error').textContent = e.status === 401 ? 'Unknown user or wrong password.' : e.message;
  } finally {
    btn.disabled = false;
  }
}

async function signOut() {
  if (app.session && app.session.active) await app.session.leave();
  await api('POST', '/api/logout').catch(() => {});
  location.hash = '';
  showSignIn();
}

async function showShell() {
  $('signin').hidden = true;
  $('shell').hidden = false;
  $('me-name').textContent = app.me.name;
  $('me-avatar').textContent = initials(app.me.name);
  for (const el of document.querySelectorAll('[data-calls-ui]')) el.hidden = !app.config.enabled;
  app.rooms = (await api('GET', '/api/rooms')) || [];
  renderRooms();
  startStream();
  await route();
}

/** Fetches the room list again (a ring from a room this page has not seen). */
async function reloadRooms() {
  app.rooms = (await api('GET', '/api/rooms')) || [];
  renderRooms();
  await route();
}

// ---- realtime ----

function startStream() {
  if (app.stream) app.stream.stop();
  app.stream = new Stream({
    onOpen: () => {
      // Whatever happened while we were not listening: refetch, and ring
      // for calls that are still ringing this user.
      if (app.config.enabled) {
        const since = Date.now();
        app.calls
          .refresh()
          .then(() => incoming.reconcileRings(since))
          .catch(() => {});
        loadHistory();
      }
      if (app.current) loadMessages(app.current).catch(() => {});
    },
    onCall: (ev) => {
      if (!ev || !ev.room_id) return;
      learnCall(ev.call);
      app.calls.applyEvent(ev);
      callpanel.onCallEvent(ev);
      incoming.onCallEvent(ev);
      if (ev.type === 'call.ended') refreshHistorySoon();
    },
    onRing: (ev) => {
      if (!ev || !app.config.enabled) return;
      if (ev.type === 'call.ringing' && ev.room_id && !roomById(ev.room_id)) reloadRooms().catch(() => {});
      incoming.onRingEvent(ev);
      callpanel.onRingEvent(ev);
    },
    onMessage: (m) => {
      if (m && m.room_id === app.current) addMessages([m]);
      if (isCallNotice(m)) refreshHistorySoon();
    },
    onRemoved: (ev) => callpanel.onRemovedEvent(ev),
    onKeyRotated: (ev) => {
      const s = app.session;
      if (ev && s && s.roomId === ev.room_id) s.keyHint(ev.call_id, ev.key_index);
    },
    onRoomRemoved: (ev) => {
      if (ev && ev.room_id) removeRoom(ev.room_id);
    },
    onUnauthorized: async () => {
      try {
        await api('GET', '/api/me');
        setTimeout(startStream, 3000); // not a session problem: try again
      } catch (e) {
        if (e.status === 401) showSignIn('Your session ended. Sign in again.');
        else setTimeout(startStream, 3000);
      }
    },
  });
  app.stream.start();
}

app.calls.onChange((roomId, call) => {
  learnCall(call);
  // A view can tell of a key rotation whose event this page missed.
  if (call && app.session && app.session.roomId === roomId) app.session.keyHint(call.id, call.key_index);
  renderIndicator(roomId);
  if (roomId === app.current) renderHeader();
  renderLiveCall(roomId);
  if (app.session && app.session.roomId === roomId) renderCall();
  incoming.render(); // whether answering means leaving another call
});

// ---- rooms ----

/**
 * The user is no longer a member of a room (they left it or an admin
 * removed them): drop it from the list, leave its call, close it if open,
 * and say so.
 */
function removeRoom(roomId) {
  const name = roomName(roomId);
  const s = app.session;
  if (s && s.roomId === roomId && s.active) s.removed('revoked');
  if (!dropRoom(roomId)) return;
  renderRooms();
  const text = `You are no longer a member of ${name}.`;
  const notice = $('app-notice');
  $('app-notice-text').textContent = text;
  notice.hidden = false;
  announce(text);
  if (app.current === roomId) location.hash = '';
}

function renderRooms() {
  const list = $('room-list');
  list.textContent = '';
  for (const r of app.rooms) {
    const badge = h('span', { class: 'call-indicator', dataset: { room: r.id }, hidden: true });
    const btn = h(
      'button',
      { type: 'button', class: 'room-link', dataset: { room: r.id }, onclick: () => openRoom(r.id) },
      h('span', { class: 'room-name', text: r.name }),
      badge,
    );
    list.append(h('li', {}, btn));
    renderIndicator(r.id);
  }
}

function renderIndicator(roomId) {
  const badge = document.querySelector(`.call-indicator[data-room="${CSS.escape(roomId)}"]`);
  if (!badge) return;
  const call = app.calls.get(roomId);
  const n = participantCount(call);
  const show = app.config.enabled && !!call;
  badge.hidden = !show;
  badge.textContent = show ? String(n) : '';
  const btn = badge.closest('button');
  const what = isRinging(call) ? 'call ringing' : 'call in progress';
  const label = `${roomName(roomId)}${show ? `, ${what} with ${n} ${n === 1 ? 'participant' : 'participants'}` : ''}`;
  btn.setAttribute('aria-label', label);
  badge.setAttribute('aria-hidden', 'true');
}

async function route() {
  const m = /^#\/rooms\/(.+)$/.exec(location.hash);
  const id = m ? decodeURIComponent(m[1]) : null;
  const room = app.rooms.find((r) => r.id === id);
  app.current = room ? room.id : null;
  for (const b of document.querySelectorAll('.room-link')) {
    if (b.dataset.room === app.current) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('no-room').hidden = !!room;
  $('room-view').hidden = !room;
  // "Skip to room" only where there is a room to skip to.
  $('skip-link').hidden = !room;
  if (!room) return;
  $('room-title').textContent = room.name;
  document.title = `${room.name} · Chatto`;
  clearTimeline();
  renderHeader();
  renderCall();
  await loadMessages(room.id).catch((e) => showError(`Could not load messages: ${e.message}`));
}

// ---- wiring ----

function wire() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('composer').addEventListener('submit', sendMessage);
  // The skip link moves focus to the open room; following its href would
  // change the hash and so close the room (routing reads the hash).
  $('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    $('main').focus();
  });
  $('app-notice-close').addEventListener('click', () => {
    $('app-notice').hidden = true;
  });
  callpanel.wireCallPanel();
  incoming.wireIncoming();
  wireHistory();
  wireConfirm();
  window.addEventListener('hashchange', () => {
    if (app.me) route();
  });
  // pagehide fires on close, reload and navigation, also where unload
  // does not (mobile, bfcache).
  window.addEventListener('pagehide', () => {
    if (app.session) app.session.leaveOnUnload();
  });
  // A page restored from the back/forward cache left its call on pagehide;
  // start clean rather than show a call that is gone.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && app.session) location.reload();
  });
  window.__chattoDebug = {
    deviceId: () => app.deviceId,
    call: () => (app.session ? app.session.snapshot() : null),
    simulateQualityUpdate: (updates) => !!app.session && app.session.simulateQualityUpdate(updates),
    tiles: () => (app.tiles ? app.tiles.snapshot() : []),
    calls: () => Object.fromEntries([...app.calls.rooms].map(([k, v]) => [k, v.call])),
    streamConnected: () => !!(app.stream && app.stream.connected),
    config: () => ({
      enabled: !!app.config.enabled,
      defaultType: app.config.default_type || '',
      ringTimeoutSeconds: app.config.ring_timeout_seconds || 0,
      forceRelay: !!app.config.force_relay,
      defaultRole: app.config.default_role || '',
    }),
    screens: () => (app.tiles ? app.tiles.screensSnapshot() : []),
    participants: () => participantsSnapshot(),
    rooms: () => app.rooms.map((r) => r.id),
    incoming: () => incoming.incomingSnapshot(),
    history: () => historySnapshot(),
    confirm: () => confirmSnapshot(),
    prejoin: () => prejoinSnapshot(),
  };
}

wire();
boot();
