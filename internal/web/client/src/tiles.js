// Participant tiles: one per device in the call, with name, video, an
// audio-level ring, a role badge, a raised hand and LiveKit's connection
// quality; and one large tile per shared screen, which switches the grid
// to a spotlight layout. The ring follows the loudness of the
// participant's microphone track, measured locally with an AnalyserNode
// (the decrypted remote track, or the local capture), and falls back to
// the level LiveKit reports for the participant.

import { Track, createAudioAnalyser } from 'livekit-client';
import { userHue } from './avatar.js';
import { h, handIcon, initials, setData } from './dom.js';
import { icon } from './icons.js';
import { arrange } from './stage.js';

const LEVEL_INTERVAL_MS = 100;

const QUALITY_LABEL = {
  excellent: 'Excellent connection',
  good: 'Good connection',
  poor: 'Poor connection',
  lost: 'Connection lost',
  unknown: 'Connection quality unknown',
};

export class Tiles {
  constructor(container, audioSink) {
    this.container = container;
    this.audioSink = audioSink;
    /** identity -> { el, video, avatar, name, badges, videoTrack, audioTrack, audioEl, analyser, level } */
    this.tiles = new Map();
    /** identity -> { el, video, caption, participant, track, audioTrack, audioEl } */
    this.screens = new Map();
    this.timer = 0;
    /** Whether this user moderates the call (shows each tile's menu button). */
    this.moderator = false;
    /** Opens a person's moderation menu: (identity, button). */
    this.onMenu = null;
    /** Opens the list of everyone (the "+N" tile). */
    this.onMore = null;
    /** The remote participant who spoke last, shown first in a grid. */
    this.speaker = '';
    this.more = h('button', { type: 'button', class: 'tile-overflow', hidden: true, onclick: () => this.onMore && this.onMore() });
    container.append(this.more);
    this.layoutQueued = false;
    this.resize = new ResizeObserver(() => this.#arrange());
    this.resize.observe(container.parentElement || container);
    /** (participant) => the quality to show for it; the call session's view when set */
    this.qualityOf = null;
  }

  /**
   * Reconciles the tiles with the room's participants and tracks. info
   * maps an identity to its entry in the call view (role, hand_raised_at).
   */
  sync(room, info = new Map()) {
    const people = room ? [room.localParticipant, ...room.remoteParticipants.values()] : [];
    const seen = new Set();
    const sharing = new Set();
    for (const p of people) {
      if (!p.identity) continue;
      seen.add(p.identity);
      let t = this.tiles.get(p.identity);
      if (!t) {
        t = this.#create(p);
        this.tiles.set(p.identity, t);
        this.container.append(t.el);
      }
      this.#update(t, p, info.get(p.identity));
      if (this.#syncScreen(p)) sharing.add(p.identity);
    }
    for (const [id, t] of this.tiles) {
      if (!seen.has(id)) this.#remove(id, t);
    }
    for (const [id, s] of this.screens) {
      if (!sharing.has(id)) this.#removeScreen(id, s);
    }
    setData(this.container, 'layout', this.screens.size ? 'spotlight' : 'grid');
    this.#arrange();
    if (this.tiles.size && !this.timer) this.timer = setInterval(() => this.#levels(), LEVEL_INTERVAL_MS);
    if (!this.tiles.size && this.timer) {
      clearInterval(this.timer);
      this.timer = 0;
    }
  }

  clear() {
    for (const [id, t] of this.tiles) this.#remove(id, t);
    for (const [id, s] of this.screens) this.#removeScreen(id, s);
    setData(this.container, 'layout', 'grid');
    this.speaker = '';
    this.#arrange();
    clearInterval(this.timer);
    this.timer = 0;
  }

  /** State for tests and debugging. */
  snapshot() {
    return [...this.tiles.values()].map((t) => ({
      identity: t.participant.identity,
      name: t.participant.name,
      local: t.participant.isLocal,
      audioLevel: t.level,
      role: t.el.dataset.role || '',
      handRaised: t.el.dataset.hand === 'raised',
      quality: t.el.dataset.quality || '',
      videoWidth: t.video.videoWidth,
      videoFrames: t.video.getVideoPlaybackQuality ? t.video.getVideoPlaybackQuality().totalVideoFrames : 0,
      tracks: [...t.participant.trackPublications.values()].map((pub) => ({
        sid: pub.trackSid,
        kind: pub.kind,
        source: pub.source,
        encrypted: pub.isEncrypted,
        muted: pub.isMuted,
        subscribed: !!pub.track,
        // The capturing device's name, for local tracks: proves which
        // camera or microphone is really being sent.
        device: t.participant.isLocal && pub.track ? pub.track.mediaStreamTrack.label : '',
      })),
    }));
  }

  /** The shared screens shown, for tests and debugging. */
  screensSnapshot() {
    const tileWidth = Math.max(0, ...[...this.tiles.values()].map((t) => t.el.getBoundingClientRect().width));
    return [...this.screens.values()].map((s) => {
      const pub = s.participant.getTrackPublication(Track.Source.ScreenShare);
      const audio = s.participant.getTrackPublication(Track.Source.ScreenShareAudio);
      const width = s.el.getBoundingClientRect().width;
      return {
        identity: s.participant.identity,
        local: s.participant.isLocal,
        encrypted: !!pub && pub.isEncrypted,
        subscribed: !!pub && !!pub.track,
        audio: !!audio,
        audioEncrypted: !!audio && audio.isEncrypted,
        videoWidth: s.video.videoWidth,
        videoFrames: s.video.getVideoPlaybackQuality ? s.video.getVideoPlaybackQuality().totalVideoFrames : 0,
        width,
        // The spotlight: the screen is wider than any participant tile.
        largest: width > tileWidth,
      };
    });
  }

  #create(p) {
    const video = h('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true; // the attribute alone does not mute a srcObject stream in every browser
    const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });
    const name = h('span', { class: 'name' });
    const mic = h('span', { class: 'badge mic', 'aria-hidden': 'true' });
    const role = h('span', { class: 'badge role', hidden: true, text: 'listener' });
    const lock = h('span', { class: 'lock' });
    const hand = h('span', { class: 'hand', hidden: true, role: 'img', 'aria-label': 'Hand raised', title: 'Hand raised' }, handIcon());
    const quality = h('span', { class: 'quality', role: 'img' }, h('i'), h('i'), h('i'));
    const menu = h('button', { type: 'button', class: 'tile-menu', hidden: true, 'aria-haspopup': 'menu', 'aria-expanded': 'false', onclick: (e) => this.onMenu && this.onMenu(p.identity, e.currentTarget) }, icon('moreV'));
    const el = h(
      'figure',
      { class: 'tile', dataset: { identity: p.identity, user: p.identity.split('#')[0], local: String(p.isLocal) } },
      video,
      avatar,
      hand,
      quality,
      menu,
      h('figcaption', {}, mic, name, role, lock),
    );
    el.style.setProperty('--hue', String(userHue(p.identity.split('#')[0])));
    return { el, video, avatar, name, mic, role, lock, hand, quality, menu, lastSpoke: 0, participant: p, videoTrack: null, audioTrack: null, audioSource: null, audioEl: null, analyser: null, level: 0 };
  }

  #update(t, p, entry) {
    t.participant = p;
    const display = p.name || p.identity.split('#')[0];
    const label = p.isLocal ? `${display} (you)` : display;
    if (t.name.textContent !== label) t.name.textContent = label;
    const ini = initials(display);
    if (t.avatar.textContent !== ini) t.avatar.textContent = ini;
    t.menu.hidden = !this.moderator || p.isLocal;
    const menuLabel = `Moderate ${display}`;
    if (t.menu.getAttribute('aria-label') !== menuLabel) {
      t.menu.setAttribute('aria-label', menuLabel);
      t.menu.title = menuLabel;
    }

    const cam = p.getTrackPublication(Track.Source.Camera);
    const camOn = !!(cam && cam.track && !cam.isMuted);
    setData(t.el, 'camera', camOn ? 'on' : 'off');
    const videoTrack = camOn ? cam.track : null;
    if (videoTrack !== t.videoTrack) {
      if (t.videoTrack) t.videoTrack.detach(t.video);
      if (videoTrack) videoTrack.attach(t.video);
      t.videoTrack = videoTrack;
    }

    const mic = p.getTrackPublication(Track.Source.Microphone);
    const micOn = !!(mic && !mic.isMuted && (p.isLocal || mic.track));
    setData(t.el, 'mic', micOn ? 'on' : 'off');
    if (t.mic.dataset.icon !== (micOn ? 'mic' : 'micOff')) {
      t.mic.dataset.icon = micOn ? 'mic' : 'micOff';
      t.mic.replaceChildren(icon(micOn ? 'mic' : 'micOff'));
    }
    t.mic.classList.toggle('muted', !micOn);
    const audioTrack = mic && mic.track ? mic.track : null;
    // A device switch keeps the track object but replaces its source.
    const source = audioTrack ? audioTrack.mediaStreamTrack : null;
    if (audioTrack !== t.audioTrack || source !== t.audioSource) {
      this.#dropAudio(t);
      t.audioTrack = audioTrack;
      t.audioSource = source;
      if (audioTrack) {
        if (!p.isLocal) {
          t.audioEl = audioTrack.attach();
          this.audioSink.append(t.audioEl);
        }
        try {
          t.analyser = createAudioAnalyser(audioTrack, { cloneTrack: false });
        } catch {
          t.analyser = null; // no Web Audio: the ring uses LiveKit's level
        }
      }
    }

    const pubs = [...p.trackPublications.values()];
    const encrypted = pubs.length > 0 && pubs.every((pub) => pub.isEncrypted);
    setData(t.el, 'encrypted', encrypted);
    t.lock.textContent = encrypted ? 'encrypted' : '';

    // Role and hand come from Chatto's call view; before it names this
    // device, LiveKit's permission says whether it may publish.
    const role = entry && entry.role ? entry.role : p.permissions && !p.permissions.canPublish ? 'listener' : 'speaker';
    setData(t.el, 'role', role);
    t.role.hidden = role !== 'listener';
    const raised = !!(entry && entry.hand_raised_at);
    setData(t.el, 'hand', raised ? 'raised' : 'down');
    t.hand.hidden = !raised;
    const quality = (this.qualityOf ? this.qualityOf(p) : p.connectionQuality) || 'unknown';
    setData(t.el, 'quality', quality);
    const qLabel = QUALITY_LABEL[quality] || QUALITY_LABEL.unknown;
    if (t.quality.getAttribute('aria-label') !== qLabel) {
      t.quality.setAttribute('aria-label', qLabel);
      t.quality.title = qLabel;
    }
    const parts = [label, role === 'listener' ? 'listener' : null, raised ? 'hand raised' : null, `microphone ${micOn ? 'on' : 'muted'}`, `camera ${camOn ? 'on' : 'off'}`, qLabel.toLowerCase()];
    t.el.setAttribute('aria-label', parts.filter(Boolean).join(', '));
  }

