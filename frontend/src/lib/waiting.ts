// How long a permission request has waited, for its card.

/** "12 s", "3 min 05 s", "1 h 02 min": the time from since to now. */
export function waited(since: string | undefined, now: number): string {
  if (!since) return '';
  const t = Date.parse(since);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** "denied automatically in 4 min 10 s" until the deadline, else "". */
export function autoDenyIn(at: string | undefined, now: number): string {
  if (!at) return '';
  const t = Date.parse(at);
  if (Number.isNaN(t)) return '';
  const left = waited(new Date(now).toISOString(), t);
  return t > now ? `denied automatically in ${left}` : 'being denied automatically';
}
