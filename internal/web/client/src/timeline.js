// The open room's timeline: messages and calls, kept in seq order, live
// from the event stream and refetched on (re)connect.
//
// A call is one item, however many notices the server posts for it: the
// call_started and call_ended notices of one call id fold into the same
// <li data-call>, which reads "Alice started a video call" with the
// people in it and a Join button while the call runs (live state from the
// realtime call index), and becomes the call's outcome, worded by the
// server for this reader, once it ends. A running call whose start notice
// is older than the loaded page gets its item from the call index alone.

import { api } from './api.js';
import { joinCall, typeLabel } from './callpanel.js';
import { $, announce, formatTime, h, initials, showError } from './dom.js';
import { app, nameOf } from './state.js';

const messages = new Map(); // id -> message, for the open room
const calls = new Map(); // call id -> { id, li, start, end } for the open room
let loadedRoom = null; // the room whose messages have been fetched

/** Empties the timeline, when another room opens. */
export function clearTimeline() {
  messages.clear();
  calls.clear();
  loadedRoom = null;
  $('timeline').textContent = '';
}

export async function loadMessages(roomId) {
  const list = (await api('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages`)) || [];
  if (roomId !== app.current) return;
  addMessages(list);
  loadedRoom = roomId;
  renderLiveCall(roomId);
}

export function addMessages(list) {
  const box = $('timeline');
  const scroller = box.closest('.timeline');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  let added = false;
  for (const m of list) {
    if (messages.has(m.id)) continue;
    messages.set(m.id, m);
    if (callIdOf(m)) addCallNotice(m);
    else place(renderMessage(m), m.seq);
    added = true;
    if (m.kind === 'notice' && list.length === 1) announce(noticeText(m));
  }
  if (added && atBottom) scroller.scrollTop = scroller.scrollHeight;
}

/** Puts an item where seq belongs: live events may overtake the fetch. */
function place(li, seq) {
  const box = $('timeline');
  li.dataset.seq = seq;
  const after = [...box.children].find((c) => c !== li && Number(c.dataset.seq) > seq);
  box.insertBefore(li, after || null);
}

const callIdOf = (m) => m.kind === 'notice' && m.notice && m.notice.call_id;

/** Folds a call notice into its call's item, making the item if it is the first. */
function addCallNotice(m) {
  const item = callItem(callIdOf(m));
  if (m.notice.kind === 'call_ended') item.end = m;
  else item.start = m;
  // The item sits where its call started: at its start notice, else at
  // the first notice seen (an item made from the call index stays first).
  const started = m.notice.kind !== 'call_ended';
  if (!item.li.isConnected || (started && (item.synthetic || m.seq < Number(item.li.dataset.seq)))) {
    item.synthetic = false;
    place(item.li, m.seq);
  }
  renderCallItem(item);
}

function callItem(id) {
  let item = calls.get(id);
  if (!item) {
    item = { id, start: null, end: null, synthetic: false, li: callItemElement(id) };
    calls.set(id, item);
  }
  return item;
}

/**
 * Brings the open room's call items up to date with the call index: the
 * running call's people and Join button, and calls that stopped running.
 */
export function renderLiveCall(roomId) {
  if (roomId !== app.current || loadedRoom !== roomId) return;
  const call = app.calls.get(roomId);
  if (call && !calls.has(call.id)) {
    // Started before the loaded page of messages: it goes first.
    const item = callItem(call.id);
    item.synthetic = true;
    const first = $('timeline').firstElementChild;
    place(item.li, first ? Number(first.dataset.seq) - 0.5 : 0);
  }
  for (const item of calls.values()) {
    if (item.li.dataset.state === 'live' || (call && call.id === item.id)) renderCallItem(item);
  }
}

function callItemElement(id) {
  const join = h('button', { type: 'button', class: 'primary call-item-join', text: 'Join', hidden: true });
  join.addEventListener('click', () => {
    const call = app.calls.get(app.current);
    if (call && call.id === id) joinCall(app.current, call.type);
  });
  return h(
    'li',
    { class: 'notice call-item', dataset: { call: id, kind: 'call_started', id } },
    h(
      'span',
      { class: 'call-item-main' },
      h('span', { class: 'call-item-text' }),
      h('span', { class: 'call-item-live', text: 'Live', hidden: true }),
      h('span', { class: 'call-item-people', hidden: true }),
    ),
    join,
    h('time', {}),
  );
}

/** Renders a call item from its notices and, while it runs, the call index. */
function renderCallItem(item) {
  const { li, start, end } = item;
  const running = app.calls.get(app.current);
  const call = !end && running && running.id === item.id ? running : null;
  const n = (end || start || {}).notice || {};
  let text;
  if (end) text = noticeText(end);
  else if (start) text = noticeText(start);
  else if (call) text = `${nameOf(call.created_by)} started a ${typeLabel(call.type).toLowerCase()}`;
  else text = '';
  const state = end ? 'ended' : call ? 'live' : 'started';
  const data = { kind: end ? 'call_ended' : 'call_started', state, callType: n.call_type || (call && call.type) || '' };
  if (end) {
    data.outcome = n.outcome || '';
    data.endedBy = n.ended_by || '';
    data.id = end.id;
  } else if (start) data.id = start.id;
  for (const [k, v] of Object.entries(data)) if (li.dataset[k] !== v) li.dataset[k] = v;
  if (!end) delete li.dataset.outcome;

  const [main, joinEl, timeEl] = li.children;
  const [textEl, liveEl, peopleEl] = main.children;
  if (textEl.textContent !== text) textEl.textContent = text;
  liveEl.hidden = !call;
  renderPeople(peopleEl, call);
  const here = !!(call && app.session && app.session.active && app.session.roomId === call.room_id && (!app.session.callId || app.session.callId === call.id));
  joinEl.hidden = !call || here;
  if (call) joinEl.setAttribute('aria-label', `Join the ${typeLabel(call.type).toLowerCase()}`);
  const at = (start && start.at) || (call && call.started_at) || (end && end.at) || '';
  if (timeEl.getAttribute('datetime') !== at) {
    timeEl.setAttribute('datetime', at);
    timeEl.textContent = formatTime(at);
  }
}

/** The people in a running call: small avatars and their names. */
function renderPeople(el, call) {
  const people = new Map();
  for (const p of (call && call.participants) || []) if (p.user_id && !people.has(p.user_id)) people.set(p.user_id, p.name || nameOf(p.user_id));
  const names = [...people.values()];
  const key = names.join('\n');
  el.hidden = names.length === 0;
  if (el.dataset.names === key) return;
  el.dataset.names = key;
  el.textContent = '';
  el.setAttribute('aria-label', `In the call: ${names.join(', ')}`);
  const faces = h('span', { class: 'call-item-faces', 'aria-hidden': 'true' });
  for (const name of names.slice(0, 4)) faces.append(h('span', { class: 'call-item-avatar', title: name, text: initials(name) }));
  el.append(faces, h('span', { class: 'call-item-names', 'aria-hidden': 'true', text: names.join(', ') }));
}

/**
 * A notice's text for this reader: call notices carry wording per user
 * (the callee reads "Missed call from Alice", the caller "Bob didn't
 * answer"), and the body for everyone else.
 */
export function noticeText(m) {
  const texts = m.notice && m.notice.texts;
  return (app.me && texts && texts[app.me.id]) || m.body;
}

/** Whether a message is a notice about a call (it changes Recent calls). */
export const isCallNotice = (m) => !!m && m.kind === 'notice' && !!m.notice && String(m.notice.kind || '').startsWith('call');

function renderMessage(m) {
  const time = h('time', { datetime: m.at, text: formatTime(m.at) });
  if (m.kind === 'notice') {
    const n = m.notice || {};
    const data = { kind: n.kind || 'notice', id: m.id };
    if (n.outcome) data.outcome = n.outcome;
    if (n.call_type) data.callType = n.call_type;
    return h('li', { class: 'notice', dataset: data }, h('span', { text: noticeText(m) }), time);
  }
  const member = m.user_id;
  return h('li', { class: 'msg', dataset: { id: m.id } }, h('span', { class: 'who', text: member }), time, h('span', { class: 'body', text: m.body }));
}

export async function sendMessage(ev) {
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
