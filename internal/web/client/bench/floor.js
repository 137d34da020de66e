// The floor of the browser join benchmark: a plain livekit-client page
// that connects to a LiveKit room with a token it is handed, E2EE on with
// the shared key it is handed, publishes its microphone and camera as the
// product's page does in a video call, and reports how long it took until
// the first remote video frame was decoded. Not part of the product;
// built by scripts/web.sh into internal/web/browsertest/testdata/floor.
import { ExternalE2EEKeyProvider, Room, RoomEvent, Track } from 'livekit-client';

let room = null;

function keyBuffer(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/** Resolves with performance.now() once video has a decoded frame. */
export function firstFrame(video) {
  return new Promise((resolve) => {
    const check = () => {
      if (video.getVideoPlaybackQuality().totalVideoFrames > 0) resolve(performance.now());
      else setTimeout(check, 2);
    };
    check();
  });
}

/** Connects and returns the milliseconds to the first decoded remote frame. */
window.floorJoin = async (url, token, keyB64) => {
  const t0 = performance.now();
  const keyProvider = new ExternalE2EEKeyProvider();
  const worker = new Worker(new URL('livekit-client.e2ee.worker.mjs', location.href), { type: 'module' });
  room = new Room({ encryption: { keyProvider, worker } });
  room.once(RoomEvent.Disconnected, () => worker.terminate());
  await keyProvider.setKey(keyBuffer(keyB64));
  await room.setE2EEEnabled(true);
  const frame = new Promise((resolve) => {
    room.on(RoomEvent.TrackSubscribed, (track) => {
      if (track.kind !== Track.Kind.Video) return;
      const video = track.attach();
      video.muted = true;
      document.body.append(video);
      firstFrame(video).then(resolve);
    });
  });
  await room.connect(url, token, { autoSubscribe: true });
  await Promise.all([room.localParticipant.setMicrophoneEnabled(true), room.localParticipant.setCameraEnabled(true)]);
  return (await frame) - t0;
};

window.floorLeave = async () => {
  if (room) await room.disconnect(true);
  room = null;
  document.querySelectorAll('video').forEach((v) => v.remove());
};
