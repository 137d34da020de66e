// The call's participant list: every device with its name, role, raised
// hand (raised hands first, in the order they went up) and LiveKit's
// connection quality; for room admins, the moderation actions (role,
// mute a source, remove, lower a hand). Also this device's own Raise hand
// toggle. Roles and hands come from Chatto's call view; LiveKit supplies
// quality and which tracks are live.

import { Track } from 'livekit-client';
import { ApiError, api, callPath } from './api.js';
import { confirmAction } from './confirm.js';
import { $, announce, h, handIcon, initials, setData } from './dom.js';
import { participantOf } from './realtime.js';
import { app, isRoomAdmin, nameOf } from './state.js';
import { icon, setIconButton } from './icons.js';
import { panels } from './layout.js';
import { openDynamicMenu } from './menu.js';

const QUALITY_TEXT = { excellent: 'Excellent', good: 'Good', poor: 'Poor', lost: 'Lost', unknown: '' };
const SOURCE_WORD = { microphone: 'microphone', camera: 'camera', screen_share: 'screen share' };

/** identity -> row {li, name, role, hand, quality, actions: {…}} */
const rows = new Map();
/** identities whose hand was up at the last render, to announce changes */
let raisedBefore = new Set();
let rowsRoom = '';

/** Raised hands first (earliest first), then everyone in joining order. */
export function orderParticipants(participants) {
  const list = [...(participants || [])];
  const joined = new Map(list.map((p, i) => [p.identity, i]));
  return list.sort((a, b) => {
    const ha = a.hand_raised_at ? Date.parse(a.hand_raised_at) : NaN;
    const hb = b.hand_raised_at ? Date.parse(b.hand_raised_at) : NaN;
    if (!Number.isNaN(ha) || !Number.isNaN(hb)) {
      if (Number.isNaN(hb)) return -1;
      if (Number.isNaN(ha)) return 1;
      if (ha !== hb) return ha - hb;
    }
    return joined.get(a.identity) - joined.get(b.identity);
  });
}

/**
 * Renders the list for the session's call (view: its call view, null while
 * none is known) and the Raise hand toggle.
 */
export function renderParticipants(s, view) {
  const section = $('participants');
  const live = !!s && s.active && !!s.room;
  // The list is there in every live call; the people panel shows it.
  setData(section, 'live', live);
  section.hidden = !live || !panels.people;
  renderHandToggle(s, view, live);
  if (!live) {
    clearRows();
    return;
  }
  if (rowsRoom !== s.roomId) {
    clearRows();
    rowsRoom = s.roomId;
  }
  const admin = isRoomAdmin(s.roomId);
  setData(section, 'admin', admin);
  const ordered = orderParticipants(view ? view.participants : []);
  const list = $('participant-list');
  const seen = new Set();
  ordered.forEach((p, i) => {
    seen.add(p.identity);
    let row = rows.get(p.identity);
    if (!row) {
      row = createRow(p.identity);
      rows.set(p.identity, row);
    }
    updateRow(row, p, s, admin);
    // Keep DOM order in step without moving rows that are in place (a
    // moved row loses focus).
    if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
  });
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.li.remove();
      rows.delete(id);
    }
  }
  const n = ordered.length;
  const title = `People in the call (${n})`;
  if ($('participants-title').textContent !== title) $('participants-title').textContent = title;
  announceHands(ordered, s);
}

function clearRows() {
  for (const row of rows.values()) row.li.remove();
  rows.clear();
  raisedBefore = new Set();
  rowsRoom = '';
  const err = $('participants-error');
  if (err) err.textContent = '';
}

function announceHands(ordered, s) {
  const now = new Set(ordered.filter((p) => p.hand_raised_at).map((p) => p.identity));
  for (const id of now) {
    if (!raisedBefore.has(id) && id !== identityOf(s)) {
      const p = ordered.find((x) => x.identity === id);
      announce(`${displayName(p)} raised their hand`);
    }
  }
  raisedBefore = now;
}

const identityOf = (s) => (s && s.grant ? s.grant.identity : '');
const displayName = (p) => (p && (p.name || nameOf(p.user_id))) || '';

