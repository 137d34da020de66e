// The one duration format people read, on the client as in the server's
// notice texts (chatto/notices.go formatDuration): "42s", "1m 34s",
// "12m 4s", "1h 2m".

/** Formats a number of seconds as "42s", "1m 34s" or "1h 2m". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
