// This tab's device id, sent as device_id to join, token and leave.

/**
 * deviceId is random per tab and survives reloads (sessionStorage), so a
 * reload rejoins as the same LiveKit participant. A duplicated tab copies
 * sessionStorage; the tabs notice over a BroadcastChannel and the newer
 * one picks a fresh id, so two tabs never fight over one identity.
 *
 * @param {() => boolean} inCall  whether this tab is in a call (then it keeps its id)
 * @param {(id: string) => void} renewed  told the fresh id when it changes
 */
export function deviceId(inCall, renewed) {
  let id = sessionStorage.getItem('chatto.device');
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) id = newDeviceId();
  sessionStorage.setItem('chatto.device', id);
  let current = id;
  const renew = () => {
    current = newDeviceId();
    sessionStorage.setItem('chatto.device', current);
    renewed(current);
  };
  if (typeof BroadcastChannel !== 'undefined') {
    const ch = new BroadcastChannel('chatto.device');
    const born = Date.now();
    ch.onmessage = (e) => {
      const m = e.data || {};
      if (m.id !== current) return;
      if (m.hello && m.born > born) ch.postMessage({ id: m.id, taken: true });
      else if (m.hello && m.born <= born && !inCall()) renew();
      else if (m.taken && !inCall()) renew();
    };
    ch.postMessage({ id, hello: true, born });
  }
  return id;
}

function newDeviceId() {
  const b = crypto.getRandomValues(new Uint8Array(9));
  return 'tab-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