function createRow(identity) {
  const name = h('span', { class: 'p-name' });
  const role = h('span', { class: 'p-role' });
  const hand = h('span', { class: 'p-hand', hidden: true }, handIcon(), 'Hand raised');
  const quality = h('span', { class: 'p-quality' });
  const avatar = h('span', { class: 'avatar small p-avatar', 'aria-hidden': 'true' });
  const more = h('button', { type: 'button', class: 'p-menu icon-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false', onclick: (e) => openPersonMenu(identity, e.currentTarget) }, icon('moreV'));
  const li = h('li', { class: 'participant', dataset: { identity } }, avatar, h('div', { class: 'p-line' }, name, role, hand, quality), more);
  return { li, name, role, hand, quality, avatar, more, entry: null, lk: null };
}

function updateRow(row, p, s, admin) {
  row.entry = p;
  const me = p.identity === identityOf(s);
  const display = displayName(p);
  const label = me ? `${display} (you)` : display;
  if (row.name.textContent !== label) row.name.textContent = label;
  const ini = initials(display);
  if (row.avatar.textContent !== ini) row.avatar.textContent = ini;
  const role = p.role === 'listener' ? 'listener' : 'speaker';
  setData(row.li, 'user', p.user_id || '');
  setData(row.li, 'role', role);
  const roleText = role === 'listener' ? 'Listener' : 'Speaker';
  if (row.role.textContent !== roleText) row.role.textContent = roleText;
  const raised = !!p.hand_raised_at;
  setData(row.li, 'hand', raised ? 'raised' : 'down');
  row.hand.hidden = !raised;

  // LiveKit's side of this device: quality and which sources are live.
  const lk = livekitParticipant(s, p.identity);
  row.lk = lk;
  const quality = lk ? s.qualityOf(lk) : 'unknown';
  setData(row.li, 'quality', quality);
  const qText = QUALITY_TEXT[quality] ? `${QUALITY_TEXT[quality]} connection` : '';
  if (row.quality.textContent !== qText) row.quality.textContent = qText;

  // Moderation sits behind one menu button per person, for admins of a
  // group room, never on one's own row.
  const moderate = admin && !me;
  row.more.hidden = !moderate;
  const aria = `Moderate ${display}`;
  if (row.more.getAttribute('aria-label') !== aria) {
    row.more.setAttribute('aria-label', aria);
    row.more.title = aria;
  }
}

/** What an admin may do to a person right now, as menu entries. */
function moderationEntries(identity) {
  const row = rows.get(identity);
  if (!row || !row.entry) return [];
  const lk = livekitParticipant(app.session, identity);
  const live = (src) => {
    const pub = lk && lk.getTrackPublication(src);
    return !!pub && !pub.isMuted;
  };
  const listener = row.entry.role === 'listener';
  return [
    { label: listener ? 'Make speaker' : 'Make listener', cls: 'act-role', onSelect: () => switchRole(identity) },
    { label: 'Mute microphone', cls: 'act-mute-mic', hidden: listener, disabled: !live(Track.Source.Microphone), onSelect: () => mute(identity, 'microphone') },
    { label: 'Mute camera', cls: 'act-mute-camera', hidden: listener, disabled: !live(Track.Source.Camera), onSelect: () => mute(identity, 'camera') },
    { label: 'Stop screen share', cls: 'act-mute-screen', hidden: !live(Track.Source.ScreenShare), onSelect: () => mute(identity, 'screen_share') },
    { label: 'Lower hand', cls: 'act-lower-hand', hidden: !row.entry.hand_raised_at, onSelect: () => lowerHand(identity) },
    { label: 'Remove from call', cls: 'act-remove menu-danger', onSelect: () => remove(identity) },
  ];
}

/**
 * Opens a person's moderation menu by a button (on their tile or their
 * row); does nothing for someone who may not moderate them.
 */
