// The console's frame in Chromium against the real chain (issue 27): a
// session head that stays one row whatever the state, Stop where Send is,
// the model as a list of what the CLI reports with a marker line when the
// model or mode changes, attached images that never cover the transcript,
// and the phone width (prompt box, head, drawer). Screenshots land in
// test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { pasteImages, png, sendPrompt, shot, Stack, startWithSession } from './harness';

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function box(page: Page, id: string): Promise<Box> {
  const b = await page.getByTestId(id).first().boundingBox();
  if (!b) throw new Error(`${id} is not on screen`);
  return b;
}

/** The tops of the head's visible children: one value when they sit in one row. */
async function headRows(page: Page): Promise<number> {
  return page.getByTestId('session-head').evaluate((h) => {
    const tops = new Set<number>();
    for (const c of h.querySelectorAll<HTMLElement>('button, select, input, h2, [data-testid="session-totals"]')) {
      const r = c.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top + r.height / 2));
    }
    // Controls of different heights share a row when their middles agree within a few px.
    const mids = [...tops].sort((a, b) => a - b);
    let rows = mids.length ? 1 : 0;
    for (let i = 1; i < mids.length; i++) if (mids[i] - mids[i - 1] > 6) rows++;
    return rows;
  });
}

describe('the console frame in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
    await sendPrompt(page, 'a first answer [[usage 12000 500 1000 0]]');
    await page.getByTestId('turn-end').last().waitFor();
  });
  afterAll(() => stack.stop());

  it('keeps the session head one row of one height whether idle, working or with Changes open; Stop takes Send’s place', async () => {
    const idle = await box(page, 'session-head');
    expect(await headRows(page)).toBe(1);
    expect(await page.getByTestId('session-head').getByText('Export', { exact: true }).count()).toBe(0);
    expect(await page.getByTestId('session-head').getByText('JSON', { exact: true }).count()).toBe(0);

    await sendPrompt(page, '[[long 3000]]');
    await page.getByTestId('assistant-msg').filter({ hasText: 'word5' }).waitFor();
    await page.getByTestId('stop').waitFor();
    expect(await page.getByTestId('send').count(), 'Send gives way to Stop').toBe(0);
    const stop = await box(page, 'stop');
    const prompt = await box(page, 'prompt-box');
    expect(overlaps(stop, prompt), 'Stop sits in the prompt box').toBe(true);
    const working = await box(page, 'session-head');
    expect(await headRows(page)).toBe(1);
    await page.getByTestId('changes-toggle').click();
    await page.getByTestId('changes-panel').waitFor();
    const withChanges = await box(page, 'session-head');
    expect(await headRows(page)).toBe(1);
    await shot(page, 'craft-head-working');
    for (const b of [working, withChanges]) expect(b.height).toBe(idle.height);
    expect(idle.height).toBeLessThanOrEqual(48);

    // Esc still stops, from anywhere; Send comes back.
    await page.getByTestId('transcript').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('turn-end').and(page.locator('[data-reason="interrupted"]')).last().waitFor();
    await page.getByTestId('send').waitFor();
    expect(await page.getByTestId('stop').count()).toBe(0);
    expect((await box(page, 'session-head')).height).toBe(idle.height);
    await page.getByTestId('changes-toggle').click();
  });

  it('keeps export and archive in the session menu, reachable by keyboard', async () => {
    await page.getByTestId('session-menu').focus();
    await page.keyboard.press('Enter');
    const md = page.getByRole('menuitem', { name: 'Download as Markdown' });
    await md.waitFor();
    await expect.poll(() => md.evaluate((e) => e === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('menuitem', { name: 'Download as JSON' }).evaluate((e) => e === document.activeElement)).toBe(true);
    expect(await page.getByTestId('session-totals-menu').textContent()).toMatch(/^\$0\.\d{4} · 13k in · \d+ out/);
    await shot(page, 'craft-session-menu');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await page.getByTestId('session-menu').evaluate((e) => e === document.activeElement)).toBe(true);
  });

  it('offers the models the CLI reports as a list and marks a model or mode change in the transcript', async () => {
    const model = page.getByTestId('model');
    expect(await model.evaluate((e) => e.tagName)).toBe('SELECT');
    await expect.poll(() => model.locator('option').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    const options = await model.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const current = await model.inputValue();
    const next = options.find((v) => v && v !== current && !v.startsWith('\u0000'))!;
    expect(next, JSON.stringify(options)).toBeTruthy();
    await model.selectOption(next);
    await page.getByTestId('change-marker').filter({ hasText: `Model changed to ${next}` }).waitFor();
    await expect.poll(() => model.inputValue()).toBe(next);

    await page.getByTestId('mode').selectOption('plan');
    await page.getByTestId('change-marker').filter({ hasText: 'Mode changed to Plan first' }).waitFor();
    await page.getByTestId('mode').selectOption('default');
    await page.getByTestId('change-marker').filter({ hasText: 'Mode changed to Ask before tools' }).waitFor();

    // "Other model…" gives a focused field for a name; Escape goes back to the list.
    await model.selectOption({ label: 'Other model…' });
    const input = page.getByTestId('model-input');
    await input.waitFor();
    expect(await input.evaluate((e) => e === document.activeElement)).toBe(true);
    await shot(page, 'craft-model-marker');
    await input.press('Escape');
    await page.getByTestId('model').waitFor();
  });

  it('puts attached images in the prompt box, not over the transcript’s last lines', async () => {
    await pasteImages(page, [png(40, 30, [220, 40, 40]), png(30, 40, [40, 120, 220])]);
    await expect.poll(() => page.getByTestId('attachment').count()).toBe(2);
    const thumbs = await box(page, 'attachments');
    const view = await box(page, 'transcript');
    expect(overlaps(thumbs, view), `thumbnails ${JSON.stringify(thumbs)} cover the transcript ${JSON.stringify(view)}`).toBe(false);
    // The newest line is still in view above them.
    const last = await page.getByTestId('turn-end').last().boundingBox();
    expect(last!.y + last!.height).toBeLessThanOrEqual(view.y + view.height + 1);
    await shot(page, 'craft-attachments');
    while (await page.getByTestId('remove-attachment').count()) await page.getByTestId('remove-attachment').first().click();
  });

  it('draws Usage with dollars on the y axis and level dates that do not crowd, and its table uncut on a phone', async () => {
    await page.getByTestId('usage-tab').click();
    const chart = page.getByTestId('usage-chart');
    await page.getByTestId('usage-row').first().waitFor();
    await expect.poll(() => chart.getAttribute('data-y-ticks')).toBeTruthy();
    const y: string[] = JSON.parse((await chart.getAttribute('data-y-ticks'))!);
    expect(y.length).toBeGreaterThan(1);
    for (const t of y) expect(t).toMatch(/^\$\d/);
    // 30 days in a chart about 500 px wide: a label per week or so, each "Mon D".
    const x: string[] = JSON.parse((await chart.getAttribute('data-x-ticks'))!);
    const width = (await chart.boundingBox())!.width;
    expect(x.length).toBeLessThanOrEqual(Math.floor(width / 64));
    for (const t of x) expect(t).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
    await shot(page, 'craft-usage');

    await page.setViewportSize({ width: 390, height: 844 });
    const table = await box(page, 'usage-table');
    const frame = await page.getByTestId('usage-table').evaluate((t) => {
      const r = t.parentElement!.getBoundingClientRect();
      return { right: r.right, scrolls: t.parentElement!.scrollWidth > t.parentElement!.clientWidth };
    });
    expect(frame.right).toBeLessThanOrEqual(390);
    // Wider than the screen, the table scrolls inside its frame instead of being cut off the page.
    if (table.width > frame.right) expect(frame.scrolls).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'craft-usage-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Console', exact: true }).click();
  });

  it('fits a 390 px phone: a full-width prompt with a short placeholder, one head row, a drawer with a backdrop and a close button', async () => {
    const ctx = await stack.browser!.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const phone = await ctx.newPage();
    await phone.goto(stack.url);
    await phone.getByTestId('conn-state').and(phone.locator('[data-state="connected"]')).waitFor();
    await phone.getByTestId('session-head').waitFor();
    const prompt = await box(phone, 'prompt-box');
    expect(prompt.width).toBeGreaterThanOrEqual(390 - 2 * 12);
    const placeholder = (await phone.getByTestId('prompt').getAttribute('placeholder')) ?? '';
    expect(placeholder.length).toBeLessThanOrEqual(32);
    const lines = await phone.getByTestId('prompt').evaluate((e) => e.scrollHeight / parseFloat(getComputedStyle(e).lineHeight));
    expect(lines).toBeLessThan(3);
    expect(await headRows(phone)).toBe(1);
    // Nothing wider than the screen, outside the drawer.
    const wide = await phone.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('aside'))
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}[${e.getAttribute('data-testid') ?? ''}]`),
    );
    expect(wide).toEqual([]);
    // The head's stats are not cut: where they do not fit they are in the menu, whole.
    await phone.getByTestId('session-menu').click();
    expect(await phone.getByTestId('session-totals-menu').textContent()).toMatch(/^\$0\.\d{4} · 13k in · \d+ out/);
    await shot(phone, 'craft-phone-menu');
    await phone.keyboard.press('Escape');
    await shot(phone, 'craft-phone');

    // The drawer: a backdrop behind it, a close button in it, Escape closes it.
    const drawer = phone.getByTestId('drawer');
    await phone.getByTestId('drawer-toggle').click();
    await expect.poll(async () => (await drawer.boundingBox())!.x).toBeGreaterThanOrEqual(0);
    const scrim = await box(phone, 'drawer-backdrop');
    expect(scrim.width).toBe(390);
    expect(await phone.getByTestId('drawer-close').isVisible()).toBe(true);
    await shot(phone, 'craft-phone-drawer');
    await phone.getByTestId('drawer-close').click();
    await expect.poll(async () => (await drawer.boundingBox())!.x + (await drawer.boundingBox())!.width).toBeLessThanOrEqual(1);
    expect(await phone.getByTestId('drawer-toggle').evaluate((e) => e === document.activeElement)).toBe(true);
    await phone.getByTestId('drawer-toggle').click();
    await expect.poll(async () => (await drawer.boundingBox())!.x).toBeGreaterThanOrEqual(0);
    await phone.keyboard.press('Escape');
    await expect.poll(async () => (await drawer.boundingBox())!.x + (await drawer.boundingBox())!.width).toBeLessThanOrEqual(1);
    await phone.getByTestId('drawer-toggle').click();
    await phone.getByTestId('drawer-backdrop').click({ position: { x: 380, y: 400 } });
    await expect.poll(async () => (await drawer.boundingBox())!.x + (await drawer.boundingBox())!.width).toBeLessThanOrEqual(1);
    await ctx.close();
  });
});
