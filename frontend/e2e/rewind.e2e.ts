// Rewind in Chromium against the real konui serve, Konsole and CLI (issue
// 28): "Rewind to here..." previews what a rewind to a prompt changes and
// applies nothing until confirmed; the rewind removes the file the turn
// after it made, puts the "Rewound to here" divider before the prompt and
// dims the turns it dropped; "Edit and resend" puts a prompt's text back in
// the prompt box.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { sendPrompt, shot, Stack, startWithSession } from './harness';

describe('rewind in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  async function bashTurn(cmd: string, file: string) {
    const ends = await page.getByTestId('turn-end').count();
    await sendPrompt(page, `[[bash: ${cmd}]]`);
    const perm = page.getByTestId('permission').last();
    await perm.and(page.locator('[data-state="pending"]')).waitFor();
    await perm.getByTestId('allow').click();
    await page.getByTestId('turn-end').nth(ends).waitFor();
    expect(existsSync(join(stack.work, file))).toBe(true);
  }

  it('previews a rewind, applies it only when confirmed, and shows the divider', async () => {
    await bashTurn('echo one > one.txt', 'one.txt');
    await bashTurn('echo two > two.txt', 'two.txt');
    const second = page.getByTestId('user-msg').filter({ hasText: 'echo two > two.txt' });
    await second.hover();
    await second.getByTestId('rewind').click();
    const dialog = page.getByTestId('rewind-dialog');
    await dialog.waitFor();
    const file = dialog.getByTestId('rewind-file');
    await file.filter({ hasText: 'two.txt' }).waitFor();
    expect(await file.count()).toBe(1);
    expect(await file.first().getAttribute('data-status')).toBe('added');
    expect(await file.first().textContent()).toContain('removed');
    expect(await dialog.getByTestId('rewind-dropped').textContent()).toContain('1 turn leaves');
    await shot(page, 'rewind-preview');
    // The preview changed nothing.
    expect(existsSync(join(stack.work, 'two.txt'))).toBe(true);

    await dialog.getByTestId('rewind-confirm').click();
    await dialog.waitFor({ state: 'detached' });
    const divider = page.getByTestId('rewind-divider');
    await divider.waitFor();
    expect(await divider.getAttribute('data-conversation')).toBe('true');
    expect(existsSync(join(stack.work, 'two.txt'))).toBe(false);
    expect(readFileSync(join(stack.work, 'one.txt'), 'utf8')).toBe('one\n');
    // The rewound turn stays, dimmed; the first is not.
    const rewound = page.locator('[data-kind="user"][data-rewound="true"]');
    await rewound.filter({ hasText: 'echo two > two.txt' }).waitFor();
    expect(await page.locator('[data-kind="user"][data-rewound="true"]').filter({ hasText: 'echo one > one.txt' }).count()).toBe(0);
    await shot(page, 'rewind-divider');

    // The next prompt goes on from before the rewound one.
    const ends = await page.getByTestId('turn-end').count();
    await sendPrompt(page, 'after the rewind');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: after the rewind' }).waitFor();
    await page.getByTestId('turn-end').nth(ends).waitFor();
  });

  it('shows the dialog on a narrow screen, and Cancel applies nothing', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    const first = page.getByTestId('user-msg').filter({ hasText: 'echo one > one.txt' });
    await first.scrollIntoViewIfNeeded();
    await first.getByTestId('rewind').click();
    const dialog = page.getByTestId('rewind-dialog');
    await dialog.getByTestId('rewind-dropped').waitFor();
    const box = await dialog.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await shot(page, 'rewind-preview-narrow');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(existsSync(join(stack.work, 'one.txt'))).toBe(true);
    expect(await page.getByTestId('rewind-divider').count()).toBe(1);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('Edit and resend puts the prompt back in the box with the conversation before it', async () => {
    const first = page.getByTestId('user-msg').filter({ hasText: 'echo one > one.txt' });
    await first.hover();
    await first.getByTestId('edit-resend').click();
    const box = page.getByTestId('prompt');
    await expect.poll(() => box.inputValue(), { timeout: 20000 }).toBe('[[bash: echo one > one.txt]]');
    await page.getByTestId('rewind-divider').filter({ hasText: 'conversation only' }).waitFor();
    await shot(page, 'rewind-edit-resend');
  });
});
