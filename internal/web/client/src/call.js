// One device's presence in one room's call: asks the Chatto API for a
// grant (LiveKit token + the call's E2EE key), connects to LiveKit with
// end-to-end encryption always on, publishes the microphone and camera
// (and the screen on request) while its role allows it, follows the
// permissions and mutes an admin applies through LiveKit, keeps the token
// fresh and leaves cleanly.
//
// Token freshness: LiveKit's server pushes refreshed tokens over the signal
// connection and livekit-client stores them for its own reconnects, so a
// connected call survives its first token's expiry on its own. Chatto
// still refreshes its grant before expiry (POST .../call/token) because a
// *full* rejoin after the LiveKit session is lost goes through a new Room
// and needs a token Chatto signed, and the refresh tells us early when
// the server no longer counts this device in the call.
//
// Key rotation: when someone leaves a call that goes on, the server makes
// a new key and tells the devices still in it its index (call.key_rotated,
// or a call view whose key_index is above ours). Each device fetches the
// key (POST .../call/key, refused to anyone not in the call), adds it to
// livekit-client's key ring at once so it can decrypt peers that switched
// already, and starts encrypting with it KEY_SWITCH_DELAY_MS later, by
// when the others hold it too. Frames are tagged with the key's ring slot.

import {
  ConnectionError,
  ConnectionQuality,
  ConnectionErrorReason,
  ConnectionState,
  DisconnectReason,
  ExternalE2EEKeyProvider,
  KeyProviderEvent,
  Room,
  RoomEvent,
  Track,
  createKeyMaterialFromBuffer,
  isE2EESupported,
} from 'livekit-client';
import { ApiError, api, callPath } from './api.js';
import { LinkWatch } from './link.js';
import { formatDuration } from './duration.js';

const WORKER_PATH = '/static/livekit-client.e2ee.worker.mjs';
const REJOIN_ATTEMPTS = 3;
const E2EE_START_TIMEOUT_MS = 8000;
// livekit-client's key ring: a key's index picks slot index % KEYRING_SIZE.
const KEYRING_SIZE = 16;
// How long a fetched key waits before this device encrypts with it.
const KEY_SWITCH_DELAY_MS = 1000;

export const E2EE_UNSUPPORTED =
  'This browser cannot encrypt calls end-to-end, and Chatto never joins a call without it. ' +
  'Use a current version of Chrome, Edge, Firefox or Safari to join.';

/** Reports whether this browser can run LiveKit's frame encryption. */
export function e2eeSupported() {
  try {
    return typeof Worker !== 'undefined' && typeof crypto !== 'undefined' && !!crypto.subtle && isE2EESupported();
  } catch {
    return false;
  }
}

/**
 * CallSession states: joining (asking Chatto), connecting (to LiveKit),
 * connected, reconnecting, ended, failed.
 */
export class CallSession {
  /**
   * @param {object} o
   * @param {string} o.roomId
   * @param {string} o.deviceId
   * @param {'audio'|'video'} [o.type]  the type asked for if this join starts the call
   * @param {boolean} [o.listener]        join as a listener (cannot publish)
   * @param {boolean} [o.camera]          start with the camera on (default: for a video call)
   * @param {string} [o.audioDeviceId]    the microphone to capture from ('' for the default)
   * @param {string} [o.videoDeviceId]    the camera to capture from ('' for the default)
   * @param {boolean} [o.forceRelay]      connect through TURN only (iceTransportPolicy relay)
   * @param {(state: string, message: string) => void} o.onState
   * @param {(message: string) => void} o.onError  a problem that does not end the call
   * @param {() => void} o.onChange               participants, tracks or devices changed
   * @param {(text: string) => void} o.announce
   */
  constructor(o) {
    this.roomId = o.roomId;
    this.deviceId = o.deviceId;
    // The call's type decides whether the camera starts on; the server's
    // answer (the first joiner's choice) wins over what we asked for.
    this.type = o.type === 'audio' ? 'audio' : 'video';
    this.askListener = !!o.listener;
    // Chosen before joining (pre-join); undefined leaves it to the type.
    this.askCamera = o.camera;
    this.captureDevices = { audioinput: o.audioDeviceId || '', videoinput: o.videoDeviceId || '' };
    // The ICE policy handed to LiveKit's peer connections; the server's
    // force_relay turns it to 'relay' so media only flows through TURN.
    this.iceTransportPolicy = o.forceRelay ? 'relay' : 'all';
    this.cb = o;
    this.state = 'idle';
    this.grant = null;
    this.room = null;
    this.leaving = false;
    this.refreshTimer = 0;
    this.tokenRefreshes = 0;
    // The key this device encrypts with (its index; -1 before joining),
    // the highest index it has heard of, and the rotations it followed.
    this.keyProvider = null;
    this.keyIndex = -1;
    this.wantedKeyIndex = -1;
    this.keyFetching = false;
    this.keySwitchTimer = 0;
    this.keyRotations = 0;
    this.lastRefreshAt = '';
    this.encryptionErrors = 0;
    this.lastError = '';
    this.rejoining = false;
    // Why the call ended when the server took this device out (an admin
    // removed it, or the user left the room): 'removed', 'revoked' or ''.
    this.removedReason = '';
    // Set while this page changes its own mute state, so a mute that
    // arrives from LiveKit otherwise is known to be an admin's.
    this.selfMuting = 0;
    this.adminMuted = '';
    this.connects = 0; // LiveKit connections made: 1 unless it rejoined
    this.startPublished = false; // what it publishes on joining is published
    // Whether the connection to the call carries anything: livekit-client
    // says it is reconnecting (its signal or peer connections broke), or
    // this page saw the browser go offline or the media path fall silent
    // ('offline', 'media'; see link.js). Either shows "Reconnecting…".
    this.livekitReconnecting = false;
    this.linkDown = '';
    this.linkWatch = null;
    this.stateSince = Date.now();
    this.reconnects = 0; // times this page showed a connected call as reconnecting
    // LiveKit's last quality for this device, judged during an outage that
    // is over: shown as unknown until LiveKit says anything new.
    this.staleQuality = '';
  }

