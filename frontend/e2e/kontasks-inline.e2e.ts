// Kontasks where the agent delivered them (issue 27, items 1 and 8): a card
// in the transcript with its title, summary and choices, opening the full
// view, whose agent-written output follows the app's theme and reads at
// 4.5:1 or better in both themes, whatever colours the agent chose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sendPrompt, shot, Stack, startWithSession } from './harness';

const report = {
  title: 'Release check',
  description: 'Three of four checks pass; the changelog is missing.',
  output:
    '<h2 id="plain">Checks</h2><p id="p1">Text with no colour of its own.</p>' +
    // The case: a white panel that sets no text colour.
    '<div style="background:#ffffff;padding:12px;border-radius:8px"><p id="onwhite">On a white panel</p></div>' +
    // A dark panel with light text: readable as the agent wrote it.
    '<div style="background:#1e1e1e;color:#e0e0e0;padding:12px"><p id="ondark">On a dark panel</p></div>' +
    '<p><span id="grey" style="color:#777">Grey small print</span> and <a id="link" href="#x">a link</a></p>' +
    '<table><tr><th>Check</th><td id="cell" style="color:#eee">Changelog missing</td></tr></table>',
  choices: [
    { label: 'Write the changelog', value: 'Write the changelog entry now', primary: true },
    { label: 'Ship anyway', value: 'Ship it as it is' },
  ],
};

/** Sets the theme as the header's switch does, and waits until the page shows it. */
async function setTheme(page: Page, theme: 'dark' | 'light') {
  const now = await page.evaluate(() => document.documentElement.dataset.theme ?? 'dark');
  if (now !== theme) await page.getByRole('button', { name: 'Switch theme' }).click();
  await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
}

/**
 * The lowest contrast of any text in the kontask's output, measured in the
 * frame as Chromium drew it: each text element's colour against its own and
 * its ancestors' backgrounds, over the frame element's background.
 */
async function lowestContrast(page: Page): Promise<{ ratio: number; where: string }> {
  const base = await page.getByTestId('kontask-output').evaluate((f) => getComputedStyle(f).backgroundColor);
  return page.frameLocator('[data-testid="kontask-output"]').locator('body').evaluate((body, base) => {
    const parse = (c: string): number[] => {
      const m = c.match(/[\d.]+/g)!.map(Number);
      return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
    };
    const over = (t: number[], b: number[]) => [0, 1, 2].map((i) => t[i] * t[3] + b[i] * (1 - t[3])).concat(1);
    const lum = (c: number[]) =>
      [0, 1, 2]
        .map((i) => c[i] / 255)
        .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a: number[], b: number[]) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const view = body.ownerDocument.defaultView!;
    let low = { ratio: 21, where: '' };
    for (const el of [body, ...body.querySelectorAll('*')]) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim())) continue;
      const layers: number[][] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = parse(view.getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let bg = parse(base);
      if (bg[3] < 1) bg = over(bg, [255, 255, 255, 1]);
      for (const l of layers.reverse()) bg = over(l, bg);
      const r = ratio(over(parse(view.getComputedStyle(el).color), bg), bg);
      if (r < low.ratio) low = { ratio: r, where: `${el.tagName}#${el.id}` };
    }
    return low;
  }, base);
}

describe('kontasks in the transcript, in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    page = await startWithSession(stack);
  });
  afterAll(() => stack.stop());

  it('shows a delivered kontask as a card where the agent delivered it, with its choices', async () => {
    await sendPrompt(page, `Report please [[kontask: ${JSON.stringify(report)}]]`);
    const card = page.getByTestId('kontask-card');
    await card.getByTestId('kontask-card-open').waitFor();
    await page.getByTestId('turn-end').last().waitFor();
    expect(await card.locator('h3').textContent()).toBe(report.title);
    expect(await card.textContent()).toContain(report.description);
    expect(await card.getByTestId('kontask-card-choice').allTextContents()).toEqual(report.choices.map((c) => c.label));
    // In its place: after the prompt that asked for it, before the turn's end.
    const at = async (loc: ReturnType<Page['locator']>) => Number(await loc.locator('xpath=ancestor::div[contains(@class,"vrow")]').getAttribute('data-index'));
    const prompt = await at(page.getByTestId('user-msg').filter({ hasText: 'Report please' }));
    const end = await at(page.getByTestId('turn-end').last());
    const here = await at(card);
    expect(here).toBeGreaterThan(prompt);
    expect(here).toBeLessThan(end);
    // The tool's internal name is nowhere in the transcript.
    expect(await page.getByTestId('transcript').textContent()).not.toContain('kontask_create');
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      await shot(page, `kontask-card-${theme}`);
    }
    await setTheme(page, 'dark');
  });

  it('opens the full view from the card, its output readable in the dark and the light theme', async () => {
    await page.getByTestId('kontask-card').getByTestId('kontask-card-open').click();
    await page.getByTestId('kontask-detail').waitFor();
    const output = page.getByTestId('kontask-output');
    for (const theme of ['dark', 'light', 'dark'] as const) {
      await setTheme(page, theme);
      await output.and(page.locator(`[data-contrast="${theme}"]`)).waitFor();
      const low = await lowestContrast(page);
      expect(low.ratio, `lowest contrast in the ${theme} theme, at ${low.where}`).toBeGreaterThanOrEqual(4.5);
      // The page's text follows the theme: dark text on light, light on dark.
      const fg = await page.frameLocator('[data-testid="kontask-output"]').locator('#p1').evaluate((e) => getComputedStyle(e).color);
      const light = fg.match(/\d+/g)!.map(Number).reduce((a, b) => a + b, 0) > 382;
      expect(light, `text colour ${fg} in the ${theme} theme`).toBe(theme === 'dark');
      await shot(page, `kontask-detail-${theme}`);
    }
  });

  it('sends a choice from the card as the next prompt of its session', async () => {
    // The full view offers the way back to the session whose card opened it.
    await page.getByTestId('kontask-back-session').click();
    const card = page.getByTestId('kontask-card');
    await card.getByTestId('kontask-card-choice').filter({ hasText: 'Write the changelog' }).click();
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: Write the changelog entry now' }).waitFor();
    await card.getByText('Sent “Write the changelog” as your next prompt.').waitFor();
  });

  it('fits a phone: the card and the full view at 390 px in both themes', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      const card = page.getByTestId('kontask-card');
      await card.scrollIntoViewIfNeeded();
      const box = (await card.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      await shot(page, `kontask-card-phone-${theme}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await setTheme(page, 'dark');
  });
});
