// A long session opens at its newest page and fetches older pages as the
// reader scrolls up, with the row at the top of the view kept in place;
// a search hit far back in it is found through the older pages.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { root, shot, Stack } from './harness';

/** Waits until the page has drawn two more frames: what a change scheduled for the next frame has done by then. */
function frames(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

describe('a long session in pages', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    execFileSync(join(root, 'bin', 'konui-seed'), ['--data', stack.data, '--cwd', stack.work, '--title', 'long session', '--messages', '3000']);
    await stack.start();
    page = await stack.page();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
  });
  afterAll(() => stack.stop());

  it('opens at the newest page and keeps the top row steady while an older page arrives', async () => {
    await page.getByTestId('session-item').filter({ hasText: 'long session' }).locator('button.pick').click();
    // The newest question of the seed: 3,000 messages, five per turn.
    await page.getByText('Question 2995:').waitFor();
    expect(await page.getByText('Question 0:').count()).toBe(0);
    // Up to just short of the point that fetches a page, then a little more:
    // the row at the top when the page was asked for stays where it was.
    await page.getByTestId('transcript').evaluate((el) => (el.scrollTop = 700));
    await frames(page); // the rows at that offset are rendered
    const rowsBefore = Number(await page.getByTestId('transcript').getAttribute('data-rows'));
    const before = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="transcript"]') as HTMLElement;
      el.scrollTop = 500;
      const view = el.getBoundingClientRect();
      const rows = [...document.querySelectorAll('.vrow')].map((e) => ({ text: (e.textContent ?? '').trim().slice(0, 60), y: e.getBoundingClientRect().top - view.top }));
      // A prompt's row: its text is unique (turn ends look alike).
      return rows.filter((r) => r.y >= -5 && r.text.startsWith('Question')).sort((a, b) => a.y - b.y)[0];
    });
    expect(before).toBeTruthy();
    // The older page has arrived (more rows) and the view has been put back.
    await expect.poll(async () => Number(await page.getByTestId('transcript').getAttribute('data-rows')), { timeout: 15_000 }).toBeGreaterThan(rowsBefore);
    await frames(page);
    const rows = await page.evaluate(() => {
      const view = document.querySelector('[data-testid="transcript"]')!.getBoundingClientRect();
      return [...document.querySelectorAll('.vrow')].map((e) => ({ text: (e.textContent ?? '').trim().slice(0, 60), y: e.getBoundingClientRect().top - view.top }));
    });
    const same = rows.find((r) => r.text === before.text);
    expect(same, `the row "${before.text}" is still on screen`).toBeTruthy();
    expect(Math.abs(same!.y - before.y)).toBeLessThan(40);
    // The older page is there above it.
    await page.getByTestId('transcript').evaluate((el) => (el.scrollTop -= 500));
    await page.getByText('Question 2695:').waitFor();
    await shot(page, 'paging-older-page');
  });

  it('finds a hit at the very start through the older pages', async () => {
    await page.getByTestId('search').fill('Question 5: what');
    const hit = page.getByTestId('search-hit').filter({ hasText: 'line 5 of' }).first();
    await hit.waitFor();
    await hit.click();
    const focused = page.locator('[data-focused="true"]');
    await focused.waitFor({ timeout: 60000 });
    expect(await focused.textContent()).toContain('Question 5:');
    await shot(page, 'paging-hit-at-start');
  });
});
