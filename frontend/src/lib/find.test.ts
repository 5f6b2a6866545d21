import { describe, expect, it } from 'vitest';
import { contextPercent, dollars, fileNameOf, fillDays, lastDays, snippetParts, tokens, totalOf, usageQuery } from './find';

describe('usage', () => {
  it('takes the last days up to the end of today, UTC', () => {
    expect(lastDays(7, new Date('2026-12-01T22:10:00Z'))).toEqual({ from: '2026-11-25T00:00:00Z', to: '2026-12-02T00:00:00Z' });
    expect(usageQuery('2026-11-25T00:00:00Z', '2026-12-02T00:00:00Z', 'day')).toBe('/usage?from=2026-11-25T00%3A00%3A00Z&to=2026-12-02T00%3A00%3A00Z&groupBy=day');
  });
  it('fills the days without turns with zeros and sums the rows', () => {
    const rows = [
      { key: '2026-11-26', costUsd: 0.5, inputTokens: 10, outputTokens: 2, cacheReadTokens: 1, cacheWriteTokens: 0, turns: 1 },
      { key: '2026-11-28', costUsd: 1.25, inputTokens: 5, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 4, turns: 2 },
    ];
    const days = fillDays(rows, '2026-11-25T00:00:00Z', '2026-11-29T00:00:00Z');
    expect(days.map((d) => d.key)).toEqual(['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28']);
    expect(days[0].costUsd).toBe(0);
    expect(days[3].turns).toBe(2);
    expect(totalOf(rows)).toMatchObject({ costUsd: 1.75, inputTokens: 15, outputTokens: 5, cacheReadTokens: 1, cacheWriteTokens: 4, turns: 3 });
  });
  it('formats tokens, dollars and the context meter', () => {
    expect([tokens(950), tokens(12345), tokens(4_500_000), tokens(undefined)]).toEqual(['950', '12k', '4.5M', '0']);
    expect(tokens(1234)).toBe('1.2k');
    expect([dollars(0.0123), dollars(12.5)]).toEqual(['$0.0123', '$12.50']);
    expect(contextPercent(50_000, 200_000)).toBe(25);
    expect(contextPercent(0, 200_000)).toBeNull();
    expect(contextPercent(300_000, 200_000)).toBe(100);
  });
});

describe('search', () => {
  it('splits a snippet into text and hits, keeping markup as text', () => {
    expect(snippetParts('a \u0002zebra\u0003 <b>and</b> \u0002zeb\u0003…')).toEqual([
      { text: 'a ', hit: false },
      { text: 'zebra', hit: true },
      { text: ' <b>and</b> ', hit: false },
      { text: 'zeb', hit: true },
      { text: '…', hit: false },
    ]);
    expect(snippetParts('')).toEqual([]);
  });
  it('takes the file name of an export', () => {
    expect(fileNameOf('attachment; filename="Wombat-1234abcd.md"', 'x.md')).toBe('Wombat-1234abcd.md');
    expect(fileNameOf(null, 'x.md')).toBe('x.md');
  });
});