  /** Shows the participant's shared screen in its own large tile; reports whether there is one. */
  #syncScreen(p) {
    const pub = p.getTrackPublication(Track.Source.ScreenShare);
    const track = pub && pub.track && !pub.isMuted ? pub.track : null;
    let s = this.screens.get(p.identity);
    if (!track) return false;
    if (!s) {
      const video = h('video', { autoplay: true, playsinline: true, muted: true });
      video.muted = true;
      const caption = h('figcaption', {});
      const el = h('figure', { class: 'screen', dataset: { identity: p.identity, sharer: p.identity.split('#')[0], local: String(p.isLocal) } }, video, caption);
      s = { el, video, caption, participant: p, track: null, audioTrack: null, audioEl: null };
      this.screens.set(p.identity, s);
      this.container.prepend(el);
    }
    s.participant = p;
    const display = p.name || p.identity.split('#')[0];
    const label = p.isLocal ? 'Your screen' : `${display}’s screen`;
    if (s.caption.textContent !== label) s.caption.textContent = label;
    s.el.setAttribute('aria-label', `${label}, end-to-end ${pub.isEncrypted ? 'encrypted' : 'not encrypted'}`);
    setData(s.el, 'encrypted', pub.isEncrypted);
    if (track !== s.track) {
      if (s.track) s.track.detach(s.video);
      track.attach(s.video);
      s.track = track;
    }
    // The shared tab's or screen's own sound, for the others only.
    const apub = p.getTrackPublication(Track.Source.ScreenShareAudio);
    const audioTrack = !p.isLocal && apub && apub.track ? apub.track : null;
    if (audioTrack !== s.audioTrack) {
      this.#dropScreenAudio(s);
      if (audioTrack) {
        s.audioEl = audioTrack.attach();
        this.audioSink.append(s.audioEl);
        s.audioTrack = audioTrack;
      }
    }
    return true;
  }

  #dropScreenAudio(s) {
    if (s.audioTrack && s.audioEl) s.audioTrack.detach(s.audioEl);
    if (s.audioEl) s.audioEl.remove();
    s.audioEl = null;
    s.audioTrack = null;
  }

  #removeScreen(id, s) {
    this.#dropScreenAudio(s);
    if (s.track) s.track.detach(s.video);
    s.el.remove();
    this.screens.delete(id);
  }

  #levels() {
    for (const t of this.tiles.values()) {
      const p = t.participant;
      const mic = p.getTrackPublication(Track.Source.Microphone);
      let level = 0;
      if (mic && !mic.isMuted) {
        const measured = t.analyser ? loudness(t.analyser.analyser, t) : 0;
        level = Math.max(measured, p.audioLevel || 0);
      }
      // Rise at once, fall gently: a ring that pulses, not flickers.
      t.level = Math.min(1, Math.max(level, t.level * 0.75));
      if (t.level < 0.01) t.level = 0;
      const shown = t.level.toFixed(2);
      setData(t.el, 'audioLevel', shown);
      const speaking = t.level > 0.15 || p.isSpeaking;
      setData(t.el, 'speaking', speaking);
      if (speaking && !p.isLocal) t.lastSpoke = performance.now();
      t.el.style.setProperty('--level', shown);
      const playing = t.video.videoWidth > 0 && !t.video.paused && t.el.dataset.camera === 'on';
      setData(t.el, 'video', playing ? 'playing' : 'none');
    }
    // Tiles keep their places while everyone fits (a grid that reshuffles
    // moves what the pointer is aiming at); someone behind "+N" who
    // speaks comes to the front.
    const loudest = [...this.tiles.values()].filter((t) => !t.participant.isLocal && t.lastSpoke).sort((a, b) => b.lastSpoke - a.lastSpoke)[0];
    if (loudest && loudest.el.classList.contains('off-stage')) {
      this.speaker = loudest.participant.identity;
      this.#arrange();
    }
  }

  /**
   * Lays the tiles out in the stage: the 1:1 arrangement (the other
   * person fills the stage, the self-view is a picture-in-picture), or a
   * grid whose columns fit the stage; when more
   * people are in the call than fit at a readable size, the last place
   * is a "+N" tile that opens the list of everyone, and whoever speaks
   * behind it takes the first place.
   */
  #arrange() {
    const stage = this.container.parentElement || this.container;
    const tiles = [...this.tiles.values()];
    // Two avatars (a voice call) sit side by side; a picture-in-picture
    // is for when the other person's camera is on.
    const other = tiles.length === 2 ? tiles.find((t) => !t.participant.isLocal) : null;
    const pair = !this.screens.size && !!other && tiles.some((t) => t.participant.isLocal) && other.el.dataset.camera === 'on';
    setData(this.container, 'pair', pair);
    // The last speaker brought on stage, then the others, then oneself,
    // in joining order.
    const ordered = [...tiles.filter((t) => t.participant.identity === this.speaker), ...tiles.filter((t) => t.participant.identity !== this.speaker && !t.participant.isLocal), ...tiles.filter((t) => t.participant.isLocal)];
    const w = stage.clientWidth;
    const hgt = stage.clientHeight;
    const spotlight = this.screens.size > 0;
    const fit = spotlight || pair || !w || !hgt ? null : arrange(w, hgt, ordered.length);
    const shown = fit ? fit.shown : ordered.length;
    ordered.forEach((t, i) => {
      const order = String(i + 1);
      if (t.el.style.order !== order) t.el.style.order = order;
      t.el.classList.toggle('off-stage', i >= shown);
    });
    const hiddenCount = ordered.length - shown;
    this.more.hidden = hiddenCount <= 0;
    if (hiddenCount > 0) {
      this.more.textContent = `+${hiddenCount}`;
      this.more.setAttribute('aria-label', `${hiddenCount} more in the call: show everyone`);
      this.more.style.order = String(ordered.length + 1);
    }
    const style = this.container.style;
    if (fit) {
      style.setProperty('--cols', String(fit.cols));
      style.setProperty('--tile-w', `${fit.tileW}px`);
      style.setProperty('--tile-h', `${fit.tileH}px`);
    }
    style.setProperty('--screens', String(Math.max(1, this.screens.size)));
  }

  #dropAudio(t) {
    if (t.analyser) t.analyser.cleanup();
    t.analyser = null;
    if (t.audioTrack && t.audioEl) t.audioTrack.detach(t.audioEl);
    if (t.audioEl) t.audioEl.remove();
    t.audioEl = null;
    t.audioTrack = null;
    t.audioSource = null;
  }

  #remove(id, t) {
    this.#dropAudio(t);
    if (t.videoTrack) t.videoTrack.detach(t.video);
    t.el.remove();
    this.tiles.delete(id);
  }
}

/**
 * loudness maps the RMS of the latest samples to 0..1 on a decibel scale
 * (-60 dBFS and below is silence, -10 dBFS and above is full), the way a
 * level meter reads, so quiet speech still moves the ring.
 */
function loudness(analyser, t) {
  if (!t.samples || t.samples.length !== analyser.fftSize) t.samples = new Float32Array(analyser.fftSize);
  try {
    analyser.getFloatTimeDomainData(t.samples);
  } catch {
    return 0;
  }
  let sum = 0;
  for (const v of t.samples) sum += v * v;
  const rms = Math.sqrt(sum / t.samples.length);
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db + 60) / 50));
}