  get active() {
    return ['joining', 'connecting', 'connected', 'reconnecting'].includes(this.state);
  }

  async join() {
    if (!e2eeSupported()) {
      this.#finish('failed', E2EE_UNSUPPORTED);
      return;
    }
    this.#setState('joining', 'Joining the call…');
    let grant;
    try {
      grant = await api('POST', callPath(this.roomId, 'join'), this.#joinBody());
    } catch (e) {
      this.#finish('failed', joinErrorMessage(e));
      return;
    }
    if (!grant || !grant.token) {
      this.#finish('failed', 'Calls are turned off on this server.');
      return;
    }
    if (this.leaving) return;
    this.#setGrant(grant);
    try {
      await this.#connect(grant);
    } catch (e) {
      this.#finish('failed', connectErrorMessage(e, grant.livekit_url));
      this.#leaveAPI();
    }
  }

  /** Leaves on the user's request. */
  async leave() {
    if (this.leaving) return;
    this.leaving = true;
    clearTimeout(this.refreshTimer);
    const left = this.#leaveAPI();
    const room = this.room;
    this.room = null;
    if (room) await room.disconnect(true).catch(() => {});
    await left;
    this.#finish('ended', 'You left the call.');
  }

  /** Hangs up because the server ended the call (its end was announced). */
  async end(message) {
    if (this.leaving || !this.active) return;
    this.leaving = true;
    clearTimeout(this.refreshTimer);
    const room = this.room;
    this.room = null;
    this.#finish('ended', message);
    if (room) await room.disconnect(true).catch(() => {});
  }

  /**
   * Hangs up because the server took this device out of the call: an
   * admin removed it ('removed') or the user is no longer a member of the
   * room ('revoked'). LiveKit may have disconnected us first (with
   * PARTICIPANT_REMOVED); then only the message gets sharper.
   */
  async removed(reason) {
    const message = removedMessage(reason);
    this.removedReason = reason === 'revoked' ? 'revoked' : 'removed';
    if (this.state === 'ended' || this.state === 'failed') {
      if (this.removedReason) this.#finish('ended', message);
      return;
    }
    this.leaving = true;
    clearTimeout(this.refreshTimer);
    const room = this.room;
    this.room = null;
    this.#finish('ended', message);
    if (room) await room.disconnect(true).catch(() => {});
  }

  /**
   * Leaves while the page goes away: a beacon survives the unload where a
   * fetch would be cancelled, so the call ends now instead of when LiveKit
   * notices the missing peer.
   */
  leaveOnUnload() {
    if (!this.active || this.leaving) return;
    this.leaving = true;
    clearTimeout(this.refreshTimer);
    const body = JSON.stringify({ device_id: this.deviceId });
    let sent = false;
    try {
      sent = navigator.sendBeacon(callPath(this.roomId, 'leave'), body);
    } catch {
      sent = false;
    }
    if (!sent) {
      fetch(callPath(this.roomId, 'leave'), { method: 'POST', body, keepalive: true, credentials: 'same-origin' }).catch(() => {});
    }
    if (this.room) this.room.disconnect(true).catch(() => {});
  }

  async setMicrophone(on) {
    if (!this.room) return;
    if (on && !this.canPublish()) return this.cb.onError(LISTENER_CANNOT_PUBLISH);
    this.selfMuting++;
    try {
      await this.room.localParticipant.setMicrophoneEnabled(on);
      if (on && this.adminMuted === 'microphone') this.adminMuted = '';
      this.cb.announce(on ? 'Microphone on' : 'Microphone muted');
    } catch (e) {
      this.#deviceFailed(deviceErrorMessage('microphone', e));
    } finally {
      this.selfMuting--;
    }
    this.cb.onChange();
  }

  async setCamera(on) {
    if (!this.room) return;
    if (on && !this.canPublish()) return this.cb.onError(LISTENER_CANNOT_PUBLISH);
    this.selfMuting++;
    try {
      await this.room.localParticipant.setCameraEnabled(on);
      if (on && this.adminMuted === 'camera') this.adminMuted = '';
      this.cb.announce(on ? 'Camera on' : 'Camera off');
    } catch (e) {
      this.#deviceFailed(deviceErrorMessage('camera', e));
    } finally {
      this.selfMuting--;
    }
    this.cb.onChange();
  }

  /**
   * Shares a screen, window or tab (with its audio where the browser
   * offers it). The room's E2EE covers it like every other track.
   */
  async setScreenShare(on) {
    if (!this.room) return;
    if (on && !this.canPublish()) return this.cb.onError(LISTENER_CANNOT_PUBLISH);
    this.selfMuting++;
    try {
      await this.room.localParticipant.setScreenShareEnabled(on, {
        audio: true,
        systemAudio: 'include',
        selfBrowserSurface: 'include',
        surfaceSwitching: 'include',
        contentHint: 'detail',
      });
      this.cb.announce(on ? 'You are sharing your screen' : 'Screen sharing stopped');
    } catch (e) {
      if (e && e.name === 'NotAllowedError') this.cb.onError('Screen sharing was cancelled or not allowed by the browser.');
      else this.#deviceFailed(deviceErrorMessage('screen', e));
    } finally {
      this.selfMuting--;
    }
    this.cb.onChange();
  }

  screenShareEnabled() {
    return !!this.room && this.room.localParticipant.isScreenShareEnabled;
  }

  /**
   * Whether LiveKit lets this device publish: its live permissions once
   * connected (an admin may change them mid-call), else the role the join
   * answer gave.
   */
  canPublish() {
    const perms = this.room && this.room.localParticipant.permissions;
    if (perms) return !!perms.canPublish;
    return this.role !== 'listener';
  }

  /** 'speaker' or 'listener', as far as this device knows. */
  get role() {
    const perms = this.room && this.room.localParticipant.permissions;
    if (perms) return perms.canPublish ? 'speaker' : 'listener';
    if (this.grant && this.grant.role) return this.grant.role;
    return this.askListener ? 'listener' : 'speaker';
  }

  /** LiveKit's connection quality of this device ('unknown' before it reports). */
  connectionQuality() {
    if (!this.room) return ConnectionQuality.Unknown;
    return this.qualityOf(this.room.localParticipant);
  }

  /**
   * The connection quality to show for a LiveKit participant: the SFU's
   * rating of that participant's own link. While this device's link is
   * down, its own is lost and the others' unknown: the ratings it holds
   * are from before the outage, and it cannot hear new ones.
   */
  qualityOf(p) {
    if (!p) return ConnectionQuality.Unknown;
    if (this.state === 'reconnecting') return p.isLocal ? ConnectionQuality.Lost : ConnectionQuality.Unknown;
    const q = p.connectionQuality || ConnectionQuality.Unknown;
    return p.isLocal && q === this.staleQuality ? ConnectionQuality.Unknown : q;
  }

  async switchDevice(kind, deviceId) {
    if (!this.room) return;
    try {
      await this.room.switchActiveDevice(kind, deviceId);
      this.captureDevices[kind] = deviceId; // a rejoin captures from it too
      this.cb.announce(kind === 'audioinput' ? 'Microphone changed' : 'Camera changed');
    } catch (e) {
      this.#deviceFailed(deviceErrorMessage(kind === 'audioinput' ? 'microphone' : 'camera', e));
    }
    this.cb.onChange();
  }

  micEnabled() {
    return !!this.room && this.room.localParticipant.isMicrophoneEnabled;
  }

  cameraEnabled() {
    return !!this.room && this.room.localParticipant.isCameraEnabled;
  }

  activeDevice(kind) {
    return this.room ? this.room.getActiveDevice(kind) : undefined;
  }

  /** The id of the call this device was admitted to ('' before). */
  get callId() {
    return this.grant ? this.grant.call_id : '';
  }

  /** State for tests and debugging; never includes the key or token. */
  snapshot() {
    return {
      room: this.roomId,
      state: this.state,
      type: this.type,
      identity: this.grant ? this.grant.identity : '',
      callId: this.grant ? this.grant.call_id : '',
      e2eeEnabled: !!this.room && this.room.isE2EEEnabled,
      tokenRefreshes: this.tokenRefreshes,
      keyIndex: this.keyIndex,
      keyRotations: this.keyRotations,
      lastRefreshAt: this.lastRefreshAt,
      tokenExpiresAt: this.grant ? this.grant.expires_at : '',
      encryptionErrors: this.encryptionErrors,
      lastError: this.lastError,
      connectionState: this.room ? this.room.state : 'disconnected',
      // When the state last changed (this page's Date.now()), why the link
      // counts as down ('livekit', 'offline', 'media' or ''), and how often
      // a connected call turned to reconnecting.
      stateSince: this.stateSince,
      linkDown: this.#linkDownReason(),
      reconnects: this.reconnects,
      link: this.linkWatch ? this.linkWatch.snapshot() : null,
      // LiveKit's participant ids by identity, which quality updates name.
      sids: this.room ? Object.fromEntries([this.room.localParticipant, ...this.room.remoteParticipants.values()].map((p) => [p.identity, p.sid])) : {},
      connects: this.connects,
      startPublished: this.startPublished,
      role: this.role,
      canPublish: this.canPublish(),
      screenSharing: this.screenShareEnabled(),
      connectionQuality: this.connectionQuality(),
      removedReason: this.removedReason,
      adminMuted: this.adminMuted,
      // What this page asked LiveKit for, and what the peer connection
      // really runs with (read back from RTCPeerConnection.getConfiguration).
      iceTransportPolicy: this.iceTransportPolicy,
      appliedIceTransportPolicy: this.#appliedIcePolicy(),
    };
  }

  /**
   * For tests: hands livekit-client a connection quality update (proto
   * qualities: 0 poor, 1 good, 2 excellent, 3 lost, by participant sid)
   * where the SFU's signal message enters it, so the mapping from LiveKit's
   * updates to the people shown can be checked without a lossy network.
   */
  simulateQualityUpdate(updates) {
    const client = this.room && this.room.engine && this.room.engine.client;
    if (!client || !client.onConnectionQuality) return false;
    client.onConnectionQuality({ updates: updates.map((u) => ({ participantSid: u.sid, quality: u.quality, score: u.quality === 2 ? 4.5 : 2 })) });
    return true;
  }

  #appliedIcePolicy() {
    const pcm = this.room && this.room.engine && this.room.engine.pcManager;
    for (const t of pcm ? [pcm.publisher, pcm.subscriber] : []) {
      // _pc, not pc: the getter would create a connection.
      const pc = t && t._pc;
      if (pc && pc.getConfiguration) return pc.getConfiguration().iceTransportPolicy || '';
    }
    return '';
  }

