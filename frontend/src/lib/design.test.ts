// The design system's colour roles, read from app.css itself: every text
// role stays readable (WCAG AA, 4.5:1) on every surface, in both themes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contrast } from './design-contrast';

const css = readFileSync(join(import.meta.dirname, '..', 'app.css'), 'utf8');

/** The custom properties of the rule whose selector list contains sel. */
function theme(sel: string): Record<string, string> {
  const rule = new RegExp(`(?:^|\\n)([^{}]*\\[data-theme='${sel}'\\][^{}]*)\\{([^}]*)\\}`).exec(css);
  if (!rule) throw new Error(`no ${sel} theme in app.css`);
  const vars: Record<string, string> = {};
  for (const m of rule[2].matchAll(/--([a-z0-9-]+):\s*([^;]+);/g)) vars[m[1]] = m[2].trim();
  return vars;
}

const TEXT = ['fg', 'fg2', 'fg3', 'accent-text', 'ok-text', 'warn-text', 'bad-text'];
const SURFACES = ['bg', 'bg2', 'bg3'];

describe('the design system', () => {
  for (const name of ['dark', 'light']) {
    const t = theme(name);
    it(`defines the same roles in the ${name} theme as in the other`, () => {
      const other = theme(name === 'dark' ? 'light' : 'dark');
      expect(Object.keys(t).sort()).toEqual(Object.keys(other).sort());
    });
    for (const fg of TEXT) {
      it(`keeps --${fg} at 4.5:1 or more on every surface in the ${name} theme`, () => {
        for (const bg of SURFACES) {
          const ratio = contrast(t[fg], t[bg]);
          expect(ratio, `--${fg} ${t[fg]} on --${bg} ${t[bg]}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
        }
      });
    }
    it(`keeps the tinted notices readable in the ${name} theme`, () => {
      for (const tone of ['ok', 'warn', 'bad', 'accent']) {
        for (const fg of ['fg', `${tone}-text`]) {
          const ratio = contrast(t[fg], t[`${tone}-bg`]);
          expect(ratio, `--${fg} on --${tone}-bg: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(4.5);
        }
      }
    });
    it(`keeps the primary button's text readable in the ${name} theme`, () => {
      expect(contrast(t['accent-fg'], t.accent)).toBeGreaterThanOrEqual(4.5);
    });
    it(`keeps a user's bubble and code blocks readable in the ${name} theme`, () => {
      for (const bg of ['user-bg', 'code-bg']) for (const fg of ['fg', 'fg2']) expect(contrast(t[fg], t[bg]), `--${fg} on --${bg}`).toBeGreaterThanOrEqual(4.5);
    });
  }
});

describe('contrast', () => {
  it('is 21 for black on white and 1 for a colour on itself', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#6cb6ff', '#6cb6ff')).toBeCloseTo(1, 5);
  });
  it('blends translucent text over its background', () => {
    expect(contrast('rgb(0 0 0 / 0%)', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrast('#00000080', '#ffffff')).toBeLessThan(contrast('#000000', '#ffffff'));
  });
});
