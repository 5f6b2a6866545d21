// Images, forks and the CLI's own history in Chromium against the real
// chain: an image pasted and another dropped into the prompt box, one
// removed, the rest sent and shown (and enlarged) in the transcript; a fork
// from the first prompt that goes on alone; the History view listing a
// conversation the CLI wrote, read and continued. Screenshots land in
// test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { newSession, png, sendPrompt, shot, Stack, startWithSession } from './harness';

// Dispatches a paste (on the prompt) or a drop (on the prompt box) of PNG files.
async function giveImages(page: Page, how: 'paste' | 'drop', images: string[]): Promise<void> {
  await page.evaluate(
    ({ how, images }) => {
      const dt = new DataTransfer();
      images.forEach((b64, i) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], `shot-${how}-${i}.png`, { type: 'image/png' }));
      });
      if (how === 'paste') {
        document.querySelector('[data-testid="prompt"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      } else {
        const box = document.querySelector('[data-testid="prompt-box"]')!;
        box.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        box.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    },
    { how, images },
  );
}

describe('images, forks and the CLI history in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('sends a pasted and a dropped image, shows them and enlarges one', async () => {
    await sendPrompt(page, 'a first prompt for the history');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: a first prompt for the history' }).waitFor();
    await page.getByTestId('turn-end').last().waitFor();

    await giveImages(page, 'paste', [png(40, 30, [220, 40, 40])]);
    await giveImages(page, 'drop', [png(30, 40, [40, 80, 220]), png(20, 20, [40, 200, 80])]);
    await expect.poll(() => page.getByTestId('attachment').count(), { timeout: 15_000 }).toBe(3);
    await page.getByTestId('remove-attachment').nth(2).click();
    await expect.poll(() => page.getByTestId('attachment').count(), { timeout: 15_000 }).toBe(2);
    await page.getByTestId('prompt').fill('what is in these images');
    await shot(page, 'history-attachments');
    await page.getByTestId('send').click();
    // The CLI follows the images with a note of where it kept each, which the fake echoes.
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: [Image: source:' }).waitFor();
    await expect.poll(() => page.getByTestId('attachment').count(), { timeout: 15_000 }).toBe(0);
    const msg = page.getByTestId('user-msg').filter({ hasText: 'what is in these images' });
    await expect.poll(() => msg.getByTestId('msg-image').count(), { timeout: 15_000 }).toBe(2);
    await msg.getByTestId('msg-image').first().click();
    await page.getByTestId('lightbox').waitFor();
    await shot(page, 'history-image-enlarged');
    await page.getByTestId('lightbox').click();
    await page.getByTestId('lightbox').waitFor({ state: 'detached' });

    // After a reload the stored prompt still shows its images.
    await page.reload();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
    await expect.poll(() => page.getByTestId('user-msg').filter({ hasText: 'what is in these images' }).getByTestId('msg-image').count(), { timeout: 15_000 }).toBe(2);
  });

  it('forks from the first prompt into a session that goes on alone', async () => {
    await page.getByTestId('turn-end').last().waitFor();
    const sessions = await page.getByTestId('session-status').count();
    await page.getByTestId('user-msg').filter({ hasText: 'a first prompt for the history' }).getByTestId('fork').click();
    await expect.poll(() => page.getByTestId('session-status').count(), { timeout: 15_000 }).toBe(sessions + 1);
    await page.getByTestId('user-msg').filter({ hasText: 'a first prompt for the history' }).waitFor();
    expect(await page.getByTestId('user-msg').filter({ hasText: 'what is in these images' }).count()).toBe(0);
    await sendPrompt(page, 'only in the fork');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: only in the fork' }).waitFor();
    await shot(page, 'history-fork');
  });

  it('lists the CLI conversations by folder, reads one and continues it', async () => {
    // A conversation the CLI wrote, under a new id: as if typed in a terminal.
    const projects = join(stack.home, '.claude', 'projects');
    const folder = join(projects, readdirSync(projects)[0]);
    // The first session's own conversation (the one with the images).
    const src = readdirSync(folder).find((f) => f.endsWith('.jsonl') && readFileSync(join(folder, f), 'utf8').includes('what is in these images'))!;
    const oldId = src.replace('.jsonl', '');
    const newId = '11111111-2222-4333-8444-555555555555';
    copyFileSync(join(folder, src), join(folder, newId + '.jsonl'));
    writeFileSync(join(folder, newId + '.jsonl'), readFileSync(join(folder, newId + '.jsonl'), 'utf8').replaceAll(oldId, newId));

    await page.getByTestId('history-tab').click();
    await page.getByTestId('history-folder').filter({ hasText: stack.work }).first().waitFor();
    await expect.poll(() => page.getByTestId('history-item').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await shot(page, 'history-list');
    await page.getByTestId('history-item').filter({ hasText: 'a first prompt for the history' }).first().waitFor();
    const sessions = await page.getByTestId('session-status').count();
    // Open the copy (no session continues it yet) and continue it.
    await page.locator(`[data-testid="history-item"][data-id="${newId}"]`).click();
    await page.getByTestId('history-messages').getByText('what is in these images').first().waitFor();
    await page.getByTestId('history-continue').click();
    await expect.poll(() => page.getByTestId('session-status').count(), { timeout: 15_000 }).toBe(sessions + 1);
    await page.getByTestId('user-msg').filter({ hasText: 'a first prompt for the history' }).waitFor();
    // Its prompt's images came with it.
    await expect.poll(() => page.getByTestId('user-msg').filter({ hasText: 'what is in these images' }).getByTestId('msg-image').count(), { timeout: 15_000 }).toBe(2);
    await sendPrompt(page, 'continued from the terminal');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: continued from the terminal' }).waitFor();
    await shot(page, 'history-continued');
  });
});