  // ---- connecting ----

  async #connect(grant, rejoin = false) {
    if (!rejoin) this.#setState('connecting', 'Connecting to the call…');
    const keyProvider = new ExternalE2EEKeyProvider({ keyringSize: KEYRING_SIZE });
    const worker = new Worker(new URL(WORKER_PATH, location.href), { type: 'module' });
    this.connects++;
    const room = new Room({
      dynacast: true,
      encryption: { keyProvider, worker },
      // We leave on pagehide ourselves, through the API as well.
      disconnectOnPageLeave: false,
      ...this.#captureDefaults(),
    });
    room.once(RoomEvent.Disconnected, () => worker.terminate());
    this.room = room;
    this.#wire(room);
    clearTimeout(this.keySwitchTimer);
    this.keyProvider = keyProvider;
    const index = grant.e2ee_key_index || 0;
    await useKey(keyProvider, await keyMaterial(grant.e2ee_key), index);
    if (grant.e2ee_previous_key && grant.e2ee_previous_key_index >= 0) {
      // Joining moments after a rotation: the others may still encrypt
      // with the previous key for a second. Decrypt with it, never
      // encrypt (the last argument keeps the current key current).
      keyProvider.emit(KeyProviderEvent.SetKey, {
        key: await keyMaterial(grant.e2ee_previous_key), participantIdentity: undefined,
        keyIndex: grant.e2ee_previous_key_index % KEYRING_SIZE,
      }, false);
    }
    this.keyIndex = index;
    this.wantedKeyIndex = Math.max(this.wantedKeyIndex, index);
    await room.setE2EEEnabled(true);
    try {
      const opts = { autoSubscribe: true };
      if (this.iceTransportPolicy === 'relay') opts.rtcConfig = { iceTransportPolicy: 'relay' };
      await room.connect(grant.livekit_url, grant.token, opts);
    } catch (e) {
      this.room = null;
      await room.disconnect(true).catch(() => {});
      worker.terminate();
      throw e;
    }
    if (this.leaving) {
      await room.disconnect(true).catch(() => {});
      return;
    }
    // Publish nothing until the local encryptor runs: media never leaves
    // this browser in the clear.
    if (!(await waitFor(() => room.isE2EEEnabled, E2EE_START_TIMEOUT_MS))) {
      this.room = null;
      await room.disconnect(true).catch(() => {});
      throw new E2EEStartError();
    }
    this.livekitReconnecting = false;
    this.linkDown = '';
    this.#setState('connected', CONNECTED);
    this.cb.announce(rejoin ? 'Rejoined the call.' : 'Connected to the call. Media is end-to-end encrypted.');
    this.#watchLink(room);
    // An audio call starts with the camera off; the user can turn it on.
    // A listener publishes nothing (LiveKit would refuse it anyway).
    if (this.canPublish()) {
      const camera = this.askCamera === undefined ? this.type === 'video' : this.askCamera;
      await Promise.all([this.#publish('microphone'), camera ? this.#publish('camera') : null]);
    }
    this.startPublished = true;
    this.cb.onChange();
  }

  /** The devices chosen before joining, as LiveKit's capture defaults. */
  #captureDefaults() {
    const d = this.captureDevices;
    const o = {};
    if (d.audioinput) o.audioCaptureDefaults = { deviceId: d.audioinput };
    if (d.videoinput) o.videoCaptureDefaults = { deviceId: d.videoinput };
    return o;
  }

