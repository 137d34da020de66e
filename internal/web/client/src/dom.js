// Tiny DOM helpers; the client has no framework.

export const $ = (id) => document.getElementById(id);

/** h('li', {class: 'x', dataset: {a: 1}}, child, 'text') */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) el.append(c);
  }
  return el;
}

/** Sets an attribute only when it changes, to keep mutation noise down. */
export function setData(el, key, value) {
  const v = String(value);
  if (el.dataset[key] !== v) el.dataset[key] = v;
}

const announcer = () => document.getElementById('announcer');
let announceTimer = 0;

/**
 * announce reads a short status out to screen readers through the page's
 * polite live region. Clearing first makes a repeated message speak again.
 */
export function announce(text) {
  const el = announcer();
  if (!el) return;
  el.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    el.textContent = text;
  }, 60);
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/);
  return (parts[0][0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '');
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Shows a problem in the room's alert line (role=alert reads it out). */
export function showError(message) {
  const el = document.getElementById('call-error');
  el.textContent = message;
  el.hidden = false;
}

export function hideError() {
  const el = document.getElementById('call-error');
  el.hidden = true;
  el.textContent = '';
}
