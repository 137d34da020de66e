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

// A raised hand (Material Icons' pan_tool, Apache-2.0), drawn as SVG so
// it shows where no emoji font is installed.
const HAND_PATH =
  'M23 5.5V20c0 2.2-1.8 4-4 4h-7.3c-1.08 0-2.1-.43-2.85-1.19L1 14.83s1.26-1.23 1.3-1.25c.22-.19.49-.29.79-.29.22 0 .42.06.6.16.04.01 4.31 2.46 4.31 2.46V4c0-.83.67-1.5 1.5-1.5S11 3.17 11 4v7h1V1.5c0-.83.67-1.5 1.5-1.5S15 .67 15 1.5V11h1V2.5c0-.83.67-1.5 1.5-1.5s1.5.67 1.5 1.5V11h1V5.5c0-.83.67-1.5 1.5-1.5s1.5.67 1.5 1.5z';

/** An inline raised-hand icon (decorative: its parent carries the label). */
export function handIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'hand-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', HAND_PATH);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
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