  /**
   * Reports a device or publishing failure, unless the call is already
   * over for this page: a removal or leave cancels a publication under
   * way ("Cancelled publication by calling unpublish"), and that must not
   * replace the message saying why the call ended.
   */
  #deviceFailed(message) {
    if (this.active) this.cb.onError(message);
  }

  async #publish(what) {
    const lp = this.room && this.room.localParticipant;
    if (!lp) return;
    try {
      if (what === 'microphone') await lp.setMicrophoneEnabled(true);
      else await lp.setCameraEnabled(true);
    } catch (e) {
      this.#deviceFailed(deviceErrorMessage(what, e));
    }
  }

  #wire(room) {
    const changed = () => {
      if (this.room === room) this.cb.onChange();
    };
    room
      .on(RoomEvent.ConnectionStateChanged, (st) => {
        if (this.room !== room || this.leaving) return;
        const was = this.livekitReconnecting;
        this.livekitReconnecting = st === ConnectionState.Reconnecting || st === ConnectionState.SignalReconnecting;
        // Reconnected: the transports may be new, so the media watch
        // learns them afresh instead of judging them by the old ones.
        if (was && st === ConnectionState.Connected && this.linkWatch) this.linkWatch.reset();
        this.#syncLink();
      })
      .on(RoomEvent.Disconnected, (reason) => {
        this.#stopLinkWatch(room);
        if (this.room !== room || this.leaving) return;
        this.room = null;
        this.#onDisconnected(reason);
      })
      .on(RoomEvent.ParticipantConnected, (p) => {
        this.cb.announce(`${p.name || p.identity} joined the call`);
        changed();
      })
      .on(RoomEvent.ParticipantDisconnected, (p) => {
        this.cb.announce(`${p.name || p.identity} left the call`);
        changed();
      })
      .on(RoomEvent.EncryptionError, (err) => {
        this.encryptionErrors++;
        this.lastError = String((err && err.message) || err);
      })
      .on(RoomEvent.MediaDevicesError, (e) => {
        this.#deviceFailed(deviceErrorMessage('device', e));
      })
      .on(RoomEvent.ParticipantPermissionsChanged, (prev, p) => {
        if (this.room !== room || !p || !p.isLocal) return changed();
        this.#onPermissions(prev, p.permissions);
      })
      .on(RoomEvent.TrackMuted, (pub, p) => {
        // A mute this page did not ask for came from a room admin.
        if (this.room === room && p && p.isLocal && !this.selfMuting && pub) {
          const what = { [Track.Source.Microphone]: 'microphone', [Track.Source.Camera]: 'camera', [Track.Source.ScreenShare]: 'screen' }[pub.source];
          if (what) {
            this.adminMuted = what;
            this.cb.announce(what === 'screen' ? 'An admin stopped your screen share.' : `An admin muted your ${what}.`);
          }
        }
        changed();
      })
      .on(RoomEvent.ConnectionQualityChanged, (_q, p) => {
        if (p && p.isLocal) this.staleQuality = '';
        changed();
      });
    for (const ev of [
      RoomEvent.TrackSubscribed,
      RoomEvent.TrackUnsubscribed,
      RoomEvent.TrackPublished,
      RoomEvent.TrackUnpublished,
      RoomEvent.TrackUnmuted,
      RoomEvent.LocalTrackPublished,
      RoomEvent.LocalTrackUnpublished,
      RoomEvent.ParticipantEncryptionStatusChanged,
      RoomEvent.ParticipantNameChanged,
      RoomEvent.MediaDevicesChanged,
      RoomEvent.ActiveDeviceChanged,
      RoomEvent.Connected,
    ]) {
      room.on(ev, changed);
    }
  }

  /**
   * LiveKit changed what this device may do (an admin switched its role).
   * A listener stops capturing and unpublishes everything; a speaker gets
   * its buttons back but turns nothing on by itself.
   */
  async #onPermissions(prev, now) {
    const can = !!(now && now.canPublish);
    // The first permissions (at connect) are the join's role, not a change.
    const could = prev ? !!prev.canPublish : can;
    if (could && !can) {
      this.cb.announce('A room admin made you a listener. Your microphone, camera and screen share are off.');
      const lp = this.room && this.room.localParticipant;
      if (lp) {
        this.selfMuting++;
        try {
          await Promise.all(
            [...lp.trackPublications.values()].filter((pub) => pub.track).map((pub) => lp.unpublishTrack(pub.track, true).catch(() => {})),
          );
        } finally {
          this.selfMuting--;
        }
      }
    } else if (!could && can) {
      this.cb.announce('A room admin made you a speaker. You can turn on your microphone, camera or screen share.');
    }
    this.cb.onChange();
  }

  #onDisconnected(reason) {
    clearTimeout(this.refreshTimer);
    switch (reason) {
      case DisconnectReason.ROOM_DELETED:
      case DisconnectReason.ROOM_CLOSED:
        this.#finish('ended', 'The call ended.');
        return;
      case DisconnectReason.PARTICIPANT_REMOVED:
        // call.removed says whether an admin removed us or we lost the
        // room; until it arrives, the likelier one.
        if (!this.removedReason) this.removedReason = 'removed';
        this.#finish('ended', removedMessage(this.removedReason));
        return;
      case DisconnectReason.DUPLICATE_IDENTITY:
        this.#finish('ended', 'This call was opened again from another tab with the same session, so it was closed here.');
        return;
      case DisconnectReason.CLIENT_INITIATED:
        this.#finish('ended', 'You left the call.');
        return;
    }
    // Lost after livekit-client's own reconnects gave up: rejoin with a
    // fresh grant from Chatto.
    this.#rejoin();
  }

  async #rejoin() {
    if (this.rejoining) return;
    this.rejoining = true;
    if (this.state === 'connected') this.reconnects++;
    this.#setState('reconnecting', 'Reconnecting…');
    this.cb.announce('Connection lost. Rejoining the call.');
    this.cb.onChange();
    let lastErr = null;
    try {
      for (let attempt = 0; attempt < REJOIN_ATTEMPTS && !this.leaving; attempt++) {
        await sleep(1000 * 2 ** attempt);
        if (this.leaving) return;
        try {
          const grant = await this.#freshGrant();
          this.#setGrant(grant);
          await this.#connect(grant, true);
          return;
        } catch (e) {
          lastErr = e;
          if (e instanceof ApiError && !['network', 'livekit_unavailable', 'internal'].includes(e.code)) break;
        }
      }
      if (this.leaving) return;
      this.#finish('failed', lastErr instanceof ApiError ? joinErrorMessage(lastErr) : connectErrorMessage(lastErr, this.grant && this.grant.livekit_url));
      this.#leaveAPI();
    } finally {
      this.rejoining = false;
    }
  }

  /** A token for this device: a refresh if the server still counts it in the call, else a new join. */
  async #freshGrant() {
    try {
      return await api('POST', callPath(this.roomId, 'token'), { device_id: this.deviceId });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'not_in_call') {
        return await api('POST', callPath(this.roomId, 'join'), this.#joinBody());
      }
      throw e;
    }
  }

  // ---- key rotation ----

  /**
   * The call's key has (at least) this index now, from call.key_rotated or
   * a call view: fetch it if this device holds an older one.
   */
  keyHint(callId, index) {
    if (!(index >= 0) || callId !== this.callId || !this.active || this.leaving) return;
    if (index <= this.wantedKeyIndex) return;
    this.wantedKeyIndex = index;
    this.#fetchKey();
  }

  async #fetchKey() {
    if (this.keyFetching) return;
    this.keyFetching = true;
    try {
      while (this.active && !this.leaving && this.keyProvider && this.wantedKeyIndex > this.keyIndex) {
        const provider = this.keyProvider;
        let res;
        try {
          res = await api('POST', callPath(this.roomId, 'key'), { device_id: this.deviceId });
        } catch (e) {
          // Not in the call (any more), or removed from it: leaving or
          // the removal (LiveKit's disconnect, call.removed) handles that.
          if (!(e instanceof ApiError) || !['not_in_call', 'removed'].includes(e.code)) {
            this.cb.onError(`Could not fetch the call's new encryption key: ${e.message}`);
          }
          return;
        }
        if (res.call_id !== this.callId || provider !== this.keyProvider || !(res.e2ee_key_index > this.keyIndex)) return;
        const index = res.e2ee_key_index;
        const material = await keyMaterial(res.e2ee_key);
        // Decrypt with it now; encrypt with it once the others have it.
        provider.emit(KeyProviderEvent.SetKey, { key: material, participantIdentity: undefined, keyIndex: index % KEYRING_SIZE }, false);
        clearTimeout(this.keySwitchTimer);
        this.keySwitchTimer = setTimeout(() => {
          if (provider !== this.keyProvider || index <= this.keyIndex) return;
          useKey(provider, material, index).then(() => {
            this.keyIndex = index;
            this.keyRotations++;
          });
        }, KEY_SWITCH_DELAY_MS);
        this.wantedKeyIndex = Math.max(this.wantedKeyIndex, index);
        if (this.wantedKeyIndex <= index) return;
      }
    } finally {
      this.keyFetching = false;
    }
  }

  // ---- token refresh ----

  #joinBody() {
    const body = { device_id: this.deviceId, type: this.type };
    if (this.askListener) body.role = 'listener';
    return body;
  }

  #setGrant(grant) {
    this.grant = grant;
    if (grant.call && (grant.call.type === 'audio' || grant.call.type === 'video')) this.type = grant.call.type;
    clearTimeout(this.refreshTimer);
    const remaining = Date.parse(grant.expires_at) - Date.now();
    if (!(remaining > 0)) return;
    // A minute before expiry, or at 75% of a short token's life.
    const delay = Math.max(1000, remaining - Math.min(60000, remaining / 4));
    this.refreshTimer = setTimeout(() => this.#refresh(), delay);
  }

  async #refresh() {
    if (!this.active || this.leaving || this.rejoining) return;
    try {
      const grant = await this.#freshGrant();
      if (this.leaving) return;
      if (this.grant && grant.call_id !== this.grant.call_id) {
        // The call we were in ended while we were unseen; the fresh grant
        // belongs to a new call with a new key.
        this.#setGrant(grant);
        if (this.room) {
          const old = this.room;
          this.room = null;
          await old.disconnect(true).catch(() => {});
        }
        await this.#connect(grant).catch((e) => this.#finish('failed', connectErrorMessage(e, grant.livekit_url)));
        return;
      }
      this.tokenRefreshes++;
      this.lastRefreshAt = new Date().toISOString();
      this.#setGrant(grant);
    } catch (e) {
      if (e instanceof ApiError && ['forbidden', 'unauthorized', 'removed'].includes(e.code)) {
        this.#finish('failed', joinErrorMessage(e));
        if (this.room) this.room.disconnect(true).catch(() => {});
        return;
      }
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.#refresh(), 10000);
    }
  }

  // ---- connection truth ----

  #watchLink(room) {
    this.#stopLinkWatch();
    if (this.room !== room) return;
    this.linkWatch = new LinkWatch(room, (down) => {
      if (this.room !== room) return;
      this.linkDown = down;
      this.#syncLink();
    });
  }

  #stopLinkWatch(room) {
    if (!this.linkWatch || (room && this.linkWatch.room !== room)) return;
    this.linkWatch.stop();
    this.linkWatch = null;
  }

  /** Why the link is down: 'livekit', 'offline', 'media', or '' while it works. */
  get linkDownReason() {
    return this.#linkDownReason();
  }

  #linkDownReason() {
    if (this.livekitReconnecting) return 'livekit';
    return this.linkDown;
  }

  /** Shows a connected call as reconnecting while its link is down, and as connected again once it is back. */
  #syncLink() {
    if (this.leaving || this.rejoining || !this.room) return;
    const down = this.#linkDownReason();
    if (down && this.state === 'connected') {
      this.reconnects++;
      this.#setState('reconnecting', 'Reconnecting…');
      this.cb.announce('Connection lost. Reconnecting.');
    } else if (!down && this.state === 'reconnecting') {
      const q = this.room.localParticipant.connectionQuality;
      this.staleQuality = q === ConnectionQuality.Poor || q === ConnectionQuality.Lost ? q : '';
      this.#setState('connected', CONNECTED);
      this.cb.announce('Reconnected to the call.');
    }
    this.cb.onChange();
  }

  // ---- state ----

  #leaveAPI() {
    return api('POST', callPath(this.roomId, 'leave'), { device_id: this.deviceId }).catch(() => {});
  }

  #setState(state, message) {
    if (state !== this.state) this.stateSince = Date.now();
    this.state = state;
    this.cb.onState(state, message);
  }

  #finish(state, message) {
    this.#stopLinkWatch();
    clearTimeout(this.refreshTimer);
    clearTimeout(this.keySwitchTimer);
    if (state === 'failed') this.lastError = message;
    this.#setState(state, message);
    this.cb.onChange();
  }
}

