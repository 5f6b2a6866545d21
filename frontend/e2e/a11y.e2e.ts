// Accessibility in Chromium against the real chain: axe (the axe-core
// engine, @axe-core/playwright) on every screen and state of the tour in
// both themes finds no serious or critical violation; every control of
// the console can be reached with Tab and worked with the keyboard; "?"
// opens the sheet of shortcuts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { artifacts, connectedPage, newSession, sendPrompt, setTheme, settled, Stack } from './harness';
import { tour, WIDTHS, type Width } from './tour';

interface Found {
  where: string;
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

/**
 * The serious and critical violations axe finds on the page as it is: every
 * rule, or only those a theme changes (colour contrast) when the page was
 * just checked in the other theme.
 */
async function audit(page: Page, where: string, contrastOnly = false): Promise<Found[]> {
  // The kontask's output is the agent's HTML in a sandboxed frame that runs
  // no script, so axe cannot enter it (it would wait for the frame); its
  // contrast is checked in Chromium by its own test.
  const b = new AxeBuilder({ page }).exclude('iframe[sandbox]');
  const r = await (contrastOnly ? b.withRules(['color-contrast']) : b.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ where, rule: v.id, impact: v.impact!, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`) }));
}

describe('accessibility of every screen in both themes', () => {
  const stack = new Stack();
  afterAll(() => stack.stop());

  it('has no serious or critical axe violation anywhere', async () => {
    await stack.start();
    const found: Found[] = [];
    let stops = 0;
    const log = join(artifacts, 'a11y-progress.txt');
    writeFileSync(log, '');
    await tour(stack, async (page, stop) => {
      stops++;
      // Every stop at desk width; the phone where it has a state of its own (the drawer).
      for (const width of stop.widths ?? (['desk'] as Width[])) {
        await page.setViewportSize(WIDTHS[width]);
        await stop.prepare?.(page, width);
        for (const theme of ['dark', 'light'] as const) {
          await setTheme(page, theme);
          await settled(page);
          const t = Date.now();
          const got = await audit(page, `${stop.name} ${theme} ${WIDTHS[width].width}`, theme === 'light');
          found.push(...got);
          appendFileSync(log, `${stop.name} ${theme} ${width}: ${got.length} in ${Date.now() - t} ms\n${got.map((f) => `  ${f.rule}: ${f.nodes.join(' | ')}\n`).join('')}`);
        }
      }
      await page.setViewportSize(WIDTHS.desk);
      await setTheme(page, 'dark');
    });
    writeFileSync(join(artifacts, 'a11y-violations.json'), JSON.stringify(found, null, 2));
    expect(stops).toBeGreaterThanOrEqual(25);
    expect(found, JSON.stringify(found, null, 2).slice(0, 6000)).toEqual([]);
  }, 1_500_000);
});

describe('the console by keyboard', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await connectedPage(stack);
    await newSession(page, stack);
    await sendPrompt(page, 'hello [[usage 1000 100 0 0]]');
    await page.getByTestId('turn-end').last().waitFor();
  });
  afterAll(() => stack.stop());

  it('reaches every visible control with Tab', async () => {
    // Each visible, enabled control gets a mark; Tab goes round the page and collects them.
    const total = await page.evaluate(() => {
      const all = [...document.querySelectorAll<HTMLElement>('button, a[href], input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"]), summary')].filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && !(e as HTMLButtonElement).disabled && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[inert]');
      });
      all.forEach((e, i) => (e.dataset.kbd = String(i)));
      return all.length;
    });
    expect(total).toBeGreaterThan(15);
    await page.locator('body').focus();
    const seen = new Set<string>();
    for (let i = 0; i < total * 2 + 10; i++) {
      await page.keyboard.press('Tab');
      const k = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.kbd ?? '');
      if (k) seen.add(k);
      if (seen.size === total) break;
    }
    const missed = await page.evaluate(
      (seen) =>
        [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
          .filter((e) => !seen.includes(e.dataset.kbd!))
          .map((e) => `${e.tagName.toLowerCase()}[${e.getAttribute('data-testid') ?? e.getAttribute('aria-label') ?? e.textContent?.trim().slice(0, 30)}]`),
      [...seen],
    );
    expect(missed).toEqual([]);
  });

  it('works the session head and its menu, the shortcuts sheet and Stop from the keyboard', async () => {
    // The mode list by keys alone.
    await page.getByTestId('mode').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.getByTestId('mode').inputValue(), { timeout: 15_000 }).toBe('acceptEdits');
    await page.getByTestId('change-marker').filter({ hasText: 'Accept edits' }).waitFor();

    // "?" opens the sheet from anywhere but a field; Escape closes it and gives the focus back.
    await page.getByTestId('session-menu').focus();
    await page.keyboard.press('?');
    const sheet = page.getByTestId('shortcuts');
    await sheet.waitFor();
    expect(await sheet.getByText('Switch to another session').count()).toBe(1);
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('session-menu').evaluate((e) => e === document.activeElement)).toBe(true);
    // Typed in the prompt, "?" is a character.
    await page.getByTestId('prompt').focus();
    await page.keyboard.type('why?');
    expect(await page.getByTestId('prompt').inputValue()).toBe('why?');
    expect(await sheet.isVisible()).toBe(false);
    await page.getByTestId('prompt').fill('');

    // Stop by Tab and Enter, while a turn runs.
    await sendPrompt(page, '[[long 3000]]');
    await page.getByTestId('stop').waitFor();
    await page.getByTestId('prompt').focus();
    let onStop = false;
    for (let i = 0; i < 8 && !onStop; i++) {
      await page.keyboard.press('Tab');
      onStop = await page.getByTestId('stop').evaluate((e) => e === document.activeElement);
    }
    expect(onStop).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('turn-end').and(page.locator('[data-reason="interrupted"]')).last().waitFor();
  });
});
