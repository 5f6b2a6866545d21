import { describe, expect, it } from 'vitest';
import { dayTick, moneyTick, tokenTick, xTickLimit } from './chart-axes';

describe('the Usage chart axes', () => {
  it('puts the dollar sign on every cost tick', () => {
    expect([0, 0.005, 0.05, 1.2, 12.4, 1500].map(moneyTick)).toEqual(['$0', '$0.005', '$0.05', '$1.20', '$12', '$1,500']);
  });
  it('writes tokens in thousands and millions', () => {
    expect([0, 800, 1500, 2_000_000].map(tokenTick)).toEqual(['0', '800', '1.5k', '2M']);
  });
  it('names a day by month and day, with the year when asked', () => {
    expect(dayTick('2026-07-03')).toBe('Jul 3');
    expect(dayTick('2026-12-25', true)).toBe('Dec 25 2026');
    expect(dayTick('a-session-id')).toBe('a-session-id');
  });
  it('gives the x axis as many labels as its width holds, no more', () => {
    expect(xTickLimit(300)).toBe(4);
    expect(xTickLimit(2000)).toBe(12);
    expect(xTickLimit(50)).toBe(2);
  });
});