const CONNECTED = 'Connected · end-to-end encrypted';

/** Shown when a listener tries to publish. */
export const LISTENER_CANNOT_PUBLISH =
  'You are a listener in this call: you can hear and see it, but not speak, show your camera or share your screen. Raise your hand to ask a room admin to make you a speaker.';

/** What to tell a user whom the server took out of a call. */
export function removedMessage(reason) {
  return reason === 'revoked' ? 'You are no longer a member of this room.' : 'An admin removed you from the call.';
}

class E2EEStartError extends Error {
  constructor() {
    super('end-to-end encryption did not start');
    this.name = 'E2EEStartError';
  }
}

/** What to tell the user when Chatto refuses or fails a join. */
export function joinErrorMessage(e) {
  if (!(e instanceof ApiError)) return `Could not join the call: ${e && e.message ? e.message : e}`;
  switch (e.code) {
    case 'livekit_unavailable':
      return 'The call server (LiveKit) cannot be reached right now, so the call could not start. Try again in a moment.';
    case 'call_full':
      return `This call is full. ${e.message}`;
    case 'forbidden':
      return 'You are not a member of this room, so you cannot join its call.';
    case 'removed':
      return e.retryAfter > 0
        ? `An admin removed you from this call. You can join it again in ${formatDuration(e.retryAfter)}.`
        : 'An admin removed you from this call, so you cannot join it again just yet.';
    case 'unauthorized':
      return 'Your session has ended. Sign in again to join the call.';
    case 'network':
      return e.message;
    default:
      return `Could not join the call: ${e.message}`;
  }
}

