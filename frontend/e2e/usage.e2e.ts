// The Usage view and search in Chromium against the real chain: turns with
// token counts of the test's choosing (the fake API's [[usage]] command),
// their totals in the turn footer, the session header and the Usage chart
// and table; a search hit opening its session at the message; the
// Archived filter. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newSession, sendPrompt, shot, Stack, startWithSession } from './harness';

describe('usage and search in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('shows each turn tokens, the session totals and the context meter', async () => {
    await sendPrompt(page, 'the first question about <b>capybaras</b> [[usage 1200 300 4000 500]]');
    await page.getByTestId('turn-end').nth(0).waitFor();
    await sendPrompt(page, 'a second one [[usage 800 200 6000 0]]');
    await page.getByTestId('turn-end').nth(1).waitFor();
    // 1,200 + 4,000 + 500 in, 300 out; then 800 + 6,000 in, 200 out.
    await expect.poll(() => page.getByTestId('turn-tokens').nth(0).textContent(), { timeout: 15_000 }).toBe('5.7k in · 300 out');
    await expect.poll(() => page.getByTestId('turn-tokens').nth(1).textContent(), { timeout: 15_000 }).toBe('6.8k in · 200 out');
    await expect.poll(async () => ((await page.getByTestId('session-totals').textContent()) ?? '').trim(), { timeout: 15_000 }).toMatch(/^\$0\.\d{4} · 13k in · 500 out$/);
    const meter = page.getByTestId('context-meter');
    await meter.waitFor();
    expect(Number(await meter.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(0);
    // The last request: 800 + 6,000 + 0 in, and its output so far.
    const [, used, window] = /^Context: (\d+) of (\d+) tokens$/.exec((await meter.getAttribute('title')) ?? '') ?? [];
    expect(Number(used)).toBeGreaterThanOrEqual(6800);
    expect(Number(used)).toBeLessThanOrEqual(7000);
    expect(Number(window)).toBeGreaterThan(7000);
    await shot(page, 'usage-turn-footer');
  });

  it('draws the Usage chart beside a table with exact totals', async () => {
    await page.getByTestId('usage-tab').click();
    const row = page.getByTestId('usage-row');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    const cells = await row.first().locator('td').allTextContents();
    expect(cells.slice(2)).toEqual(['2', '2.0k', '500', '10k', '500']);
    // 2,000 + 10,000 + 500 input tokens with the cache, 500 out.
    expect((await page.getByTestId('usage-total').locator('dd').allTextContents()).slice(1)).toEqual(['2', '13k', '500']);
    // The canvas has been drawn on (Chart.js): some pixel is not blank.
    const drawn = await page.getByTestId('usage-chart').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(drawn).toBeGreaterThan(500);
    await shot(page, 'usage-by-day');
    await page.getByTestId('usage-group').selectOption('session');
    await page.getByTestId('usage-measure').selectOption('tokens');
    await page.getByTestId('usage-row').first().locator('button').waitFor();
    expect(await page.getByTestId('usage-row').count()).toBe(1);
    await shot(page, 'usage-by-session-tokens');
  });

  it('finds words with highlighted snippets and opens the session at the hit', async () => {
    // Enough turns that the first one is off screen.
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    for (let i = 0; i < 12; i++) {
      await sendPrompt(page, `filler turn ${i} ` + 'lorem ipsum '.repeat(30));
      await page.getByTestId('assistant-msg').filter({ hasText: `filler turn ${i} ` }).waitFor();
      await expect.poll(() => page.getByTestId('turn-state').count(), { timeout: 15_000 }).toBe(0);
    }
    await page.getByTestId('usage-tab').click();
    const box = page.getByTestId('search');
    await box.fill('capyb');
    const hit = page.getByTestId('search-hit').first();
    await hit.waitFor();
    expect(await hit.locator('mark').first().textContent()).toMatch(/^capybaras$/i);
    // Markup in the stored text is shown as text, never as markup.
    expect(await page.getByTestId('search-hits').locator('b').count()).toBe(0);
    expect(await hit.textContent()).toContain('<b>capybaras</b>');
    await shot(page, 'search-hits');
    await hit.click();
    const focused = page.locator('[data-focused="true"]');
    await focused.waitFor();
    await expect.poll(async () => (await focused.textContent()) ?? '', { timeout: 15_000 }).toContain('capybaras');
    const box2 = await focused.boundingBox();
    const view = await page.getByTestId('transcript').boundingBox();
    expect(box2 && view && box2.y >= view.y && box2.y < view.y + view.height).toBe(true);
    await shot(page, 'search-opened-at-hit');
  });

  it('archives a session behind the Archived filter, where search still finds it', async () => {
    await page.getByTestId('session-menu').click();
    await page.getByTestId('archive').click();
    await expect.poll(() => page.getByTestId('session-item').count(), { timeout: 15_000 }).toBe(0);
    await page.getByTestId('archived-filter').click();
    await expect.poll(() => page.getByTestId('session-item').count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('button', { name: 'Sessions', exact: true }).click();
    await page.getByTestId('search').fill('capybaras');
    await page.getByTestId('search-hit').first().click();
    await expect.poll(() => page.getByTestId('archived-filter').getAttribute('aria-pressed'), { timeout: 15_000 }).toBe('true');
    await shot(page, 'archived-found-by-search');
  });
});
