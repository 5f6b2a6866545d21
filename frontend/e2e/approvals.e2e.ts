// Approvals in Chromium against the real chain: a request shows how long it
// has waited and when auto-deny will answer it; "Always allow" lets the next
// call of the tool through; the session's rule is listed and removed, and the
// tool asks again. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newSession, sendPrompt, shot, Stack, startWithSession } from './harness';

describe('approvals in Chromium', () => {
  const stack = new Stack();
  let page: Page;
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${stack.servePort}/api${path}`, {
      method,
      headers: { Authorization: 'Bearer ' + stack.token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('shows how long a request waits and when auto-deny answers it', async () => {
    expect((await api('PUT', '/settings/auto-deny', { minutes: 5 })).status).toBe(200);
    await sendPrompt(page, '[[bash: echo one > one.txt]]');
    const card = page.getByTestId('permission').last();
    await card.and(page.locator('[data-state="pending"]')).waitFor();
    const wait = card.getByTestId('permission-waiting');
    await expect.poll(() => wait.textContent(), { timeout: 15_000 }).toMatch(/^\s*Waiting \d+ s; denied automatically in 4 min \d\d s\s*$/);
    const first = await wait.textContent();
    await expect.poll(() => wait.textContent(), { timeout: 15_000 }).not.toBe(first);
    await shot(page, 'approvals-waiting');
    expect((await api('PUT', '/settings/auto-deny', { minutes: 0 })).status).toBe(200);
  });

  it('always allows a tool for the session, lists the rule and asks again once it is removed', async () => {
    const card = page.getByTestId('permission').last();
    await card.getByTestId('always').click();
    await card.and(page.locator('[data-state="allow"]')).waitFor();
    await card.getByText('Allowed for the rest of the session').waitFor();
    const rule = page.getByTestId('session-rule');
    await rule.filter({ hasText: 'Bash' }).waitFor();
    await page.getByTestId('turn-end').last().waitFor();

    const ends = await page.getByTestId('turn-end').count();
    const cards = await page.getByTestId('permission').count();
    await sendPrompt(page, '[[bash: echo two > two.txt]]');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Tool result (ok): (Bash completed with no output)' }).waitFor();
    await expect.poll(() => page.getByTestId('turn-end').count(), { timeout: 15_000 }).toBe(ends + 1);
    expect(await page.getByTestId('permission').count()).toBe(cards);
    await shot(page, 'approvals-rule');

    await rule.getByRole('button', { name: 'Stop always allowing Bash' }).click();
    await rule.waitFor({ state: 'detached' });
    await sendPrompt(page, '[[bash: echo three > three.txt]]');
    try {
      await page.getByTestId('permission').last().and(page.locator('[data-state="pending"]')).waitFor();
    } finally {
      await shot(page, 'approvals-asked-again');
    }
  });
});
