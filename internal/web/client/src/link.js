// Watches whether this device's connection to the call still carries
// anything, so the page can say "Reconnecting…" within a couple of
// seconds instead of waiting for livekit-client to notice.
//
// livekit-client only reconnects once the signal WebSocket closes, its
// ping goes unanswered for the server's ping timeout (15 s by default),
// or a peer connection reaches ICE 'failed' (tens of seconds after the
// last packet): a page that lost its network kept saying "Connected"
// over frozen video meanwhile. Two quicker signals:
//  - the browser's own 'offline' event (the network interface went away);
//  - the media path: LiveKit's SFU keeps sending to each of our peer
//    connections while media flows (RTP from the people we subscribe to,
//    RTCP reports and congestion feedback for what we publish), so a
//    transport that was receiving steadily and then receives nothing for
//    STALL_MS is cut off, whatever the signal connection says.
// A transport that carries no steady traffic (alone in a call, nothing
// published) is never judged; livekit-client's own detection covers it.

const SAMPLE_MS = 400;
const STALL_MS = 800;
// Samples in a row with traffic before a transport counts as steady.
const STEADY_SAMPLES = 4;

export class LinkWatch {
  /**
   * @param {import('livekit-client').Room} room
   * @param {(down: string) => void} onChange  '' when the link carries
   *   traffic, 'offline' or 'media' when it does not
   */
  constructor(room, onChange) {
    this.room = room;
    this.onChange = onChange;
    this.down = '';
    this.offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    // per transport: {bytes, at (last growth), steady (samples in a row with growth)}
    this.seen = new Map();
    this.mediaStalled = false;
    this.sampling = false;
    this.samples = 0;
    this.slowest = 0;
    this.onOffline = () => {
      this.offline = true;
      this.#update();
    };
    this.onOnline = () => {
      this.offline = false;
      this.#update();
    };
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    this.timer = setInterval(() => this.#sample(), SAMPLE_MS);
    this.#update();
  }

  stop() {
    clearInterval(this.timer);
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
  }

  /**
   * Forgets what it learnt about the transports: after livekit-client
   * reconnected (a resume or new peer connections), traffic must be
   * steady again before a silence counts.
   */
  reset() {
    this.seen.clear();
    this.mediaStalled = false;
    this.#update();
  }

  /** What it saw of each transport, for tests and debugging. */
  snapshot() {
    const now = performance.now();
    const out = { down: this.down, samples: this.samples, slowestSampleMs: Math.round(this.slowest) };
    for (const [name, v] of this.seen) out[name] = { bytes: v.bytes, steady: v.steady, silentMs: Math.round(now - v.at) };
    return out;
  }

  async #sample() {
    if (this.sampling) return;
    this.sampling = true;
    const started = performance.now();
    try {
      const pcm = this.room.engine && this.room.engine.pcManager;
      const now = performance.now();
      let stalled = false;
      if (!this.#expectsTraffic()) {
        // Nothing need flow (everyone muted, a listener alone, videos
        // paused by a hidden tab): silence proves nothing, and traffic
        // must be steady again before a silence counts.
        for (const v of this.seen.values()) v.steady = 0;
      }
      for (const [name, transport] of [['publisher', pcm && pcm.publisher], ['subscriber', pcm && pcm.subscriber]]) {
        // getStats is undefined before the peer connection exists.
        const report = transport && (await transport.getStats());
        if (!report) continue;
        let bytes = 0;
        report.forEach((s) => {
          if (s.type === 'transport' && s.bytesReceived) bytes += s.bytesReceived;
        });
        const prev = this.seen.get(name);
        if (!prev || bytes < prev.bytes) {
          this.seen.set(name, { bytes, at: now, steady: 0, quiet: false, stalled: false });
          continue;
        }
        if (bytes > prev.bytes) {
          // Counts samples with traffic in a row. A quiet sample before
          // the transport proved steady, or a stall, starts the count
          // afresh; a sample that merely came late (a busy page) does not.
          const restart = prev.stalled || (prev.quiet && prev.steady < STEADY_SAMPLES);
          this.seen.set(name, { bytes, at: now, steady: restart ? 1 : prev.steady + 1, quiet: false, stalled: false });
        } else {
          prev.quiet = true;
          prev.stalled = prev.steady >= STEADY_SAMPLES && now - prev.at >= STALL_MS;
          if (prev.stalled) stalled = true;
        }
      }
      if (stalled !== this.mediaStalled) {
        this.mediaStalled = stalled;
        this.#update();
      }
    } catch {
      // A closing peer connection; the next sample or LiveKit's events tell.
    } finally {
      this.samples++;
      this.slowest = Math.max(this.slowest, performance.now() - started);
      this.sampling = false;
    }
  }

  /**
   * Whether the SFU must be sending to this page right now: feedback for
   * a track it publishes unmuted, or media of an unmuted remote audio
   * track, or of a remote video the SFU is not pausing, that it
   * subscribes to. Muted tracks are not forwarded at all.
   */
  #expectsTraffic() {
    const local = this.room.localParticipant;
    if (local) {
      for (const pub of local.trackPublications.values()) if (pub.track && !pub.isMuted) return true;
    }
    for (const p of this.room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) {
        if (!pub.isSubscribed || pub.isMuted || !pub.track) continue;
        if (pub.kind === 'audio' || pub.track.streamState === 'active') return true;
      }
    }
    return false;
  }

  #update() {
    const down = this.offline ? 'offline' : this.mediaStalled ? 'media' : '';
    if (down === this.down) return;
    this.down = down;
    this.onChange(down);
  }
}
