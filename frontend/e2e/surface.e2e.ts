// The console surface in Chromium against the real chain: plan and question
// cards, the slash menu, the prompt queue, mid-session mode changes and the
// phone layout. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectedPage, sendPrompt, shot, Stack } from './harness';

describe('the console surface in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await connectedPage(stack);
    // A session in plan mode, chosen in the new-session form.
    await page.getByTestId('cwd').fill(stack.work);
    await page.getByTestId('new-mode').selectOption('plan');
    await page.getByTestId('new-effort').selectOption('high');
    await page.getByTestId('create-session').click();
    await page.getByTestId('session-status').first().filter({ hasText: 'idle' }).waitFor();
  });
  afterAll(() => stack.stop());

  it('shows a plan as a card and approves it into accept-edits', async () => {
    expect(await page.getByTestId('mode').inputValue()).toBe('plan');
    await sendPrompt(page, '[[tool ExitPlanMode: {"plan":"# Tidy the project\\n1. Write **notes.txt**\\n2. Run the tests"}]]');
    const card = page.getByTestId('plan-card').last();
    await card.and(page.locator('[data-state="pending"]')).waitFor();
    expect(await card.getByTestId('plan-text').innerHTML()).toContain('<strong>notes.txt</strong>');
    await shot(page, 'surface-plan-card');
    await card.getByTestId('plan-accept-edits').click();
    await card.and(page.locator('[data-state="allow"]')).waitFor();
    await page.getByTestId('turn-end').last().waitFor();
    await expect.poll(() => page.getByTestId('mode').inputValue(), { timeout: 15_000 }).toBe('acceptEdits');
  });

  it('asks a question as a card and sends the chosen answer to Claude', async () => {
    await sendPrompt(
      page,
      '[[tool AskUserQuestion: {"questions":[{"question":"Which colour should the button be?","header":"Colour","options":[{"label":"Red","description":"warm, loud"},{"label":"Blue","description":"calm"}],"multiSelect":false}]}]]',
    );
    const card = page.getByTestId('question-card').last();
    await card.and(page.locator('[data-state="pending"]')).waitFor();
    await card.getByTestId('question-option').filter({ hasText: 'Blue' }).click();
    await shot(page, 'surface-question-card');
    await card.getByTestId('question-send').click();
    await page.getByTestId('assistant-msg').filter({ hasText: '"Which colour should the button be?"="Blue"' }).waitFor();
    await card.getByTestId('question-answer').filter({ hasText: 'Blue' }).waitFor();
  });

  it('opens the slash menu from the session commands and completes one with the keyboard', async () => {
    const box = page.getByTestId('prompt');
    await box.fill('/');
    const menu = page.getByTestId('slash-menu');
    await menu.waitFor();
    expect(await menu.getByTestId('slash-item').count()).toBeGreaterThan(1);
    await box.pressSequentially('comp');
    await menu.getByTestId('slash-item').filter({ hasText: '/compact' }).first().waitFor();
    await shot(page, 'surface-slash-menu');
    await box.press('Tab');
    expect(await box.inputValue()).toMatch(/^\/compact/);
    await box.press('Escape');
    await box.fill('');
  });

  it('queues a prompt sent while a turn runs and sends it when the turn ends', async () => {
    await sendPrompt(page, '[[long 150 20]]');
    await page.getByTestId('turn-state').waitFor();
    await sendPrompt(page, 'queued while busy');
    const queue = page.getByTestId('queue');
    await queue.getByTestId('queued-item').filter({ hasText: 'queued while busy' }).waitFor();
    await shot(page, 'surface-queue');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: queued while busy' }).waitFor({ timeout: 60_000 });
    await queue.waitFor({ state: 'detached' });
  });

  it('changes the permission mode mid-session from the header', async () => {
    await page.getByTestId('mode').selectOption('default');
    await expect.poll(() => page.getByTestId('session-status').first().textContent(), { timeout: 15_000 }).toContain('idle');
    await page.getByTestId('info-toggle').click();
    const info = page.getByTestId('session-info');
    await info.getByText('Mode', { exact: true }).waitFor();
    await expect.poll(() => info.textContent(), { timeout: 15_000 }).toContain('default');
    expect(await info.textContent()).toContain('konsole');
    await shot(page, 'surface-session-info');
    await page.getByTestId('info-toggle').click();
  });

  it('fits a 390 px phone screen with the sidebar as a drawer', async () => {
    const ctx = await stack.browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const phone = await ctx.newPage();
    await phone.goto(stack.url);
    await phone.getByTestId('conn-state').and(phone.locator('[data-state="connected"]')).waitFor();
    await phone.getByTestId('prompt').waitFor();
    const overflow = await phone.evaluate(() => {
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('[data-testid="new-session"]') && !e.closest('aside'))
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}[${e.getAttribute('data-testid') ?? ''}] ${Math.round(e.getBoundingClientRect().right)}`);
      return { by: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 8) };
    });
    await shot(phone, 'surface-phone');
    expect(overflow, JSON.stringify(overflow.wide)).toMatchObject({ by: 0 });
    expect(await phone.getByTestId('new-session').isVisible()).toBe(true); // in the DOM, moved off screen
    const box = await phone.getByTestId('new-session').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(1);
    await shot(phone, 'surface-phone');
    await phone.getByTestId('drawer-toggle').click();
    await expect.poll(async () => (await phone.getByTestId('new-session').boundingBox())!.x, { timeout: 15_000 }).toBeGreaterThanOrEqual(0);
    await shot(phone, 'surface-phone-drawer');
    await ctx.close();
  });
});
