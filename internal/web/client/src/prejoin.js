// The pre-join dialog of a group call: before this tab connects, it shows
// the camera (mirrored, as the user sees themselves in the call), a
// microphone level, the microphone and camera to use, "Join with camera
// off" and "Join as listener". The choices are remembered in localStorage,
// like Meet does. The preview's tracks are released when the dialog
// closes; the call captures its own (its tracks go through the E2EE
// transform, the preview's never leave the page).

import { $, h } from './dom.js';

const STORE = 'chatto.prejoin';

let pending = null; // resolves the open dialog's promise
let preview = null; // { video: MediaStream|null, audio: MediaStream|null }
let meter = null; // { ctx, analyser, raf, samples }
let generation = 0; // bumps on every preview restart, so a late getUserMedia is dropped
let stats = { levelMin: 1, levelMax: 0, levelSamples: 0 };

/** The remembered choices: device ids, and camera off for video calls. */
function remembered() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) || '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function remember(choice, type) {
  const prev = remembered();
  // A listener captures nothing, so its pickers say nothing new.
  const next = {
    audioDeviceId: choice.audioDeviceId || prev.audioDeviceId || '',
    videoDeviceId: choice.videoDeviceId || prev.videoDeviceId || '',
  };
  // A voice call starts with the camera off whatever was chosen last, and
  // a listener has no camera: only a speaker's video-call choice counts.
  next.cameraOff = type === 'video' && !choice.listener ? !choice.camera : !!prev.cameraOff;
  try {
    localStorage.setItem(STORE, JSON.stringify(next));
  } catch {
    // Private mode or full storage: the choice just is not remembered.
  }
}

/** The remembered devices, for joins that skip the dialog (1:1 calls). */
export function rememberedDevices() {
  const r = remembered();
  return { audioDeviceId: r.audioDeviceId || '', videoDeviceId: r.videoDeviceId || '' };
}

/**
 * Asks how to join the call of a group room. Resolves with
 * { camera, listener, audioDeviceId, videoDeviceId }, or null when the
 * user cancels.
 *
 * @param {object} o
 * @param {'audio'|'video'} o.type  the call's type (a voice call defaults to camera off)
 * @param {string} o.title          what the dialog is about ("Join the video call in General")
 * @param {boolean} o.listener      the default for "Join as listener"
 * @param {string} o.initials       shown instead of the camera while it is off
 * @param {string} o.colour         the avatar's colour
 */
export function preJoin(o) {
  const dialog = $('prejoin');
  if (pending) pending(null);
  const back = document.activeElement;
  const r = remembered();
  $('prejoin-title').textContent = o.title;
  $('prejoin-camera-off').checked = o.type === 'audio' || !!r.cameraOff;
  $('prejoin-listener').checked = !!o.listener;
  dialog.dataset.type = o.type;
  $('prejoin-avatar').textContent = o.initials || '';
  $('prejoin-avatar').style.background = o.colour || '';
  stats = { levelMin: 1, levelMax: 0, levelSamples: 0 };
  return new Promise((resolve) => {
    pending = (answer) => {
      pending = null;
      stopPreview();
      if (dialog.open) dialog.close();
      if (answer) remember(answer, o.type);
      if (!answer && back && back.isConnected && typeof back.focus === 'function') back.focus();
      resolve(answer);
    };
    dialog.showModal();
    $('prejoin-join').focus();
    restartPreview(r.audioDeviceId || '', r.videoDeviceId || '');
  });
}

function choice() {
  const listener = $('prejoin-listener').checked;
  return {
    camera: !listener && !$('prejoin-camera-off').checked,
    listener,
    audioDeviceId: $('prejoin-mic').value || '',
    videoDeviceId: $('prejoin-cam').value || '',
  };
}

// ---- preview ----

/** (Re)captures what the choices ask for and shows it. */
async function restartPreview(micId, camId) {
  const gen = ++generation;
  stopPreview(false);
  const listener = $('prejoin-listener').checked;
  const wantVideo = !listener && !$('prejoin-camera-off').checked;
  const wantAudio = !listener;
  renderState();
  const cap = async (kind, id) => {
    const c = id ? { deviceId: { exact: id } } : true;
    try {
      return await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: c } : { video: c });
    } catch (e) {
      // The remembered device is gone: take the default one.
      if (id && e && e.name === 'OverconstrainedError') return cap(kind, '');
      return null;
    }
  };
  const [audio, video] = await Promise.all([
    wantAudio && navigator.mediaDevices ? cap('audio', micId) : null,
    wantVideo && navigator.mediaDevices ? cap('video', camId) : null,
  ]);
  if (gen !== generation || !pending) {
    for (const s of [audio, video]) if (s) s.getTracks().forEach((t) => t.stop());
    return;
  }
  preview = { audio, video };
  $('prejoin-video').srcObject = video;
  if (video) $('prejoin-video').play().catch(() => {});
  if (audio) startMeter(audio);
  $('prejoin-note').textContent = noteText(wantAudio && !audio, wantVideo && !video);
  // Labels come with permission, so list the devices after capturing.
  await fillDevices(trackDevice(audio) || micId, trackDevice(video) || camId);
  renderState();
}

