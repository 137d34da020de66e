// A person's avatar colour: a steady hue from their user id, dark enough
// that white initials on it keep at least 3:1 contrast (large text). Reds
// are left out, so an avatar never reads as an alarm or a Decline button.

/** The avatar background colour of a user. */
export function userColour(userId) {
  let h = 0;
  for (const c of String(userId || '')) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return `hsl(${30 + (h % 300)} 55% 32%)`;
}
