// The room header's call controls (Voice call, Video call, Join, Leave or
// Cancel, Join as listener, the summary line) and the call panel: type,
// state line (ringing, outcome), connection banner, tiles, the participant
// list (participants.js), microphone, camera, screen share and hand
// controls, End for everyone, Invite; and leaving when the server removes
// this device.

import { ApiError, api, callPath } from './api.js';
import { CallSession, E2EE_UNSUPPORTED, e2eeSupported } from './call.js';
import { confirmAction } from './confirm.js';
import { refreshDevices, wireDevices } from './devices.js';
import { userColour } from './avatar.js';
import { $, announce, h, hideError, initials, setData, showError } from './dom.js';
import { preJoin, rememberedDevices, wirePrejoin } from './prejoin.js';
import { callType, isRinging, participantCount, ringingOf } from './realtime.js';
import { openPersonMenu, renderParticipants, wireParticipants } from './participants.js';
import { setIconButton } from './icons.js';
import { setInCall, shortcutOf, showPeople, wireLayout } from './layout.js';
import { closePanel, wireMenus, wirePanel } from './menu.js';
import { app, canEndForEveryone, isDirect, isRoomAdmin, nameOf, openRoom, roomById, roomName } from './state.js';
import { Tiles } from './tiles.js';

export const typeLabel = (type) => (type === 'audio' ? 'Voice call' : 'Video call');

// ---- header ----

export function renderHeader() {
  if (!app.current || !app.config.enabled) return;
  const call = app.calls.get(app.current);
  const summary = $('call-summary');
  const n = participantCount(call);
  if (call && isRinging(call)) {
    const rung = ringingOf(call).map((r) => r.name || nameOf(r.user_id));
    summary.textContent = `${typeLabel(callType(call))} · ${nameOf(call.created_by)} is calling${rung.length ? ' ' + rung.join(', ') : ''}…`;
    summary.classList.add('live');
  } else if (call) {
    const names = [...new Set(call.participants.map((p) => p.name || p.user_id))];
    summary.textContent = `Call in progress · ${n} ${n === 1 ? 'participant' : 'participants'}${names.length ? ': ' + names.join(', ') : ''}`;
    summary.classList.add('live');
  } else {
    summary.textContent = 'No call right now';
    summary.classList.remove('live');
  }
  summary.hidden = false;
  const here = !!(app.session && app.session.roomId === app.current && app.session.active);
  $('call-audio').hidden = here || !!call;
  $('call-video').hidden = here || !!call;
  $('join').hidden = here || !call;
  $('leave').hidden = !here;
  // The caller of an unanswered call cancels it rather than leaving it.
  const cancel = here && isRinging(call) && !!app.me && call.created_by === app.me.id;
  setHangup(cancel);
  for (const id of ['call-audio', 'call-video', 'join']) $(id).disabled = false;
}

// The control bar's red hang-up button: Leave call, or Cancel for the
// caller of an unanswered call. Its visible text is the same hidden label
// the other icon buttons carry.
function setHangup(cancel) {
  const btn = $('leave');
  setIconButton(btn, 'hangup', cancel ? 'Cancel' : 'Leave call');
  const aria = cancel ? 'Cancel call' : 'Leave call';
  if (btn.getAttribute('aria-label') !== aria) btn.setAttribute('aria-label', aria);
  btn.title = aria;
}

// ---- joining and leaving ----

/**
 * Joins the call of a room with this tab, leaving the call it is in
 * first. o.type is what a new call should be; a running call keeps its
 * own. o.camera says whether to start with the camera on (by default a
 * video call's is), o.listener joins as a listener, and o.audioDeviceId /
 * o.videoDeviceId pick the devices (else the remembered ones).
 *
 * @param {string} roomId
 * @param {{type?: 'audio'|'video', camera?: boolean, listener?: boolean, audioDeviceId?: string, videoDeviceId?: string}} [o]
 */
