// A person's avatar colour: a steady hue from their user id, dark enough
// that white initials on it keep at least 3:1 contrast (large text). Reds
// are left out, so an avatar never reads as an alarm or a Decline button.
// Tiles use the same hue (stage shades of it), so a person has one colour.

/** The avatar hue of a user (30–329: no reds). */
export function userHue(userId) {
  let h = 0;
  for (const c of String(userId || '')) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return 30 + (h % 300);
}

/** The avatar background colour of a user. */
export function userColour(userId) {
  return `hsl(${userHue(userId)} 55% 32%)`;
}
