/**
 * Text cuts that count characters (code points), not UTF-16 units: `.slice`
 * on a string can split an emoji's surrogate pair and leave half of it.
 */

/** The first n code points of s (all of s when it has no more). */
export function clip(s: string, n: number): string {
  if (s.length <= n) return s; // never more code points than units
  let end = 0;
  let count = 0;
  for (const c of s) {
    if (count >= n) break;
    end += c.length;
    count++;
  }
  return s.slice(0, end);
}

/** s ending in a full stop (or the ! ? … it ends in already). */
export function fullStop(s: string): string {
  const t = s.trim();
  return !t || /[.!?…]$/.test(t) ? t : t + '.';
}

/** A message as a sentence: a capital first, a full stop last. */
export function sentence(m: string): string {
  const t = fullStop(m);
  return t && t[0].toUpperCase() + t.slice(1);
}