function noteText(noMic, noCam) {
  if (noMic && noCam) return 'No access to your microphone or camera. Check the browser’s permissions.';
  if (noMic) return 'No access to your microphone. Check the browser’s permissions.';
  if (noCam) return 'No access to your camera. Check the browser’s permissions.';
  return '';
}

const trackDevice = (stream) => {
  const t = stream && stream.getTracks()[0];
  return (t && t.getSettings().deviceId) || '';
};

function stopPreview(all = true) {
  if (all) generation++;
  if (meter) {
    cancelAnimationFrame(meter.raf);
    meter.ctx.close().catch(() => {});
    meter = null;
  }
  if (preview) {
    for (const s of [preview.audio, preview.video]) if (s) s.getTracks().forEach((t) => t.stop());
    preview = null;
  }
  const v = $('prejoin-video');
  if (v) v.srcObject = null;
  setLevel(0);
}

function startMeter(stream) {
  let ctx;
  try {
    ctx = new AudioContext();
  } catch {
    return;
  }
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  meter = { ctx, analyser, raf: 0 };
  const tick = () => {
    if (!meter || meter.analyser !== analyser) return;
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const x of buf) sum += x * x;
    // RMS on a loudness-like scale: quiet speech lands mid-way.
    const level = Math.min(1, Math.sqrt(Math.sqrt(sum / buf.length)) * 1.6);
    setLevel(level);
    stats.levelSamples++;
    stats.levelMin = Math.min(stats.levelMin, level);
    stats.levelMax = Math.max(stats.levelMax, level);
    meter.raf = requestAnimationFrame(tick);
  };
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  tick();
}

function setLevel(level) {
  const el = $('prejoin-level');
  if (!el) return;
  el.style.setProperty('--level', level.toFixed(3));
  const bars = Math.round(level * 10);
  if (el.dataset.bars !== String(bars)) {
    el.dataset.bars = String(bars);
    el.setAttribute('aria-valuenow', String(bars * 10));
  }
}

async function fillDevices(micId, camId) {
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    // Without permission there is nothing to list.
  }
  fill($('prejoin-mic'), devices.filter((d) => d.kind === 'audioinput'), micId, 'Microphone');
  fill($('prejoin-cam'), devices.filter((d) => d.kind === 'videoinput'), camId, 'Camera');
}

function fill(sel, list, active, fallback) {
  sel.textContent = '';
  list.forEach((d, i) => sel.append(h('option', { value: d.deviceId, text: d.label || `${fallback} ${i + 1}` })));
  if (!list.length) sel.append(h('option', { value: '', text: `No ${fallback.toLowerCase()} found` }));
  if (active && list.some((d) => d.deviceId === active)) sel.value = active;
}

/** Shows what the toggles mean: the preview or the avatar, enabled pickers. */
function renderState() {
  const listener = $('prejoin-listener').checked;
  const camOff = listener || $('prejoin-camera-off').checked;
  const dialog = $('prejoin');
  dialog.dataset.camera = camOff ? 'off' : 'on';
  dialog.dataset.listener = String(listener);
  $('prejoin-camera-off').disabled = listener;
  $('prejoin-mic').disabled = listener || $('prejoin-mic').options.length === 0 || !$('prejoin-mic').value;
  $('prejoin-cam').disabled = camOff || $('prejoin-cam').options.length === 0 || !$('prejoin-cam').value;
  $('prejoin-level').hidden = listener;
  $('prejoin-listening').hidden = !listener;
  $('prejoin-join').textContent = listener ? 'Join as listener' : 'Join now';
}

// ---- wiring ----

/** Wires the dialog's controls once. */
export function wirePrejoin() {
  const dialog = $('prejoin');
  $('prejoin-join').addEventListener('click', () => pending && pending(choice()));
  $('prejoin-cancel').addEventListener('click', () => pending && pending(null));
  // Escape, or the dialog closed any other way.
  dialog.addEventListener('close', () => pending && pending(null));
  const again = () => pending && restartPreview($('prejoin-mic').value, $('prejoin-cam').value);
  for (const id of ['prejoin-mic', 'prejoin-cam', 'prejoin-camera-off', 'prejoin-listener']) $(id).addEventListener('change', again);
}

/** What tests see: whether it is open, the preview's frames and the level's range. */
export function prejoinSnapshot() {
  const d = $('prejoin');
  const v = $('prejoin-video');
  const frames = v && v.srcObject && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
  const live = (s) => !!(s && s.getTracks().some((t) => t.readyState === 'live'));
  return {
    open: !!(d && d.open),
    camera: d ? d.dataset.camera || '' : '',
    previewFrames: frames,
    previewVideo: !!(preview && live(preview.video)),
    previewAudio: !!(preview && live(preview.audio)),
    videoDevice: preview && preview.video ? preview.video.getTracks()[0].label : '',
    levelSamples: stats.levelSamples,
    levelMin: stats.levelMin,
    levelMax: stats.levelMax,
  };
}
