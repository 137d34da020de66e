// Chatto web client: sign in, rooms with live call indicators, a room's
// timeline, and the room header's call (see call.js).

import { Room } from 'livekit-client';
import { ApiError, api } from './api.js';
import { CallSession, E2EE_UNSUPPORTED, e2eeSupported } from './call.js';
import { $, announce, formatTime, h, initials, setData } from './dom.js';
import { CallIndex, Stream, participantCount } from './realtime.js';
import { Tiles } from './tiles.js';

const app = {
  me: null,
  config: { enabled: false },
  rooms: [],
  current: null, // open room id
  messages: new Map(), // id -> message, for the open room
  calls: new CallIndex(),
  stream: null,
  session: null, // CallSession, in at most one room at a time
  tiles: null,
  deviceId: deviceId(),
};

// ---- device id ----

/**
 * deviceId is random per tab and survives reloads (sessionStorage), so a
 * reload rejoins as the same LiveKit participant. A duplicated tab copies
 * sessionStorage; the tabs notice over a BroadcastChannel and the newer
 * one picks a fresh id, so two tabs never fight over one identity.
 */
function deviceId() {
  let id = sessionStorage.getItem('chatto.device');
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) id = newDeviceId();
  sessionStorage.setItem('chatto.device', id);
  if (typeof BroadcastChannel !== 'undefined') {
    const ch = new BroadcastChannel('chatto.device');
    const born = Date.now();
    ch.onmessage = (e) => {
      const m = e.data || {};
      if (m.id !== app.deviceId) return;
      if (m.hello && m.born > born) ch.postMessage({ id: m.id, taken: true });
      else if (m.hello && m.born <= born && !(app.session && app.session.active)) renewDeviceId();
      else if (m.taken && !(app.session && app.session.active)) renewDeviceId();
    };
    ch.postMessage({ id, hello: true, born });
  }
  return id;
}

function newDeviceId() {
  const b = crypto.getRandomValues(new Uint8Array(9));
  return 'tab-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function renewDeviceId() {
  app.deviceId = newDeviceId();
  sessionStorage.setItem('chatto.device', app.deviceId);
}

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
  $('shell').hidden = true;
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

// ---- realtime ----

