import { describe, expect, it } from 'vitest';
import { clip, fullStop, sentence } from './text';

describe('clip', () => {
  it('keeps the first n code points and never half of an emoji', () => {
    expect(clip('hello', 10)).toBe('hello');
    expect(clip('hello', 3)).toBe('hel');
    expect(clip('a😀b😀c', 2)).toBe('a😀');
    expect(clip('😀😀😀', 2)).toBe('😀😀');
    expect(clip('😀', 0)).toBe('');
    expect(clip('', 3)).toBe('');
  });

  it('leaves no lone surrogate at any cut', () => {
    const s = 'é😀日x'.repeat(30);
    for (let n = 0; n <= 130; n++) {
      const got = clip(s, n);
      expect(s.startsWith(got)).toBe(true);
      expect([...got].length).toBe(Math.min(n, 120));
      expect(/[\uD800-\uDBFF]$/.test(got)).toBe(false);
    }
  });
});

describe('fullStop and sentence', () => {
  it('end a message with one full stop, never two', () => {
    expect(fullStop('the CLI exited')).toBe('the CLI exited.');
    expect(fullStop('set its path in Settings if it is somewhere else. ')).toBe('set its path in Settings if it is somewhere else.');
    expect(fullStop('why?')).toBe('why?');
    expect(fullStop('')).toBe('');
    expect(sentence('failed to reach it')).toBe('Failed to reach it.');
    expect(sentence('   ')).toBe('');
  });
});
