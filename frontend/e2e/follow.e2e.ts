// The transcript follows its newest message while the reader is at the
// end, stays where the reader is while they read older text (a "new
// messages" control offers the way down), and goes to the end when they
// send a prompt. In Chromium against the real chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sendPrompt, shot, Stack, startWithSession } from './harness';

/** How far the transcript's view is from its end, in px. */
function distanceFromEnd(page: Page): Promise<number> {
  return page.getByTestId('transcript').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
}

/** Sends a prompt and waits for its turn to end. */
async function turn(page: Page, text: string, answer: string): Promise<void> {
  await sendPrompt(page, text);
  await page.getByTestId('assistant-msg').filter({ hasText: answer }).waitFor();
  await expect.poll(() => page.getByTestId('turn-state').count(), { timeout: 15_000 }).toBe(0);
}

/** The reader scrolls the transcript up with the mouse wheel. */
async function wheelUp(page: Page): Promise<void> {
  const box = (await page.getByTestId('transcript').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -900);
  await expect.poll(() => distanceFromEnd(page), { timeout: 15_000 }).toBeGreaterThan(200);
}

describe('the transcript follows its end in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('keeps following when a scroll event it did not make comes before it caught up', async () => {
    // A scroll event that is no reader's (the list's corrections as rows
    // are measured, the browser's) can come at any time; on a busy machine
    // one came while the newest rows had grown the list and the view had
    // not yet been moved to them, and the transcript took it for the reader
    // leaving the end: it stopped following, and rows past the rendered
    // range never appeared (usage.e2e.ts's "filler turn 8" not visible).
    // Here such an event comes on every growth of the list of more than
    // 100 px, before the view follows it.
    await page.getByTestId('transcript').evaluate((el) => {
      new MutationObserver(() => {
        if (el.scrollHeight - el.scrollTop - el.clientHeight > 100) el.dispatchEvent(new Event('scroll'));
      }).observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    for (let i = 0; i < 8; i++) {
      await turn(page, `follow turn ${i} ` + 'lorem ipsum '.repeat(30), `Echo: follow turn ${i} `);
      await expect.poll(() => distanceFromEnd(page), { timeout: 15_000 }).toBeLessThan(2);
    }
    expect(await page.getByTestId('transcript').getAttribute('data-following')).toBe('true');
    await shot(page, 'follow-at-the-end');
  });

  it('shows a new-messages control for output that comes while the reader is up the page, without moving it', async () => {
    // A long answer, streamed a word every 100 ms: the reader scrolls up
    // once it has begun.
    await sendPrompt(page, 'stream a long one [[long 60 100]]');
    await page.getByTestId('turn-state').waitFor();
    await page.getByTestId('assistant-msg').last().waitFor();
    await wheelUp(page);
    const control = page.getByTestId('new-messages');
    await control.waitFor();
    await expect.poll(() => page.getByTestId('turn-state').count(), { timeout: 30_000 }).toBe(0);
    // The answer's end came while the reader was up: the view stayed there.
    expect(await distanceFromEnd(page)).toBeGreaterThan(200);
    expect(await page.getByTestId('transcript').getAttribute('data-following')).toBe('false');
    await shot(page, 'follow-new-messages-control');
    await control.click();
    await expect.poll(() => distanceFromEnd(page), { timeout: 15_000 }).toBeLessThan(2);
    expect(await control.count()).toBe(0);
    expect(await page.getByTestId('transcript').getAttribute('data-following')).toBe('true');
  });

  it('goes to the end when the reader sends a prompt from up the page', async () => {
    await wheelUp(page);
    await turn(page, 'sent while reading older text', 'Echo: sent while reading older text');
    await expect.poll(() => distanceFromEnd(page), { timeout: 15_000 }).toBeLessThan(2);
    const answer = page.getByTestId('assistant-msg').filter({ hasText: 'Echo: sent while reading older text' });
    const box = await answer.boundingBox();
    const view = await page.getByTestId('transcript').boundingBox();
    expect(box && view && box.y >= view.y && box.y + box.height <= view.y + view.height + 1).toBe(true);
    expect(await page.getByTestId('new-messages').count()).toBe(0);
  });
});