function startStream() {
  if (app.stream) app.stream.stop();
  app.stream = new Stream({
    onOpen: () => {
      // Whatever happened while we were not listening: refetch.
      if (app.config.enabled) app.calls.refresh().catch(() => {});
      if (app.current) loadMessages(app.current).catch(() => {});
    },
    onCall: (ev) => {
      if (ev && ev.room_id) app.calls.applyEvent(ev);
    },
    onMessage: (m) => {
      if (m && m.room_id === app.current) addMessages([m]);
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
  renderIndicator(roomId);
  if (roomId === app.current) renderHeader();
});

// ---- rooms ----

function renderRooms() {
  const list = $('room-list');
  list.textContent = '';
  for (const r of app.rooms) {
    const badge = h('span', { class: 'call-indicator', dataset: { room: r.id }, hidden: true });
    const btn = h(
      'button',
      { type: 'button', class: 'room-link', dataset: { room: r.id }, onclick: () => (location.hash = `#/rooms/${encodeURIComponent(r.id)}`) },
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
  const room = app.rooms.find((r) => r.id === roomId);
  const btn = badge.closest('button');
  const label = `${room ? room.name : roomId}${show ? `, call in progress with ${n} ${n === 1 ? 'participant' : 'participants'}` : ''}`;
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
  if (!room) return;
  $('room-title').textContent = room.name;
  document.title = `${room.name} · Chatto`;
  app.messages.clear();
  $('timeline').textContent = '';
  renderHeader();
  renderCall();
  await loadMessages(room.id).catch((e) => showError(`Could not load messages: ${e.message}`));
}

// ---- timeline ----

async function loadMessages(roomId) {
  const list = (await api('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages`)) || [];
  if (roomId === app.current) addMessages(list);
}

function addMessages(list) {
  const box = $('timeline');
  const scroller = box.closest('.timeline');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  let added = false;
  for (const m of list) {
    if (app.messages.has(m.id)) continue;
    app.messages.set(m.id, m);
    const li = renderMessage(m);
    // Keep timeline order by seq even if a live event overtakes the fetch.
    const after = [...box.children].find((c) => Number(c.dataset.seq) > m.seq);
    box.insertBefore(li, after || null);
    added = true;
    if (m.kind === 'notice' && list.length === 1) announce(m.body);
  }
  if (added && atBottom) scroller.scrollTop = scroller.scrollHeight;
}

function renderMessage(m) {
  const time = h('time', { datetime: m.at, text: formatTime(m.at) });
  if (m.kind === 'notice') {
    const kind = (m.notice && m.notice.kind) || 'notice';
    return h('li', { class: 'notice', dataset: { seq: m.seq, kind, id: m.id } }, h('span', { text: m.body }), time);
  }
  const member = m.user_id;
  return h(
    'li',
    { class: 'msg', dataset: { seq: m.seq, id: m.id } },
    h('span', { class: 'who', text: member }),
    time,
    h('span', { class: 'body', text: m.body }),
  );
}

async function sendMessage(ev) {
  ev.preventDefault();
  const input = $('composer-text');
  const text = input.value.trim();
  if (!text || !app.current) return;
  try {
    const m = await api('POST', `/api/rooms/${encodeURIComponent(app.current)}/messages`, { text });
    input.value = '';
    addMessages([m]);
  } catch (e) {
    showError(`Message not sent: ${e.message}`);
  }
}

// ---- room header and call ----

function renderHeader() {
  if (!app.current || !app.config.enabled) return;
  const call = app.calls.get(app.current);
  const summary = $('call-summary');
  const n = participantCount(call);
  if (call) {
    const names = [...new Set(call.participants.map((p) => p.name || p.user_id))];
    summary.textContent = `Call in progress · ${n} ${n === 1 ? 'participant' : 'participants'}${names.length ? ': ' + names.join(', ') : ''}`;
    summary.classList.add('live');
  } else {
    summary.textContent = 'No call right now';
    summary.classList.remove('live');
  }
  summary.hidden = false;
  const here = app.session && app.session.roomId === app.current && app.session.active;
  $('join').hidden = !!here;
  $('leave').hidden = !here;
  $('join').textContent = call ? 'Join call' : 'Start call';
  $('join').disabled = false;
}

async function join() {
  if (!app.current || !app.config.enabled) return;
  hideError();
  if (!e2eeSupported()) {
    showError(E2EE_UNSUPPORTED);
    announce(E2EE_UNSUPPORTED);
    return;
  }
  if (app.session && app.session.active) await app.session.leave();
  if (app.tiles) app.tiles.clear();
  const roomId = app.current;
  const session = new CallSession({
    roomId,
    deviceId: app.deviceId,
    onState: (state, message) => {
      if (app.session !== session) return;
      if (state === 'failed') {
        showError(message); // role=alert reads it out
      } else if (state === 'ended') {
        announce(message);
      }
      renderCall(message);
      renderHeader();
    },
    onError: (message) => {
      if (app.session === session) showError(message);
    },
    onChange: () => {
      if (app.session === session) renderCall();
    },
    announce,
  });
  app.session = session;
  $('join').disabled = true;
  await session.join();
  if (app.session === session && session.state === 'connected') $('leave').focus();
}

async function leave() {
  const s = app.session;
  if (!s) return;
  await s.leave();
  if (app.session === s) $('join').focus();
}

let lastStateMessage = '';

function renderCall(message) {
  const s = app.session;
  const panel = $('call');
  if (message !== undefined) lastStateMessage = message;
  const visible = app.config.enabled && !!s && s.roomId === app.current && s.state !== 'idle';
  panel.hidden = !visible;
  if (!s) return;
  const room = app.rooms.find((r) => r.id === s.roomId);
  panel.setAttribute('aria-label', `Call in ${room ? room.name : s.roomId}`);
  setData(panel, 'state', s.state);
  // A failure's message is in the alert above; the panel just says so.
  const text = s.state === 'failed' ? stateText('failed') : lastStateMessage || stateText(s.state);
  const stateEl = $('call-state-text');
  if (stateEl.textContent !== text) stateEl.textContent = text;

  const live = s.active && !!s.room;
  document.querySelector('.controls').hidden = !live;
  if (!app.tiles) app.tiles = new Tiles($('tiles'), $('remote-audio'));
  app.tiles.sync(live ? s.room : null);
  $('tiles').hidden = !live;

  const micOn = s.micEnabled();
  const camOn = s.cameraEnabled();
  setToggle($('mic-toggle'), micOn, 'Mute microphone', 'Unmute microphone');
  setToggle($('cam-toggle'), camOn, 'Turn camera off', 'Turn camera on');
  if (live) refreshDevices();
}

function stateText(state) {
  return (
    {
      joining: 'Joining the call…',
      connecting: 'Connecting to the call…',
      connected: 'Connected · end-to-end encrypted',
      reconnecting: 'Reconnecting…',
      ended: 'The call ended.',
      failed: 'Not connected to the call',
    }[state] || ''
  );
}

function setToggle(btn, on, onLabel, offLabel) {
  const label = on ? onLabel : offLabel;
  if (btn.textContent !== label) btn.textContent = label;
  setData(btn, 'on', on);
}

let devicesPending = false;

/** Fills the device pickers; runs again whenever devices or the active one change. */
async function refreshDevices() {
  if (devicesPending) return;
  devicesPending = true;
  await Promise.resolve(); // coalesce bursts of change events
  try {
    const [mics, cams] = await Promise.all([
      Room.getLocalDevices('audioinput', false),
      Room.getLocalDevices('videoinput', false),
    ]);
    fillSelect($('mic-select'), mics, app.session && app.session.activeDevice('audioinput'), 'Microphone');
    fillSelect($('cam-select'), cams, app.session && app.session.activeDevice('videoinput'), 'Camera');
  } catch {
    // Listing devices needs permission; the pickers stay as they were.
  } finally {
    devicesPending = false;
  }
}

function fillSelect(sel, devices, active, fallback) {
  const key = devices.map((d) => d.deviceId + '\u0000' + d.label).join('\u0001');
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.textContent = '';
    devices.forEach((d, i) => sel.append(h('option', { value: d.deviceId, text: d.label || `${fallback} ${i + 1}` })));
    if (!devices.length) sel.append(h('option', { value: '', text: `No ${fallback.toLowerCase()} found` }));
  }
  sel.disabled = devices.length === 0;
  if (active && [...sel.options].some((o) => o.value === active)) sel.value = active;
}

function showError(message) {
  const el = $('call-error');
  el.textContent = message;
  el.hidden = false;
}

function hideError() {
  const el = $('call-error');
  el.hidden = true;
  el.textContent = '';
}

// ---- wiring ----

function wire() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('composer').addEventListener('submit', sendMessage);
  $('join').addEventListener('click', join);
  $('leave').addEventListener('click', leave);
  $('mic-toggle').addEventListener('click', () => app.session && app.session.setMicrophone(!app.session.micEnabled()));
  $('cam-toggle').addEventListener('click', () => app.session && app.session.setCamera(!app.session.cameraEnabled()));
  $('mic-select').addEventListener('change', (e) => app.session && app.session.switchDevice('audioinput', e.target.value));
  $('cam-select').addEventListener('change', (e) => app.session && app.session.switchDevice('videoinput', e.target.value));
  // Device lists refresh through the room's MediaDevicesChanged event
  // (LiveKit listens for devicechange), which re-renders the call panel.
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
    tiles: () => (app.tiles ? app.tiles.snapshot() : []),
    calls: () => Object.fromEntries([...app.calls.rooms].map(([k, v]) => [k, v.call])),
    streamConnected: () => !!(app.stream && app.stream.connected),
  };
}

wire();
boot();
