// The Usage chart's axes: money with its sign, tokens in thousands, and day
// labels short enough to stand level without crowding.

/** A y-axis tick of cost: "$0", "$0.05", "$1.20", "$12". */
export function moneyTick(v: number): string {
  if (v === 0) return '$0';
  if (Math.abs(v) >= 10) return '$' + Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 0.01) return '$' + v.toFixed(2);
  return '$' + v.toPrecision(1);
}

/** A y-axis tick of tokens: "0", "800", "1.5k", "2M". */
export function tokenTick(v: number): string {
  if (Math.abs(v) >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
  if (Math.abs(v) >= 1e3) return +(v / 1e3).toFixed(1) + 'k';
  return String(v);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A day key (YYYY-MM-DD) as "Jul 3"; with the year ("Jul 3 2026") when asked. */
export function dayTick(key: string, withYear = false): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!m) return key;
  const s = `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}`;
  return withYear ? `${s} ${m[1]}` : s;
}

/** How many x labels fit in width px: one per ~64 px, at least 2, at most 12. */
export function xTickLimit(width: number): number {
  return Math.max(2, Math.min(12, Math.floor(width / 64)));
}
