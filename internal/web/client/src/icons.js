// The call screen's icons: simple 24×24 line drawings, stroked with
// currentColor so they follow the button's colour. Decorative: the button
// that holds one carries the accessible name.

import { handIcon } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

const SHAPES = {
  mic: '<rect x="9" y="2.5" width="6" height="11.5" rx="3"/><path d="M5.5 10.5a6.5 6.5 0 0 0 13 0M12 17v4.5M8.5 21.5h7"/>',
  micOff: '<path d="M15 9.5V5.5a3 3 0 0 0-5.6-1.5M9 9v2a3 3 0 0 0 4.7 2.5M18.5 10.5a6.5 6.5 0 0 1-1.2 3.8M5.5 10.5a6.5 6.5 0 0 0 10 5.5M12 17v4.5M8.5 21.5h7M3 3l18 18"/>',
  cam: '<rect x="2.5" y="6" width="13" height="12" rx="2.5"/><path d="M15.5 10.5l6-3.5v10l-6-3.5z"/>',
  camOff: '<path d="M10.5 6h2.5a2.5 2.5 0 0 1 2.5 2.5v2l6-3.5v10l-3-1.75M15.5 15.5A2.5 2.5 0 0 1 13 18H5a2.5 2.5 0 0 1-2.5-2.5v-7A2.5 2.5 0 0 1 5 6M3 3l18 18"/>',
  screen: '<rect x="2.5" y="3.5" width="19" height="13" rx="2"/><path d="M8 21h8M12 16.5V21M9 10l3-3 3 3M12 7v6.5"/>',
  screenOff: '<rect x="2.5" y="3.5" width="19" height="13" rx="2"/><path d="M8 21h8M12 16.5V21M9.5 7.5l5 5M14.5 7.5l-5 5"/>',
  chat: '<path d="M20.5 12a8.5 8.5 0 0 1-12.3 7.6L3.5 21l1.4-4.5A8.5 8.5 0 1 1 20.5 12z"/>',
  people: '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20.5v-.5a6.5 6.5 0 0 1 13 0v.5M16 4.6a3.5 3.5 0 0 1 0 6.8M21.5 20.5V20a6.5 6.5 0 0 0-3.5-5.8"/>',
  more: '<circle cx="5" cy="12" r="1.3" fill="currentColor"/><circle cx="12" cy="12" r="1.3" fill="currentColor"/><circle cx="19" cy="12" r="1.3" fill="currentColor"/>',
  moreV: '<circle cx="12" cy="5" r="1.3" fill="currentColor"/><circle cx="12" cy="12" r="1.3" fill="currentColor"/><circle cx="12" cy="19" r="1.3" fill="currentColor"/>',
  hangup: '<path d="M2.6 14.6c5.2-5 13.6-5 18.8 0 .5.5.5 1.3 0 1.8l-1.7 1.7c-.4.4-1.1.5-1.6.1l-2.3-1.6a1.2 1.2 0 0 1-.5-1v-2.1c-2.1-.7-4.5-.7-6.6 0v2.1c0 .4-.2.8-.5 1l-2.3 1.6c-.5.4-1.2.3-1.6-.1l-1.7-1.7a1.3 1.3 0 0 1 0-1.8z"/>',
  caret: '<path d="M7 14.5l5-5 5 5"/>',
  menu: '<path d="M4 6.5h16M4 12h16M4 17.5h16"/>',
  close: '<path d="M6 6l12 12M18 6L6 18"/>',
};

/** An icon element by name (see SHAPES). */
export function icon(name) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.innerHTML = SHAPES[name] || '';
  return svg;
}

/**
 * Gives a button an icon and a label: the label is its accessible name
 * (aria-label), its tooltip and its text for assistive technology, and is
 * visually hidden, so the button keeps its width whatever it says. key
 * is its keyboard shortcut, named in the tooltip.
 */
export function setIconButton(btn, name, label, key = '') {
  if (btn.dataset.icon !== name) {
    btn.dataset.icon = name;
    const old = btn.querySelector('svg');
    const fresh = name === 'hand' ? handSvg() : icon(name);
    if (old) old.replaceWith(fresh);
    else btn.prepend(fresh);
  }
  let text = btn.querySelector('.ctl-label');
  if (!text) {
    text = document.createElement('span');
    text.className = 'ctl-label visually-hidden';
    btn.append(text);
  }
  if (text.textContent !== label) text.textContent = label;
  if (btn.getAttribute('aria-label') !== label) btn.setAttribute('aria-label', label);
  const tip = key ? `${label} (${key})` : label;
  if (btn.title !== tip) btn.title = tip;
}

function handSvg() {
  const svg = handIcon();
  svg.classList.add('icon');
  return svg;
}
