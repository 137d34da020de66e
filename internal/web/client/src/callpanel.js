// The room header's call controls (Join, Leave, the summary line) and the
// call panel: state line, tiles, microphone and camera controls.

import { CallSession, E2EE_UNSUPPORTED, e2eeSupported } from './call.js';
import { refreshDevices, wireDevices } from './devices.js';
import { $, announce, hideError, setData, showError } from './dom.js';
import { participantCount } from './realtime.js';
import { app, roomName } from './state.js';
import { Tiles } from './tiles.js';

export function renderHeader() {
  if (!app.current || !app.config.enabled) return;
  const call = app.calls.get(app.current);
  const summary = $('call-summary');
  const n = participantCount(call);
  if (call) {
    const names = [...new Set(call.participants.map((p) => p.name || p.user_id))];
    summary.textContent = `Call in progress · ${n} ${n === 1 ? 'participant' : 'participants'}${names.length ? ': ' + names.join(', ') : ''}`;
    summary.classList.add('live');
  } else {
    summary.textContent = 'No call right now';
    summary.classList.remove('live');
  }
  summary.hidden = false;
  const here = app.session && app.session.roomId === app.current && app.session.active;
  $('join').hidden = !!here;
  $('leave').hidden = !here;
  $('join').textContent = call ? 'Join call' : 'Start call';
  $('join').disabled = false;
}

export async function join() {
  if (!app.current || !app.config.enabled) return;
  hideError();
  if (!e2eeSupported()) {
    showError(E2EE_UNSUPPORTED);
    announce(E2EE_UNSUPPORTED);
    return;
  }
  if (app.session && app.session.active) await app.session.leave();
  if (app.tiles) app.tiles.clear();
  const roomId = app.current;
  const session = new CallSession({
    roomId,
    deviceId: app.deviceId,
    onState: (state, message) => {
      if (app.session !== session) return;
      if (state === 'failed') {
        showError(message); // role=alert reads it out
      } else if (state === 'ended') {
        announce(message);
      }
      renderCall(message);
      renderHeader();
    },
    onError: (message) => {
      if (app.session === session) showError(message);
    },
    onChange: () => {
      if (app.session === session) renderCall();
    },
    announce,
  });
  app.session = session;
  $('join').disabled = true;
  await session.join();
  if (app.session === session && session.state === 'connected') $('leave').focus();
}

export async function leave() {
  const s = app.session;
  if (!s) return;
  await s.leave();
  if (app.session === s) $('join').focus();
}

let lastStateMessage = '';

export function renderCall(message) {
  const s = app.session;
  const panel = $('call');
  if (message !== undefined) lastStateMessage = message;
  const visible = app.config.enabled && !!s && s.roomId === app.current && s.state !== 'idle';
  panel.hidden = !visible;
  if (!s) return;
  panel.setAttribute('aria-label', `Call in ${roomName(s.roomId)}`);
  setData(panel, 'state', s.state);
  // A failure's message is in the alert above; the panel just says so.
  const text = s.state === 'failed' ? stateText('failed') : lastStateMessage || stateText(s.state);
  const stateEl = $('call-state-text');
  if (stateEl.textContent !== text) stateEl.textContent = text;

  const live = s.active && !!s.room;
  document.querySelector('.controls').hidden = !live;
  if (!app.tiles) app.tiles = new Tiles($('tiles'), $('remote-audio'));
  app.tiles.sync(live ? s.room : null);
  $('tiles').hidden = !live;

  const micOn = s.micEnabled();
  const camOn = s.cameraEnabled();
  setToggle($('mic-toggle'), micOn, 'Mute microphone', 'Unmute microphone');
  setToggle($('cam-toggle'), camOn, 'Turn camera off', 'Turn camera on');
  if (live) refreshDevices();
}

function stateText(state) {
  return (
    {
      joining: 'Joining the call…',
      connecting: 'Connecting to the call…',
      connected: 'Connected · end-to-end encrypted',
      reconnecting: 'Reconnecting…',
      ended: 'The call ended.',
      failed: 'Not connected to the call',
    }[state] || ''
  );
}

function setToggle(btn, on, onLabel, offLabel) {
  const label = on ? onLabel : offLabel;
  if (btn.textContent !== label) btn.textContent = label;
  setData(btn, 'on', on);
}

/** Wires the header's and the panel's buttons. */
export function wireCallPanel() {
  $('join').addEventListener('click', join);
  $('leave').addEventListener('click', leave);
  $('mic-toggle').addEventListener('click', () => app.session && app.session.setMicrophone(!app.session.micEnabled()));
  $('cam-toggle').addEventListener('click', () => app.session && app.session.setCamera(!app.session.cameraEnabled()));
  wireDevices();
}
