// The open room's timeline: messages and call notices, kept in seq order,
// live from the event stream and refetched on (re)connect.

import { api } from './api.js';
import { $, announce, formatTime, h, showError } from './dom.js';
import { app } from './state.js';

const messages = new Map(); // id -> message, for the open room

/** Empties the timeline, when another room opens. */
export function clearTimeline() {
  messages.clear();
  $('timeline').textContent = '';
}

export async function loadMessages(roomId) {
  const list = (await api('GET', `/api/rooms/${encodeURIComponent(roomId)}/messages`)) || [];
  if (roomId === app.current) addMessages(list);
}

export function addMessages(list) {
  const box = $('timeline');
  const scroller = box.closest('.timeline');
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  let added = false;
  for (const m of list) {
    if (messages.has(m.id)) continue;
    messages.set(m.id, m);
    const li = renderMessage(m);
    // Keep timeline order by seq even if a live event overtakes the fetch.
    const after = [...box.children].find((c) => Number(c.dataset.seq) > m.seq);
    box.insertBefore(li, after || null);
    added = true;
    if (m.kind === 'notice' && list.length === 1) announce(noticeText(m));
  }
  if (added && atBottom) scroller.scrollTop = scroller.scrollHeight;
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
    const data = { seq: m.seq, kind: n.kind || 'notice', id: m.id };
    if (n.outcome) data.outcome = n.outcome;
    if (n.call_type) data.callType = n.call_type;
    return h('li', { class: 'notice', dataset: data }, h('span', { text: noticeText(m) }), time);
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
