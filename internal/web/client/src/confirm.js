// A confirmation before an action that cannot be undone (removing someone
// from a call, ending it for everyone). Built on <dialog>, so the browser
// keeps focus inside it, Escape cancels, and the page behind is inert.

import { $ } from './dom.js';

let pending = null;

/**
 * Asks the user to confirm; resolves true for the confirm button, false
 * for Cancel or Escape. Focus starts on Cancel (the safe answer) and goes
 * back to where it was.
 *
 * @param {string} title    the question ("Remove Bob from the call?")
 * @param {string} detail   one line on what it means
 * @param {string} action   the confirm button's label ("Remove")
 */
export function confirmAction(title, detail, action) {
  const dialog = $('confirm');
  if (pending) pending(false);
  const back = document.activeElement;
  $('confirm-title').textContent = title;
  $('confirm-detail').textContent = detail;
  $('confirm-ok').textContent = action;
  return new Promise((resolve) => {
    pending = (answer) => {
      pending = null;
      if (dialog.open) dialog.close();
      if (back && back.isConnected && typeof back.focus === 'function') back.focus();
      resolve(answer);
    };
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

/** Wires the dialog's buttons once. */
export function wireConfirm() {
  const answer = (v) => () => pending && pending(v);
  $('confirm-ok').addEventListener('click', answer(true));
  $('confirm-cancel').addEventListener('click', answer(false));
  // Escape, or the dialog closed any other way.
  $('confirm').addEventListener('close', answer(false));
}

/** What the test and debug hooks see: whether it is open, and its texts. */
export function confirmSnapshot() {
  const d = $('confirm');
  return { open: !!(d && d.open), title: $('confirm-title').textContent, action: $('confirm-ok').textContent };
}
