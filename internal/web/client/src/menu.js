// Menu buttons and popovers of the call screen. A menu (role=menu) opens
// from its button (aria-haspopup, aria-expanded), moves focus with the
// arrow keys, Home and End, and closes on Escape, Tab, a pick or a click
// elsewhere, giving focus back to its button when it had it. A popover
// (the device pickers, the shortcut list) is a small non-modal dialog
// with the same opening and closing rules, without arrow keys.

/** The one menu or popover open: {button, panel, onClose}. */
let open = null;

const items = (panel) => [...panel.querySelectorAll('[role^="menuitem"]')].filter((b) => !b.hidden && !b.disabled && b.getClientRects().length);

/**
 * Opens panel from button. focusFirst puts focus on the first item (a
 * menu opened from the keyboard or by a click, as menu buttons do).
 */
export function openPanel(button, panel, { onClose, focus = true } = {}) {
  closePanel(false);
  if (!panel.dataset.keys) {
    panel.dataset.keys = 'wired';
    panel.addEventListener('keydown', onKey);
  }
  panel.hidden = false;
  button.setAttribute('aria-expanded', 'true');
  open = { button, panel, onClose };
  if (!focus) return;
  if (panel.getAttribute('role') === 'menu') {
    const first = items(panel)[0];
    if (first) first.focus();
  } else {
    const first = panel.querySelector('select, input, button');
    if (first) first.focus();
  }
}

/** Closes what is open; returnFocus gives focus back to its button. */
export function closePanel(returnFocus = true) {
  if (!open) return;
  const { button, panel, onClose } = open;
  open = null;
  const hadFocus = panel.contains(document.activeElement);
  panel.hidden = true;
  button.setAttribute('aria-expanded', 'false');
  if (onClose) onClose();
  if (returnFocus && hadFocus && button.isConnected) button.focus();
}

export const isOpen = (panel) => !!open && open.panel === panel;

/** Wires a button to toggle a static menu or popover. */
export function wirePanel(button, panel, opts = {}) {
  button.addEventListener('click', () => {
    if (isOpen(panel)) closePanel();
    else openPanel(button, panel, typeof opts === 'function' ? opts() : opts);
  });
  // A pick closes the menu and gives focus back to its button before the
  // item's own handler runs (which may move focus on, to a dialog).
  if (panel.getAttribute('role') === 'menu') {
    panel.addEventListener(
      'click',
      (e) => {
        if (!e.target.closest('[role^="menuitem"]') || !isOpen(panel)) return;
        closePanel(false);
        button.focus();
      },
      true,
    );
  }
}

function onKey(e) {
  if (!open) return;
  const { panel } = open;
  if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    const b = open.button;
    closePanel(false);
    b.focus();
    return;
  }
  if (e.key === 'Tab' && panel.getAttribute('role') === 'menu') {
    closePanel(false);
    return;
  }
  if (panel.getAttribute('role') !== 'menu') return;
  const list = items(panel);
  if (!list.length) return;
  const i = list.indexOf(document.activeElement);
  let next = -1;
  if (e.key === 'ArrowDown') next = (i + 1) % list.length;
  else if (e.key === 'ArrowUp') next = (i - 1 + list.length) % list.length;
  else if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = list.length - 1;
  if (next >= 0) {
    e.preventDefault();
    list[next].focus();
  }
}

/**
 * A menu built on demand (a person's moderation menu): items are
 * {label, cls, onSelect, hidden, disabled}. It is placed by the button,
 * inside the viewport.
 */
let dynamic = null;
export function openDynamicMenu(button, label, entries) {
  if (!dynamic) {
    dynamic = document.createElement('div');
    dynamic.id = 'person-menu';
    dynamic.className = 'menu person-menu';
    dynamic.setAttribute('role', 'menu');
    dynamic.hidden = true;
    document.body.append(dynamic);
  }
  if (isOpen(dynamic) && open.button === button) {
    closePanel();
    return;
  }
  dynamic.setAttribute('aria-label', label);
  dynamic.textContent = '';
  for (const it of entries) {
    if (it.hidden) continue;
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.className = it.cls || '';
    b.textContent = it.label;
    b.disabled = !!it.disabled;
    b.addEventListener('click', () => {
      closePanel(false);
      button.focus();
      it.onSelect();
    });
    dynamic.append(b);
  }
  button.setAttribute('aria-controls', 'person-menu');
  openPanel(button, dynamic, { focus: false });
  place(button, dynamic);
  const first = items(dynamic)[0];
  if (first) first.focus();
}

function place(button, panel) {
  const r = button.getBoundingClientRect();
  const w = panel.offsetWidth;
  const h = panel.offsetHeight;
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  let left = Math.min(r.right - w, vw - w - 8);
  left = Math.max(8, left);
  let top = r.bottom + 6;
  if (top + h > vh - 8) top = Math.max(8, r.top - h - 6);
  panel.style.left = `${Math.round(left)}px`;
  panel.style.top = `${Math.round(top)}px`;
}

/** Clicks outside the open menu or popover close it. */
export function wireMenus() {
  document.addEventListener(
    'pointerdown',
    (e) => {
      if (!open) return;
      if (open.panel.contains(e.target) || open.button.contains(e.target)) return;
      closePanel(false);
    },
    true,
  );
  // A person's menu follows its button when the window changes size.
  window.addEventListener('resize', () => {
    if (open && open.panel === dynamic) place(open.button, dynamic);
  });
}