export function openPersonMenu(identity, button) {
  const s = app.session;
  if (!s || !isRoomAdmin(s.roomId) || identity === identityOf(s)) return;
  const row = rows.get(identity);
  if (!row) return;
  openDynamicMenu(button, `Moderate ${displayName(row.entry)}`, moderationEntries(identity));
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function livekitParticipant(s, identity) {
  const room = s && s.room;
  if (!room) return null;
  if (room.localParticipant.identity === identity) return room.localParticipant;
  return room.remoteParticipants.get(identity) || null;
}

// ---- moderation ----

const participantPath = (roomId, identity, action) =>
  callPath(roomId, `participants/${encodeURIComponent(identity)}${action ? '/' + action : ''}`);

async function moderate(identity, button, what, request) {
  const s = app.session;
  if (!s) return;
  const row = rows.get(identity);
  const who = row ? displayName(row.entry) : identity;
  $('participants-error').textContent = '';
  if (button) button.disabled = true;
  try {
    const res = await request(s.roomId);
    if (res && res.call) app.calls.applyView(res.call);
    return res;
  } catch (e) {
    $('participants-error').textContent = moderationError(e, who, what);
  } finally {
    if (button) button.disabled = false;
    renderParticipants(app.session, app.session && app.calls.get(app.session.roomId));
  }
}

async function switchRole(identity) {
  const row = rows.get(identity);
  if (!row) return;
  const role = row.entry && row.entry.role === 'listener' ? 'speaker' : 'listener';
  const res = await moderate(identity, row.more, role === 'listener' ? 'make them a listener' : 'make them a speaker', (roomId) =>
    api('POST', participantPath(roomId, identity), { role }),
  );
  if (res) announce(`${displayName(row.entry)} is now a ${role}`);
}

async function mute(identity, source) {
  const row = rows.get(identity);
  if (!row) return;
  const button = row.more;
  const what = source === 'screen_share' ? 'stop their screen share' : `mute their ${SOURCE_WORD[source]}`;
  const res = await moderate(identity, button, what, (roomId) => api('POST', participantPath(roomId, identity, 'mute'), { source }));
  if (res) announce(source === 'screen_share' ? `Stopped ${displayName(row.entry)}’s screen share` : `Muted ${displayName(row.entry)}’s ${SOURCE_WORD[source]}`);
}

async function remove(identity) {
  const row = rows.get(identity);
  if (!row) return;
  const who = displayName(row.entry);
  const ok = await confirmAction(`Remove ${who} from the call?`,
    `${who} leaves the call on every device and cannot rejoin for a while.`, 'Remove');
  if (!ok || !rows.has(identity)) return;
  const res = await moderate(identity, row.more, 'remove them from the call', (roomId) => api('DELETE', participantPath(roomId, identity)));
  if (res) announce(`Removed ${displayName(row.entry)} from the call`);
}

async function lowerHand(identity) {
  const row = rows.get(identity);
  if (!row) return;
  const res = await moderate(identity, row.more, 'lower their hand', (roomId) =>
    api('POST', callPath(roomId, 'hand'), { raised: false, identity }),
  );
  if (res) announce(`Lowered ${displayName(row.entry)}’s hand`);
}

/** What to say when a moderation request fails. */
export function moderationError(e, who, what) {
  switch (e instanceof ApiError ? e.code : '') {
    case 'not_allowed':
      return `Only an admin of this room can ${what}.`;
    case 'not_in_call':
      return `${who} is no longer in the call.`;
    case 'no_track':
      return `${who} is not sending that right now, so there is nothing to stop.`;
    case 'no_call':
      return 'The call has ended.';
    default:
      return `Could not ${what} (${who}): ${e.message}`;
  }
}

// ---- own hand ----

function renderHandToggle(s, view, live) {
  const btn = $('hand-toggle');
  btn.hidden = !live;
  if (!live) return;
  const mine = participantOf(view, identityOf(s));
  const raised = !!(mine && mine.hand_raised_at);
  setIconButton(btn, 'hand', raised ? 'Lower hand' : 'Raise hand', 'H');
  btn.setAttribute('aria-pressed', String(raised));
  setData(btn, 'on', raised);
}

async function toggleHand() {
  const s = app.session;
  if (!s || !s.active) return;
  const btn = $('hand-toggle');
  const raise = btn.getAttribute('aria-pressed') !== 'true';
  btn.disabled = true;
  try {
    const res = await api('POST', callPath(s.roomId, 'hand'), { raised: raise, device_id: s.deviceId });
    if (res && res.call) app.calls.applyView(res.call);
    announce(raise ? 'You raised your hand' : 'You lowered your hand');
  } catch (e) {
    $('participants-error').textContent = `Could not ${raise ? 'raise' : 'lower'} your hand: ${e.message}`;
  } finally {
    btn.disabled = false;
  }
}

/** State for tests and debugging. */
export function participantsSnapshot() {
  return [...$('participant-list').children].map((li) => ({
    identity: li.dataset.identity,
    user: li.dataset.user,
    role: li.dataset.role,
    hand: li.dataset.hand === 'raised',
    quality: li.dataset.quality,
    actions: li.querySelector('.p-menu:not([hidden])') ? moderationEntries(li.dataset.identity).filter((e) => !e.hidden).map((e) => e.label) : [],
  }));
}

export function wireParticipants() {
  $('hand-toggle').addEventListener('click', toggleHand);
}
