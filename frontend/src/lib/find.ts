// Pure logic of the Usage view and the search box: ranges, chart series,
// number formats and highlighted snippets (rendered as text, never HTML).

export interface UsageRow {
  key: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  turns: number;
}

export interface SearchHit {
  kind: 'message' | 'kontask';
  sessionId: string;
  messageId?: number;
  kontaskId?: string;
  snippet: string;
  at: string;
  /** The Konsole the hit is on (GET /api/search merges them all). */
  konsoleId?: string;
}

/** The UTC day (YYYY-MM-DD) of a time. */
export function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The range of the last `days` UTC days, today included: [from, to). */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const start = new Date(end.getTime() - days * 86400000);
  return { from: start.toISOString().replace('.000Z', 'Z'), to: end.toISOString().replace('.000Z', 'Z') };
}

/** The query of GET /usage. */
export function usageQuery(from: string, to: string, groupBy: 'day' | 'session'): string {
  return `/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&groupBy=${groupBy}`;
}

/** Every day of [from, to) with its row, days without turns as zeros, for the chart. */
export function fillDays(rows: UsageRow[], from: string, to: string): UsageRow[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out: UsageRow[] = [];
  const end = new Date(to).getTime();
  for (let t = new Date(from).getTime(); t < end && out.length < 2000; t += 86400000) {
    const key = dayOf(new Date(t));
    out.push(byKey.get(key) ?? { key, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, turns: 0 });
  }
  return out;
}

/** The sum of rows. */
export function totalOf(rows: UsageRow[]): UsageRow {
  const t: UsageRow = { key: 'total', costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, turns: 0 };
  for (const r of rows) {
    t.costUsd += r.costUsd;
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    t.cacheWriteTokens += r.cacheWriteTokens;
    t.turns += r.turns;
  }
  return t;
}

/** A token count, short: 950, 12.3k, 4.5M. */
export function tokens(n: number | undefined): string {
  const v = n ?? 0;
  if (v < 1000) return String(v);
  if (v < 1e6) return (v / 1000).toFixed(v < 1e4 ? 1 : 0) + 'k';
  return (v / 1e6).toFixed(1) + 'M';
}

/** A cost in dollars: four decimals under a dollar, two above. */
export function dollars(n: number | undefined): string {
  const v = n ?? 0;
  return '$' + (v < 1 ? v.toFixed(4) : v.toFixed(2));
}

/** How full the context is, 0 to 100 (null when unknown). */
export function contextPercent(used?: number, window?: number): number | null {
  if (!used || !window) return null;
  return Math.min(100, Math.round((used / window) * 100));
}

/** A snippet split into plain text and matched parts (U+0002 ... U+0003). */
export function snippetParts(snippet: string): { text: string; hit: boolean }[] {
  const out: { text: string; hit: boolean }[] = [];
  let hit = false;
  let cur = '';
  for (const ch of snippet) {
    if (ch === '\u0002' || ch === '\u0003') {
      if (cur) out.push({ text: cur, hit });
      cur = '';
      hit = ch === '\u0002';
      continue;
    }
    cur += ch;
  }
  if (cur) out.push({ text: cur, hit });
  return out;
}

/** A file name from a Content-Disposition header, or the fallback. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(disposition ?? '');
  return m ? m[1] : fallback;
}
