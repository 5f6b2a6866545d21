import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { newSession, sendPrompt, shot, Stack } from './harness';

const kontask = {
  title: 'WebSocket Implementation Status Report',
  description: 'Comprehensive audit of the WebSocket migration',
  output:
    '<div style="background:#1e1e1e;color:#e0e0e0;padding:20px"><h2 id="hello">Status: one gap</h2>' +
    '<p>Stop did not stop Claude.</p>' +
    '<script>parent.__pwned = "script"; window.top.__pwned = "script"</script>' +
    '<img src="x" onerror="parent.__pwned = \'onerror\'"></div>',
  choices: [
    { label: 'Fix stop turn', value: 'Implement the stop turn functionality now', primary: true },
    { label: 'Show file details', value: 'Show me console-websocket.ts' },
  ],
  scope: 'vibetools',
  tags: ['websocket', 'console'],
};

describe('kontasks in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await stack.page();
    await page.locator('[data-testid="conn-state"][data-state="connected"]').waitFor();
    await newSession(page, stack);
  });
  afterAll(() => stack.stop());

  it('arrives as a toast and in the list with an unread count', async () => {
    await sendPrompt(page, `[[kontask: ${JSON.stringify(kontask)}]]`);
    const toast = page.getByTestId('toast').filter({ hasText: kontask.title });
    await toast.waitFor();
    await page.getByTestId('turn-end').last().waitFor();
    expect(await page.getByTestId('kontasks-tab').textContent()).toContain('1');
    // It covers neither the session's head (Changes) nor the prompt box.
    const t = (await toast.boundingBox())!;
    for (const id of ['changes-toggle', 'send', 'prompt']) {
      const b = (await page.getByTestId(id).boundingBox())!;
      const overlap = t.x < b.x + b.width && b.x < t.x + t.width && t.y < b.y + b.height && b.y < t.y + t.height;
      expect(overlap, `the toast covers ${id}`).toBe(false);
    }
    await shot(page, 'kontask-toast');
    await page.getByTestId('kontasks-tab').click();
    await page.getByTestId('kontask-item').filter({ hasText: kontask.title }).waitFor();
    await shot(page, 'kontask-list');
  });

  it('opens in the detail view with its output sandboxed: no script runs', async () => {
    await page.getByTestId('kontask-item').filter({ hasText: kontask.title }).click();
    await page.getByTestId('kontask-detail').waitFor();
    const frame = page.frameLocator('[data-testid="kontask-output"]');
    await frame.locator('#hello').waitFor();
    expect(await frame.locator('#hello').textContent()).toBe('Status: one gap');
    // Once its document has loaded, its script would have run and the
    // broken image's onerror fired (the error comes before the load event).
    await expect.poll(() => frame.locator('#hello').evaluate((e) => e.ownerDocument.readyState), { timeout: 15_000 }).toBe('complete');
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    const sandbox = await page.getByTestId('kontask-output').getAttribute('sandbox');
    expect(sandbox).not.toContain('allow-scripts');
    const height = await page.getByTestId('kontask-output').evaluate((el) => el.getBoundingClientRect().height);
    expect(height).toBeGreaterThan(60);
    await shot(page, 'kontask-detail');
    // Opening it marked it read.
    await page.locator('[data-testid="kontasks-tab"]:not(:has(.badge))').waitFor();
  });

  it('shows the whole output of a kontask longer than the events carry', async () => {
    // Events carry 4 KiB of a kontask's output; the dashboard reads the rest
    // over REST (docs/protocol.md, kontask.created).
    const long = {
      title: 'Long report',
      output: '<div>' + '<p>filler line of the long report</p>'.repeat(300) + '<p id="tail">the very end</p></div>',
    };
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    await sendPrompt(page, `[[kontask: ${JSON.stringify(long)}]]`);
    await page.getByTestId('toast').filter({ hasText: long.title }).waitFor();
    await page.getByTestId('kontasks-tab').click();
    const back = page.getByRole('button', { name: /Back to Kontasks/ });
    await back.click();
    await page.getByTestId('kontask-item').filter({ hasText: long.title }).click();
    const frame = page.frameLocator('[data-testid="kontask-output"]');
    await frame.locator('#tail').waitFor();
    expect(await frame.locator('#tail').textContent()).toBe('the very end');
    // A change of the kontask comes as an event with the preview again: the
    // card keeps the whole output it has.
    const api = `http://127.0.0.1:${stack.servePort}/api/kontasks`;
    const auth = { Authorization: 'Bearer ' + stack.token, 'Content-Type': 'application/json' };
    const list = await (await fetch(api + '?limit=50', { headers: auth })).json();
    const id = list.kontasks.find((k: any) => k.title === long.title).id;
    const patched = await fetch(`${api}/${id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ status: 'completed' }) });
    expect(patched.status).toBe(200);
    await page.getByTestId('kontask-detail').getByText('completed', { exact: true }).waitFor();
    await frame.locator('#tail').waitFor({ timeout: 5000 });
    await shot(page, 'kontask-long-detail');
    // Back to the first kontask, whose choices the next test uses.
    await back.click();
    await page.getByTestId('kontask-item').filter({ hasText: kontask.title }).click();
    await page.getByTestId('kontask-detail').waitFor();
  });

  it('sends a choice as the next prompt of its session', async () => {
    await page.getByTestId('choice').filter({ hasText: 'Fix stop turn' }).click();
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: Implement the stop turn functionality now' }).waitFor();
    expect((await page.getByTestId('user-msg').last().locator('pre').textContent())?.trim()).toBe('Implement the stop turn functionality now');
    await shot(page, 'kontask-choice-sent');
  });
});
