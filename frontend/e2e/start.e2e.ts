// The start screen (issue 27, item 6 and "Start like the best"): the window
// opens on a folder picker and a prompt box with the model and mode beside
// it; the first Send starts the session; "+ New session" in the sidebar
// opens the same; the sidebar is for sessions. Also item 12's "Choose the
// folder..." that must go once a folder is chosen, and "Archived(1)".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectedPage, shot, Stack } from './harness';

async function setTheme(page: Page, theme: 'dark' | 'light') {
  const now = await page.evaluate(() => document.documentElement.dataset.theme ?? 'dark');
  if (now !== theme) await page.getByRole('button', { name: 'Switch theme' }).click();
  await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
}

describe('the start screen, in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await connectedPage(stack);
  });
  afterAll(() => stack.stop());

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const r = await fetch(`http://127.0.0.1:${stack.servePort}/api${path}`, {
      method,
      headers: { Authorization: 'Bearer ' + stack.token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r.status === 204 ? null : r.json();
  }

  it('opens on the start screen: a folder, the prompt box with model and mode beside it; the sidebar holds no form', async () => {
    const start = page.getByTestId('start-screen');
    await start.waitFor();
    for (const id of ['cwd', 'start-prompt', 'new-model', 'new-mode', 'create-session']) await start.getByTestId(id).waitFor();
    expect(await page.getByText('No session selected').count()).toBe(0);
    expect(await page.locator('aside input, aside select, aside textarea').count()).toBe(0);
    await page.locator('aside').getByTestId('new-session').waitFor();
    // The prompt box is in the middle of the main area, the model and mode on its row.
    const main = (await page.locator('main').boundingBox())!;
    const box = (await start.getByTestId('start-prompt').boundingBox())!;
    expect(Math.abs(box.x + box.width / 2 - (main.x + main.width / 2))).toBeLessThan(40);
    const modeBox = (await start.getByTestId('new-mode').boundingBox())!;
    expect(modeBox.y).toBeGreaterThan(box.y + box.height - 2);
    expect(modeBox.y).toBeLessThan(box.y + box.height + 40);
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      await shot(page, `start-empty-${theme}`);
    }
    await setTheme(page, 'dark');
  });

  it('says once what is missing, and the sentence goes as soon as a folder is given', async () => {
    const err = page.locator('#cwd-err');
    await page.getByTestId('create-session').click();
    await err.filter({ hasText: 'Choose the folder the agent should work in' }).waitFor();
    await page.getByTestId('cwd').fill(stack.work);
    await expect.poll(() => err.textContent(), { timeout: 5000 }).toBe('');
    expect(await page.getByText('Choose the folder').count()).toBe(0);
  });

  it('starts the session with the first Send, in the mode chosen beside the prompt', async () => {
    await page.getByTestId('new-mode').selectOption('acceptEdits');
    const box = page.getByTestId('start-prompt');
    await box.fill('hello from the start screen');
    expect(await page.getByTestId('create-session').textContent()).toBe('Start and send');
    await box.press('Enter');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: hello from the start screen' }).waitFor({ timeout: 60_000 });
    expect((await page.getByTestId('user-msg').first().locator('pre').textContent())?.trim()).toBe('hello from the start screen');
    expect(await page.getByTestId('start-screen').count()).toBe(0);
    expect(await page.getByTestId('mode').inputValue()).toBe('acceptEdits');
    expect(await page.getByTestId('session-item').count()).toBe(1);
  });

  it('opens the same screen from "+ New session" with the folder just used one click away, and goes back', async () => {
    await page.getByTestId('new-session').click();
    const start = page.getByTestId('start-screen');
    await start.waitFor();
    const chip = start.getByTestId('recent-folder').filter({ hasText: 'work' });
    await chip.waitFor();
    await chip.click();
    expect(await page.getByTestId('cwd').inputValue()).toBe(stack.work);
    // The folder's last mode comes with it.
    expect(await page.getByTestId('new-mode').inputValue()).toBe('acceptEdits');
    await start.getByTestId('start-cancel').click();
    await page.getByTestId('transcript').waitFor();
  });

  it('keeps every session in sight in the sidebar: three sessions at 1280x800', async () => {
    for (const title of ['second', 'third']) {
      await page.getByTestId('new-session').click();
      await page.getByTestId('cwd').fill(stack.work);
      await page.getByLabel('Title').fill(title);
      await page.getByTestId('new-worktree').uncheck();
      await page.getByTestId('create-session').click();
      await page.locator('.head h2').filter({ hasText: title }).waitFor();
    }
    await expect.poll(() => page.getByTestId('session-item').count()).toBe(3);
    for (const item of await page.getByTestId('session-item').all()) {
      const b = (await item.boundingBox())!;
      expect(b.y + b.height).toBeLessThanOrEqual(800);
    }
    await shot(page, 'start-three-sessions');
  });

  it('shows the archived count as a badge apart from the word, not "Archived(1)"', async () => {
    const sid = (await api('GET', '/sessions')).sessions.find((s: any) => s.title === 'second').id;
    await api('PATCH', `/sessions/${sid}`, { archived: true });
    const filter = page.getByTestId('archived-filter');
    await filter.getByTestId('archived-count').filter({ hasText: '1' }).waitFor();
    const gap = await filter.evaluate((b) => {
      const word = document.createRange();
      word.selectNodeContents(b.firstChild!);
      return b.querySelector('[data-testid="archived-count"]')!.getBoundingClientRect().left - word.getBoundingClientRect().right;
    });
    expect(gap).toBeGreaterThanOrEqual(5);
    expect(await filter.textContent()).not.toContain('(');
  });

  it('fits a phone: the start screen at 390 px in both themes, the drawer with "+ New session"', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('drawer-toggle').click();
    await page.getByTestId('new-session').click();
    const start = page.getByTestId('start-screen');
    await start.waitFor();
    const by = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(by).toBe(0);
    const box = (await start.getByTestId('start-prompt').boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      await shot(page, `start-phone-${theme}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await setTheme(page, 'dark');
  });
});
