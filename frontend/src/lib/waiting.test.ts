import { describe, expect, it } from 'vitest';
import { autoDenyIn, waited } from './waiting';

describe('waited', () => {
  const at = '2026-12-01T10:00:00.000Z';
  const t = Date.parse(at);
  it('counts seconds, minutes and hours', () => {
    expect(waited(at, t + 12_400)).toBe('12 s');
    expect(waited(at, t + 185_000)).toBe('3 min 05 s');
    expect(waited(at, t + 3_720_000)).toBe('1 h 02 min');
  });
  it('says nothing without a time, and never counts below zero', () => {
    expect(waited(undefined, t)).toBe('');
    expect(waited('not a time', t)).toBe('');
    expect(waited(at, t - 5000)).toBe('0 s');
  });
  it('counts down to the auto-deny', () => {
    expect(autoDenyIn('2026-12-01T10:05:00.000Z', t + 50_000)).toBe('denied automatically in 4 min 10 s');
    expect(autoDenyIn('2026-12-01T10:05:00.000Z', t + 400_000)).toBe('being denied automatically');
    expect(autoDenyIn(undefined, t)).toBe('');
  });
});
