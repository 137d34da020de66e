// The page shell around the call: the room list as a drawer on phones,
// the chat and people panels a call shows beside its stage (or over it,
// on narrow screens), and the call's keyboard shortcuts. State lives on
// <body> as data attributes, which the stylesheet lays out:
//   data-in-call  the open room's call is on screen
//   data-nav      the room drawer is open (phones)
//   data-chat     the chat panel is open (in a call)
//   data-people   the people panel is open (in a call)

import { $ } from './dom.js';
import { closePanel, isOpen, openPanel } from './menu.js';
import { icon, setIconButton } from './icons.js';

/** Which of the call's side panels are open. */
export const panels = { chat: false, people: false };

const SHORTCUTS = [
  ['M', 'Mute or unmute your microphone', 'mic-toggle'],
  ['V', 'Turn your camera off or on', 'cam-toggle'],
  ['S', 'Share your screen or stop', 'screen-toggle'],
  ['H', 'Raise or lower your hand', 'hand-toggle'],
  ['C', 'Show or hide the chat', 'chat-toggle'],
  ['P', 'Show or hide the people in the call', 'people-toggle'],
  ['?', 'Show these shortcuts', 'shortcuts-open'],
];

/** The shortcut key of a control, for its tooltip. */
export const shortcutOf = (id) => (SHORTCUTS.find((s) => s[2] === id) || [''])[0];

const body = () => document.body.dataset;

/** Says whether the open room's call is on screen; the stylesheet follows. */
export function setInCall(on) {
  const v = on ? 'true' : 'false';
  if (body().inCall === v) return;
  body().inCall = v;
  if (!on) {
    setPanel('chat', false);
    setPanel('people', false);
    closeShortcuts();
  }
}

/** Opens or closes a side panel of the call. */
export function setPanel(which, open) {
  panels[which] = open;
  body()[which] = open ? 'open' : 'closed';
  const btn = $(which === 'chat' ? 'chat-toggle' : 'people-toggle');
  if (btn) {
    btn.setAttribute('aria-pressed', String(open));
    const label = which === 'chat' ? (open ? 'Hide chat' : 'Show chat') : open ? 'Hide people' : 'Show people';
    setIconButton(btn, which === 'chat' ? 'chat' : 'people', label, shortcutOf(btn.id));
  }
  if (which === 'people') {
    const section = $('participants');
    // renderParticipants owns whether there is a list at all.
    if (section && section.dataset.live === 'true') section.hidden = !open;
  }
}

function togglePanel(which) {
  const open = !panels[which];
  // Narrow screens show one panel at a time, over the stage.
  if (open && window.innerWidth < 1024) setPanel(which === 'chat' ? 'people' : 'chat', false);
  setPanel(which, open);
  if (open) {
    const target = which === 'chat' ? $('composer-text') : $('participants-close');
    if (target) target.focus();
  }
}

function closeFromPanel(which) {
  setPanel(which, false);
  $(which === 'chat' ? 'chat-toggle' : 'people-toggle').focus();
}

// ---- the room drawer (phones) ----

let navOpener = null;

function openNav(from) {
  navOpener = from;
  body().nav = 'open';
  $('nav-backdrop').hidden = false;
  for (const b of document.querySelectorAll('.nav-open')) b.setAttribute('aria-expanded', 'true');
  $('nav-close').focus();
}

/** Closes the room drawer, giving focus back to the button that opened it. */
export function closeNav(returnFocus = true) {
  if (body().nav !== 'open') return;
  body().nav = 'closed';
  $('nav-backdrop').hidden = true;
  for (const b of document.querySelectorAll('.nav-open')) b.setAttribute('aria-expanded', 'false');
  if (returnFocus && navOpener && navOpener.getClientRects().length) navOpener.focus();
  navOpener = null;
}

// ---- keyboard shortcuts ----

function openShortcuts() {
  const pop = $('shortcuts');
  if (isOpen(pop)) return;
  openPanel($('call-more'), pop, { focus: false });
  $('shortcuts-close').focus();
}

function closeShortcuts() {
  if (isOpen($('shortcuts'))) closePanel();
}

function typing(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

function onShortcut(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  if (body().inCall !== 'true' || document.querySelector('dialog[open]') || !$('incoming').hidden) return;
  const key = e.key === '?' ? '?' : e.key.toUpperCase();
  const entry = SHORTCUTS.find((s) => s[0] === key);
  if (!entry) return;
  e.preventDefault();
  if (key === '?') {
    openShortcuts();
    return;
  }
  const btn = $(entry[2]);
  if (btn && !btn.hidden && !btn.disabled && btn.getClientRects().length) btn.click();
}

function fillShortcuts() {
  const dl = $('shortcut-list');
  dl.textContent = '';
  for (const [key, what] of SHORTCUTS) {
    const dt = document.createElement('dt');
    const kbd = document.createElement('kbd');
    kbd.textContent = key;
    dt.append(kbd);
    const dd = document.createElement('dd');
    dd.textContent = what;
    dl.append(dt, dd);
  }
}

/** Wires the drawer, the panels and the shortcuts once. */
export function wireLayout() {
  for (const b of document.querySelectorAll('.nav-open')) {
    b.append(icon('menu'));
    b.addEventListener('click', () => openNav(b));
  }
  for (const b of document.querySelectorAll('.panel-close')) b.append(icon('close'));
  $('nav-close').addEventListener('click', () => closeNav());
  $('nav-backdrop').addEventListener('click', () => closeNav());
  $('rooms-nav').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeNav();
  });
  // Picking a room (or a recent call) closes the drawer.
  window.addEventListener('hashchange', () => closeNav(false));
  $('rooms-nav').addEventListener('click', (e) => {
    if (e.target.closest('.room-link, .history-room')) closeNav(false);
  });

  $('chat-toggle').addEventListener('click', () => togglePanel('chat'));
  $('people-toggle').addEventListener('click', () => togglePanel('people'));
  $('chat-close').addEventListener('click', () => closeFromPanel('chat'));
  $('participants-close').addEventListener('click', () => closeFromPanel('people'));
  $('chat-panel').addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && body().inCall === 'true' && panels.chat) closeFromPanel('chat');
  });
  $('participants').addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && panels.people && !e.defaultPrevented) closeFromPanel('people');
  });
  setPanel('chat', false);
  setPanel('people', false);

  fillShortcuts();
  $('shortcuts-close').addEventListener('click', () => closePanel());
  $('shortcuts-open').addEventListener('click', () => setTimeout(openShortcuts));
  document.addEventListener('keydown', onShortcut);
}

/** Opens the people panel (the "+N" tile). */
export function showPeople() {
  if (!panels.people) togglePanel('people');
}
