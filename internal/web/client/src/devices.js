// The call panel's microphone and camera pickers. They refresh whenever
// the panel renders a live call, which happens on LiveKit's
// MediaDevicesChanged (it listens for devicechange) and ActiveDeviceChanged.

import { Room } from 'livekit-client';
import { $, h } from './dom.js';
import { app } from './state.js';

let pending = false;

/** Fills the device pickers; runs again whenever devices or the active one change. */
export async function refreshDevices() {
  if (pending) return;
  pending = true;
  await Promise.resolve(); // coalesce bursts of change events
  try {
    const [mics, cams] = await Promise.all([
      Room.getLocalDevices('audioinput', false),
      Room.getLocalDevices('videoinput', false),
    ]);
    fillSelect($('mic-select'), mics, app.session && app.session.activeDevice('audioinput'), 'Microphone');
    fillSelect($('cam-select'), cams, app.session && app.session.activeDevice('videoinput'), 'Camera');
  } catch {
    // Listing devices needs permission; the pickers stay as they were.
  } finally {
    pending = false;
  }
}

function fillSelect(sel, devices, active, fallback) {
  const key = devices.map((d) => d.deviceId + '\u0000' + d.label).join('\u0001');
  if (sel.dataset.key !== key) {
    sel.dataset.key = key;
    sel.textContent = '';
    devices.forEach((d, i) => sel.append(h('option', { value: d.deviceId, text: d.label || `${fallback} ${i + 1}` })));
    if (!devices.length) sel.append(h('option', { value: '', text: `No ${fallback.toLowerCase()} found` }));
  }
  sel.disabled = devices.length === 0;
  if (active && [...sel.options].some((o) => o.value === active)) sel.value = active;
}

/** Wires the pickers to the call's device switching. */
export function wireDevices() {
  $('mic-select').addEventListener('change', (e) => app.session && app.session.switchDevice('audioinput', e.target.value));
  $('cam-select').addEventListener('change', (e) => app.session && app.session.switchDevice('videoinput', e.target.value));
}