/** What to tell the user when LiveKit itself cannot be used. */
export function connectErrorMessage(e, url) {
  if (e instanceof E2EEStartError) {
    return 'End-to-end encryption could not be started in this browser, so the call was not joined.';
  }
  if (e instanceof ConnectionError) {
    switch (e.reason) {
      case ConnectionErrorReason.NotAllowed:
        return 'The call server (LiveKit) refused the call token, so you could not join. Try joining again; if it keeps happening, tell your administrator.';
      case ConnectionErrorReason.Timeout:
      case ConnectionErrorReason.ServerUnreachable:
      case ConnectionErrorReason.WebSocket:
      case ConnectionErrorReason.InternalError:
        return `The call server (LiveKit${url ? ' at ' + url : ''}) cannot be reached, so you could not join. Check your connection and try again.`;
      case ConnectionErrorReason.Cancelled:
        return 'Joining the call was cancelled.';
      default:
        break;
    }
  }
  return `Could not connect to the call server (LiveKit): ${(e && e.message) || e}`;
}

function deviceErrorMessage(what, e) {
  const name = e && e.name;
  if (name === 'NotAllowedError') return `Permission to use your ${what} was denied. Allow it in the browser to use it in the call.`;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found. Connect one and choose it in the call controls.`;
  if (name === 'NotReadableError') return `Your ${what} is in use by another application.`;
  if (name === 'NotSupportedError' && what === 'screen') return 'This browser cannot share a screen.';
  return `Could not use your ${what}: ${(e && e.message) || e}`;
}

/** livekit-client's key material (HKDF) from a key's standard base64. */
function keyMaterial(b64) {
  return createKeyMaterialFromBuffer(base64ToBuffer(b64));
}

/** Puts a key in its ring slot and encrypts with it from now on. */
async function useKey(provider, material, index) {
  provider.onSetEncryptionKey(material, undefined, index % KEYRING_SIZE);
}

function base64ToBuffer(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}
