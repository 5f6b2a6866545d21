import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newSession, sendPrompt, shot, Stack, startWithSession } from './harness';

describe('the dashboard console in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('sends a prompt and shows the streamed answer with a turn footer', async () => {
    await sendPrompt(page, 'hello from the browser');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: hello from the browser' }).waitFor();
    const end = page.getByTestId('turn-end').last();
    await end.waitFor();
    expect(await end.getAttribute('data-reason')).toBe('completed');
    expect(await end.textContent()).toMatch(/\$\d/);
    await shot(page, 'console-answer');
  });

  it('asks before running Bash, runs it when allowed and shows its output', async () => {
    await sendPrompt(page, '[[bash: echo e2e-allowed > e2e.txt; cat e2e.txt]]');
    const perm = page.getByTestId('permission').last();
    await perm.and(page.locator('[data-state="pending"]')).waitFor();
    await shot(page, 'console-permission');
    await perm.getByTestId('allow').click();
    await page.getByTestId('tool-output').filter({ hasText: 'e2e-allowed' }).waitFor({ state: 'attached' });
    await page.getByTestId('assistant-msg').filter({ hasText: 'Tool result (ok): e2e-allowed' }).waitFor();
    expect(await perm.getAttribute('data-state')).toBe('allow');
    await page.getByTestId('tool-card').last().locator('summary').click();
    await shot(page, 'console-tool-output');
  });

  it('stops a long answer: the UI shows stopping, then the turn ends as interrupted', async () => {
    const before = await page.getByTestId('turn-end').count();
    await sendPrompt(page, '[[long 3000]]');
    await page.getByTestId('assistant-msg').filter({ hasText: 'word5' }).waitFor();
    await shot(page, 'console-streaming');
    const started = Date.now();
    await page.keyboard.press('Escape');
    await page.getByTestId('turn-end').nth(before).waitFor();
    const took = Date.now() - started;
    expect(await page.getByTestId('turn-end').nth(before).getAttribute('data-reason')).toBe('interrupted');
    expect(await page.getByTestId('stop').count()).toBe(0);
    expect(took).toBeLessThan(10000);
    await shot(page, 'console-interrupted');
  });

  it('shows Konsole going down and coming back, and loses no message', async () => {
    const answers = await page.getByTestId('assistant-msg').count();
    await stack.killKonsole();
    await page.locator('[data-testid="konsole-state"]:not([data-state="connected"])').waitFor();
    await shot(page, 'console-konsole-down');
    await stack.startKonsole();
    await page.locator('[data-testid="konsole-state"][data-state="connected"]').waitFor({ timeout: 30000 });
    await sendPrompt(page, 'after the restart');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: after the restart' }).waitFor();
    expect(await page.getByTestId('assistant-msg').count()).toBe(answers + 1);
    // A reload rebuilds the same transcript from Konsole.
    await page.reload();
    await page.getByTestId('session-item').first().locator('button.pick').click();
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: after the restart' }).waitFor();
    for (const t of ['Echo: hello from the browser', 'Tool result (ok): e2e-allowed']) {
      await page.getByTestId('assistant-msg').filter({ hasText: t }).waitFor();
    }
    await shot(page, 'console-after-restart');
  });
});