export async function joinCall(roomId, o = {}) {
  if (!roomId || !app.config.enabled) return;
  hideError();
  if (!e2eeSupported()) {
    showError(E2EE_UNSUPPORTED);
    announce(E2EE_UNSUPPORTED);
    return;
  }
  const devices = rememberedDevices();
  if (app.session && app.session.active) await app.session.leave();
  if (app.tiles) app.tiles.clear();
  ringNote = '';
  let focused = false;
  const session = new CallSession({
    roomId,
    deviceId: app.deviceId,
    type: o.type,
    camera: o.camera,
    listener: o.listener === undefined ? app.config.default_role === 'listener' : !!o.listener,
    audioDeviceId: o.audioDeviceId || devices.audioDeviceId,
    videoDeviceId: o.videoDeviceId || devices.videoDeviceId,
    forceRelay: !!app.config.force_relay,
    onState: (state, message) => {
      if (app.session !== session) return;
      if (state === 'failed' || (state === 'ended' && session.removedReason)) {
        showError(message); // role=alert reads it out
      } else if (state === 'ended' && !outcomes.has(session.callId)) {
        announce(message);
      }
      // The join answer's call view is news before the stream's update.
      if (state === 'connecting' && session.grant && session.grant.call) app.calls.applyView(session.grant.call);
      renderCall(message);
      renderHeader();
      // Once connected, focus the microphone, never Leave: a second Enter
      // (after Accept or Join now) must not hang up.
      if (state === 'connected' && !focused && app.current === roomId) {
        focused = true;
        const to = ['mic-toggle', 'cam-toggle'].map($).find((b) => b && !b.hidden && !b.disabled && b.getClientRects().length);
        if (to) to.focus();
      }
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
  for (const id of ['call-audio', 'call-video', 'join']) $(id).disabled = true;
  await session.join();
}

/**
 * Starts or joins the call of a room from its header: a group room asks
 * first (pre-join), a direct room joins at once, like a phone call.
 */
export async function startOrJoin(roomId, type) {
  if (!roomId || !app.config.enabled) return;
  if (isDirect(roomId) || !e2eeSupported()) return joinCall(roomId, { type });
  const running = !!app.calls.get(roomId);
  const choice = await preJoin({
    type,
    title: `${running ? 'Join' : 'Start'} the ${type === 'audio' ? 'voice' : 'video'} call in ${roomName(roomId)}`,
    listener: app.config.default_role === 'listener',
    initials: app.me ? initials(app.me.name) : '',
    colour: app.me ? userColour(app.me.id) : '',
  });
  if (choice) await joinCall(roomId, { type, ...choice });
}

/**
 * Answers a ring: a direct call joins at once, a group call asks first
 * unless audioOnly (the user already chose: camera off).
 */
export async function acceptCall(roomId, type, audioOnly) {
  if (audioOnly) return joinCall(roomId, { type, camera: false });
  if (isDirect(roomId)) return joinCall(roomId, { type });
  return startOrJoin(roomId, type);
}

export async function leave() {
  const s = app.session;
  if (!s) return;
  await s.leave();
  if (app.session === s) focusJoin();
}

function focusJoin() {
  const btn = ['join', 'call-video', 'call-audio'].map($).find((b) => !b.hidden);
  if (btn) btn.focus();
}

async function endForEveryone() {
  const s = app.session;
  if (!s) return;
  const ok = await confirmAction('End the call for everyone?', 'Everyone in the call is disconnected, and the call ends.', 'End call');
  if (!ok || app.session !== s) return;
  const btn = $('end-call');
  btn.disabled = true;
  try {
    await api('POST', callPath(s.roomId, 'end'));
    announce('You ended the call for everyone.');
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'no_call')) showError(endErrorMessage(e));
  } finally {
    btn.disabled = false;
  }
}

function endErrorMessage(e) {
  if (e instanceof ApiError && e.code === 'not_allowed') {
    return 'Only the person who started the call or an admin of the room can end it for everyone.';
  }
  return `Could not end the call: ${e.message}`;
}

// ---- ring and call events ----

/** call id -> what to say about how the call ended, for its caller. */
const outcomes = new Map();
// A ring that stopped in a call that goes on (an invitee declined), shown
// in the state line for a while.
let ringNote = '';
let ringNoteTimer = 0;

/** Takes in call.started/updated/ended, for outcomes of the tab's own call. */
export function onCallEvent(ev) {
  if (!ev || ev.type !== 'call.ended' || !ev.call) return;
  const s = app.session;
  if (!s || s.roomId !== ev.room_id || (s.callId && s.callId !== ev.call.id)) return;
  const text = outcomeText(ev.call);
  if (text) {
    outcomes.set(ev.call.id, text);
    announce(text);
  }
  // The server ended it: no need to wait for LiveKit to close the room.
  if (s.active && s.callId === ev.call.id) s.end(text || 'The call ended.');
  renderCall();
}

/** How a call ended, worded for its caller; '' when there is nothing to add. */
export function outcomeText(call) {
  const rung = [...(app.rung.get(call.id) || [])];
  if (!rung.length) {
    const room = roomById(call.room_id);
    if (room && room.kind === 'direct' && app.me) rung.push(...(room.members || []).filter((u) => u !== app.me.id));
  }
  const who = rung.length ? rung.map(nameOf).join(', ') : 'They';
  switch (call.outcome) {
    case 'declined':
      return `${who} declined`;
    case 'missed':
      return `${who} didn't answer`;
    case 'busy':
      return `${who} ${rung.length > 1 ? 'are' : 'is'} busy`;
    case 'cancelled':
      return 'Call cancelled';
    default:
      // Someone else hung up a direct call, or ended a call for everyone.
      if (call.ended_by && app.me && call.ended_by !== app.me.id && ['hung_up', 'ended'].includes(call.end_reason)) {
        return `${call.ended_by_name || nameOf(call.ended_by)} ended the call`;
      }
      return '';
  }
}

/**
 * Takes in call.removed: the server took one of this user's devices out
 * of a call (an admin removed it, or the user left or lost the room). The
 * tab whose device it is leaves and says why.
 */
export function onRemovedEvent(ev) {
  const s = app.session;
  if (!ev || !s || s.roomId !== ev.room_id) return;
  if (ev.identity && s.grant && ev.identity !== s.grant.identity) return;
  if (ev.call_id && s.callId && ev.call_id !== s.callId) return;
  s.removed(ev.reason);
}

/** Takes in call.ring_stopped and call.moved for the caller's side. */
export function onRingEvent(ev) {
  if (!ev) return;
  const s = app.session;
  if (ev.type === 'call.moved') {
    // The callee added us to their call: go there. The call we were in
    // may already have ended (as merged) by the time this arrives.
    if (!s || s.roomId !== ev.from_room || !ev.into_room) return;
    if (s.callId && ev.call_id && s.callId !== ev.call_id) return;
    const into = ev.into_room;
    announce(`Moving to the call in ${roomName(into)}.`);
    openRoom(into);
    joinCall(into, { type: callType(app.calls.get(into)) });
    return;
  }
  if (ev.type !== 'call.ring_stopped' || !app.me || ev.user_id === app.me.id) return;
  if (!s || !s.active || s.roomId !== ev.room_id) return;
  // An unanswered call ends with its callee's ring; its outcome says why.
  if (isRinging(app.calls.get(ev.room_id))) return;
  const name = nameOf(ev.user_id);
  const note = { declined: `${name} declined`, missed: `${name} didn't answer` }[ev.reason];
  if (!note) return;
  ringNote = note;
  announce(note);
  clearTimeout(ringNoteTimer);
  ringNoteTimer = setTimeout(() => {
    ringNote = '';
    renderCall();
  }, 10000);
  renderCall();
}

// ---- call panel ----

let lastStateMessage = '';

export function renderCall(message) {
  const s = app.session;
  const panel = $('call');
  if (message !== undefined) lastStateMessage = message;
  const visible = app.config.enabled && !!s && s.roomId === app.current && s.state !== 'idle';
  panel.hidden = !visible;
  if (!s) return;
  panel.setAttribute('aria-label', `${typeLabel(s.type)} in ${roomName(s.roomId)}`);
  setData(panel, 'state', s.state);
  setData(panel, 'type', s.type);
  const kind = $('call-kind');
  if (kind.textContent !== typeLabel(s.type)) kind.textContent = typeLabel(s.type);

  const call = app.calls.get(s.roomId);
  const mine = call && (!s.callId || call.id === s.callId) ? call : null;
  const stateEl = $('call-state-text');
  const text = stateLine(s, mine);
  if (stateEl.textContent !== text) stateEl.textContent = text;
  setData(panel, 'ringing', s.state === 'connected' && isRinging(mine));

  const live = s.active && !!s.room;
  setInCall(visible && s.active);
  const room = roomById(s.roomId);
  const roomText = room ? room.name : '';
  if ($('call-room').textContent !== roomText) $('call-room').textContent = roomText;
  if (!app.tiles) {
    app.tiles = new Tiles($('tiles'), $('remote-audio'));
    app.tiles.onMore = showPeople;
    app.tiles.onMenu = openPersonMenu;
  }
  const admin = isRoomAdmin(s.roomId);
  app.tiles.moderator = admin;
  app.tiles.qualityOf = (p) => s.qualityOf(p);
  const info = new Map(((mine && mine.participants) || []).map((p) => [p.identity, p]));
  app.tiles.sync(live ? s.room : null, info);
  $('tiles').hidden = !live;
  renderParticipants(s, mine);
  renderBanner(s, live);

  // A listener may not publish: LiveKit refuses it, so the bar offers
  // only what a listener can do (raise a hand, chat, leave).
  const canPublish = s.canPublish();
  setData(panel, 'role', s.role);
  const micOn = s.micEnabled();
  const camOn = s.cameraEnabled();
  const screenOn = s.screenShareEnabled();
  setToggle($('mic-toggle'), micOn, 'mic', 'micOff', 'Mute microphone', 'Unmute microphone');
  setToggle($('cam-toggle'), camOn, 'cam', 'camOff', 'Turn camera off', 'Turn camera on');
  setToggle($('screen-toggle'), screenOn, 'screenOff', 'screen', 'Stop sharing', 'Share screen');
  for (const id of ['mic-toggle', 'cam-toggle', 'screen-toggle', 'mic-select', 'cam-select', 'mic-more', 'cam-more']) {
    const el = $(id);
    if (!canPublish) el.disabled = true;
    else if (id !== 'mic-select' && id !== 'cam-select') el.disabled = false;
  }
  $('mic-group').hidden = !live || !canPublish;
  $('cam-group').hidden = !live || !canPublish;
  if (!canPublish) closePanel(false);
  $('listener-note').hidden = !live || canPublish;
  const note = 'You’re listening. Raise your hand to ask to speak.';
  if ($('listener-note').textContent !== note) $('listener-note').textContent = note;
  $('screen-toggle').hidden = !live || !canPublish || !navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia;
  for (const id of ['chat-toggle', 'people-toggle', 'call-more']) $(id).hidden = !live;
  $('end-call').hidden = !(live && canEndForEveryone(mine));
  const canInvite = live && !!mine && !!room && room.kind === 'group';
  $('invite-open').hidden = !canInvite;
  if (!canInvite) closeInvite();
  else if (!$('invite-form').hidden) fillInvitees();
  if (live && canPublish) refreshDevices();
}

/** Says clearly when this device's own connection is poor, lost or reconnecting. */
function renderBanner(s, live) {
  const el = $('call-banner');
  let kind = '';
  if (s.state === 'reconnecting') kind = 'reconnecting';
  else if (live && s.state === 'connected') {
    const q = s.connectionQuality();
    if (q === 'poor' || q === 'lost') kind = q;
  }
  const text = {
    reconnecting: s.linkDownReason === 'offline' ? 'Your device is offline — the call reconnects when the network is back…' : 'Connection lost — reconnecting to the call…',
    poor: 'Your connection is poor: others may hear or see you badly, and you them.',
    lost: 'Your connection to the call is interrupted. Waiting for it to come back…',
  }[kind] || '';
  setData(el, 'kind', kind);
  el.hidden = !kind;
  if (el.textContent !== text) el.textContent = text;
}

function stateLine(s, call) {
  if (s.state === 'failed') return stateText('failed'); // the message is in the alert above
  // Removed: the alert above says why, once; the state line only says where this tab is.
  if (s.state === 'ended' && s.removedReason) return 'Not in the call';
  if (s.state === 'ended') return outcomes.get(s.callId) || lastStateMessage || stateText('ended');
  let text = lastStateMessage || stateText(s.state);
  if (s.state === 'connected' && call) {
    const others = ringingOf(call).filter((r) => !app.me || r.user_id !== app.me.id);
    const rung = others.map((r) => (r.busy ? `${r.name || nameOf(r.user_id)} is in another call` : `Ringing ${r.name || nameOf(r.user_id)}…`));
    if (isRinging(call) && rung.length) text = rung.join(' · ');
    else if (rung.length) text += ' · ' + rung.join(' · ');
  }
  if (ringNote && s.state === 'connected' && !isRinging(call)) text += ' · ' + ringNote;
  return text;
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

// A toggle shows its state three ways: the icon (crossed when off), the
// colour (red when a microphone or camera is off) and aria-pressed, which
// says whether the device is off ("muted"), as call apps' mute buttons do.
function setToggle(btn, on, onIcon, offIcon, onLabel, offLabel) {
  setIconButton(btn, on ? onIcon : offIcon, on ? onLabel : offLabel, shortcutOf(btn.id));
  setData(btn, 'on', on);
  const pressed = String(btn.id === 'screen-toggle' ? on : !on);
  if (btn.getAttribute('aria-pressed') !== pressed) btn.setAttribute('aria-pressed', pressed);
}

// ---- invite ----

/** Members of the session's room who are neither in the call nor being rung. */
function invitees() {
  const s = app.session;
  const room = s && roomById(s.roomId);
  const call = s && app.calls.get(s.roomId);
  if (!room || !call) return [];
  const busy = new Set([...(call.participants || []).map((p) => p.user_id), ...ringingOf(call).map((r) => r.user_id)]);
  return (room.members || []).filter((u) => !busy.has(u));
}

function fillInvitees() {
  const sel = $('invite-user');
  const list = invitees();
  const key = list.join('\u0001');
  if (sel.dataset.key !== key) {
    const keep = sel.value;
    sel.dataset.key = key;
    sel.textContent = '';
    for (const u of list) sel.append(h('option', { value: u, text: nameOf(u) }));
    if (!list.length) sel.append(h('option', { value: '', text: 'Everyone is in the call' }));
    if (list.includes(keep)) sel.value = keep;
  }
  sel.disabled = !list.length;
  $('invite-send').disabled = !list.length;
}

function openInvite() {
  $('invite-error').textContent = '';
  $('invite-form').hidden = false;
  fillInvitees();
  $('invite-user').focus();
}

function closeInvite() {
  const form = $('invite-form');
  if (form.hidden) return;
  const hadFocus = form.contains(document.activeElement);
  form.hidden = true;
  $('invite-error').textContent = '';
  renderCall();
  if (hadFocus) $('call-more').focus();
}

async function sendInvite(ev) {
  ev.preventDefault();
  const s = app.session;
  const userId = $('invite-user').value;
  if (!s || !userId) return;
  $('invite-error').textContent = '';
  $('invite-send').disabled = true;
  try {
    const res = await api('POST', callPath(s.roomId, 'invite'), { user_id: userId });
    if (res && res.call) app.calls.applyView(res.call);
    announce(`Ringing ${nameOf(userId)}…`);
    closeInvite();
  } catch (e) {
    $('invite-error').textContent = inviteErrorMessage(e, nameOf(userId));
  } finally {
    $('invite-send').disabled = false;
  }
}

function inviteErrorMessage(e, name) {
  switch (e instanceof ApiError ? e.code : '') {
    case 'user_not_found':
      return `There is no user ${name}.`;
    case 'not_member':
      return `${name} is not a member of this room, so they cannot join its call.`;
    case 'already_in_call':
      return `${name} is already in the call.`;
    case 'no_call':
      return 'The call has ended, so nobody can be added to it.';
    default:
      return `Could not ring ${name}: ${e.message}`;
  }
}

// ---- wiring ----

/** Wires the header's and the panel's buttons. */
export function wireCallPanel() {
  $('call-audio').addEventListener('click', () => startOrJoin(app.current, 'audio'));
  $('call-video').addEventListener('click', () => startOrJoin(app.current, 'video'));
  $('join').addEventListener('click', () => startOrJoin(app.current, callType(app.calls.get(app.current))));
  wirePrejoin();
  $('leave').addEventListener('click', leave);
  $('end-call').addEventListener('click', endForEveryone);
  $('invite-open').addEventListener('click', openInvite);
  $('invite-form').addEventListener('submit', sendInvite);
  $('invite-cancel').addEventListener('click', closeInvite);
  $('invite-form').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeInvite();
  });
  $('mic-toggle').addEventListener('click', () => app.session && app.session.setMicrophone(!app.session.micEnabled()));
  $('cam-toggle').addEventListener('click', () => app.session && app.session.setCamera(!app.session.cameraEnabled()));
  $('screen-toggle').addEventListener('click', () => app.session && app.session.setScreenShare(!app.session.screenShareEnabled()));
  wireDevices();
  wireParticipants();
  wireMenus();
  wirePanel($('mic-more'), $('mic-pop'));
  wirePanel($('cam-more'), $('cam-pop'));
  wirePanel($('call-more'), $('more-menu'));
  for (const id of ['mic-more', 'cam-more']) setIconButton($(id), 'caret', $(id).getAttribute('aria-label'));
  setIconButton($('call-more'), 'more', 'More options');
  setHangup(false);
  wireLayout();
}
