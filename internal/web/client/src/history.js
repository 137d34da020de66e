// Recent calls in the sidebar, from GET /api/calls/history (newest first,
// paged with its `next` cursor): room, type, outcome, time, and the
// duration of answered calls. Calls this user missed are marked "Missed".
// The first page is fetched again when a call ends or a call notice
// arrives; pages loaded with "More" stay below it.

import { api } from './api.js';
import { $, h } from './dom.js';
import { formatDuration } from './duration.js';
import { app, openRoom, roomName } from './state.js';

const PAGE = 10;

let items = []; // newest first
let next = null; // cursor of the page after the loaded ones
let morePages = false; // "More" was used: keep the older pages on refresh
let refreshTimer = 0;
let loading = null;

/** Loads the first page again, keeping pages loaded with "More" below it. */
export function loadHistory() {
  if (!app.config.enabled || !app.me) return Promise.resolve();
  if (loading) return loading.then(() => loadHistory());
  loading = (async () => {
    try {
      const res = await api('GET', `/api/calls/history?limit=${PAGE}`);
      const fresh = (res && res.calls) || [];
      if (!morePages || !fresh.length) {
        items = fresh;
        next = (res && res.next) || null;
      } else {
        const ids = new Set(fresh.map((c) => c.id));
        const oldest = at(fresh[fresh.length - 1]);
        items = [...fresh, ...items.filter((c) => !ids.has(c.id) && at(c) < oldest)];
      }
      $('history-error').hidden = true;
    } catch (e) {
      showHistoryError(`Could not load recent calls: ${e.message}`);
    } finally {
      loading = null;
    }
    render();
  })();
  return loading;
}

/** Refreshes a moment later, so a call's end and its notice cost one fetch. */
export function refreshHistorySoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => loadHistory(), 250);
}

/** Empties the list, when the user signs out. */
export function clearHistory() {
  items = [];
  next = null;
  morePages = false;
  render();
}

async function more() {
  if (!next) return;
  const btn = $('history-more');
  btn.disabled = true;
  try {
    const res = await api('GET', `/api/calls/history?limit=${PAGE}&before=${encodeURIComponent(next)}`);
    const page = (res && res.calls) || [];
    const ids = new Set(items.map((c) => c.id));
    items = [...items, ...page.filter((c) => !ids.has(c.id))];
    next = (res && res.next) || null;
    morePages = true;
    $('history-error').hidden = true;
    render();
    // Keep the keyboard where the new entries start.
    const first = page.length && document.querySelector(`.history-item[data-call-id="${CSS.escape(page[0].id)}"] button`);
    if (first) first.focus();
  } catch (e) {
    showHistoryError(`Could not load more calls: ${e.message}`);
  } finally {
    btn.disabled = false;
  }
}

function showHistoryError(text) {
  const el = $('history-error');
  el.textContent = text;
  el.hidden = false;
}

const at = (c) => Date.parse(c.started_at) || 0;

// ---- rendering ----

function render() {
  const list = $('history-list');
  list.textContent = '';
  for (const c of items) list.append(renderItem(c));
  $('history-empty').hidden = items.length > 0;
  $('history-more').hidden = !next;
}

/** Whether this user missed the call: rung, did not start it, nobody answered. */
export function missedByMe(c) {
  if (!app.me) return false;
  return (
    (c.outcome === 'missed' || c.outcome === 'cancelled') &&
    c.created_by !== app.me.id &&
    Array.isArray(c.rung) &&
    c.rung.includes(app.me.id)
  );
}

function outcomeLabel(c) {
  if (missedByMe(c)) return 'Missed';
  const mine = app.me && c.created_by === app.me.id;
  switch (c.outcome) {
    case 'completed':
      return formatDuration(c.duration_seconds);
    case 'missed':
      return mine ? 'No answer' : 'Not answered';
    case 'declined':
      return 'Declined';
    case 'busy':
      return 'Busy';
    case 'cancelled':
      return 'Cancelled';
    case 'merged':
      return 'Merged into another call';
    default:
      return c.outcome || '';
  }
}

function renderItem(c) {
  const missed = missedByMe(c);
  const type = c.type === 'audio' ? 'Voice call' : 'Video call';
  const label = outcomeLabel(c);
  const when = formatWhen(c.started_at);
  const room = roomName(c.room_id);
  return h(
    'li',
    { class: `history-item${missed ? ' missed' : ''}`, dataset: { callId: c.id, outcome: c.outcome || '', room: c.room_id, type: c.type || '' } },
    h(
      'button',
      { type: 'button', class: 'history-room', onclick: () => openRoom(c.room_id), 'aria-label': `${room}, ${type.toLowerCase()}, ${label}, ${when}` },
      h('span', { class: 'history-name', text: room }),
      h('time', { datetime: c.started_at, text: when }),
      h('span', { class: 'history-meta' }, h('span', { class: 'history-type', text: type }), ' · ', h('span', { class: 'history-outcome', text: label })),
    ),
  );
}

function formatWhen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`;
}

/** The list's state for tests. */
export function historySnapshot() {
  return items.map((c) => ({ id: c.id, room: c.room_id, outcome: c.outcome, type: c.type, missed: missedByMe(c), label: outcomeLabel(c) }));
}

export function wireHistory() {
  $('history-more').addEventListener('click', more);
}
