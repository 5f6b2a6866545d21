// Every screen and state (e2e/tour.ts) in both themes at 1280x800 and
// 390x844, saved into test-artifacts/screens/, and one contact sheet of
// them all (test-artifacts/screens/contact-sheet.png) made in Chromium
// from an HTML page of the shots. The files are for people to look at; the
// test checks that every one was written and is the size it should be.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { artifacts, setTheme, settled, Stack } from './harness';
import { tour, WIDTHS, type Stop, type Width } from './tour';

const dir = join(artifacts, 'screens');
const THEMES = ['dark', 'light'] as const;

interface Shot {
  stop: Stop;
  theme: (typeof THEMES)[number];
  width: Width;
  file: string;
}


function sheet(shots: Shot[]): string {
  const rows = new Map<string, Shot[]>();
  for (const s of shots) (rows.get(s.stop.name) ?? rows.set(s.stop.name, []).get(s.stop.name)!).push(s);
  const cell = (list: Shot[], theme: string, width: Width) => {
    const s = list.find((x) => x.theme === theme && x.width === width);
    return s ? `<td class="${width}"><img src="${s.file}" alt=""><span>${theme} · ${WIDTHS[width].width}</span></td>` : '<td></td>';
  };
  const body = [...rows.values()]
    .map((list, i) => {
      const st = list[0].stop;
      return `<tr><th><b>${i + 1}. ${st.name}</b><br>${st.what}</th>${cell(list, 'dark', 'desk')}${cell(list, 'light', 'desk')}${cell(list, 'dark', 'phone')}${cell(list, 'light', 'phone')}</tr>`;
    })
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>Konui: every screen</title>
<style>
  body { margin: 16px; font: 13px/1.4 system-ui, sans-serif; background: #e9ebef; color: #1a1e25; }
  h1 { font-size: 18px; margin: 0 0 12px; }
  table { border-collapse: separate; border-spacing: 10px 8px; }
  th { width: 170px; text-align: left; vertical-align: top; font-weight: 400; }
  td { vertical-align: top; text-align: center; font-size: 11px; color: #474e5c; }
  td img { display: block; border: 1px solid #aeb4bf; border-radius: 4px; margin-bottom: 2px; }
  td.desk img { width: 320px; height: 200px; }
  td.phone img { width: 92px; height: 200px; }
</style>
<h1>Konui: every screen and state, dark and light, 1280×800 and 390×844 (${shots.length} shots)</h1>
<table>${body}</table>`;
}

describe('every screen in both themes at desk and phone width', () => {
  const stack = new Stack();
  afterAll(() => stack.stop());

  it('saves a screenshot of each and a contact sheet of them all', async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await stack.start();
    const shots: Shot[] = [];
    let n = 0;
    await tour(stack, async (page, stop) => {
      n++;
      for (const width of stop.widths ?? (['desk', 'phone'] as Width[])) {
        await page.setViewportSize(WIDTHS[width]);
        await stop.prepare?.(page, width);
        for (const theme of THEMES) {
          await setTheme(page, theme);
          await settled(page);
          const file = `${String(n).padStart(2, '0')}-${stop.name}-${theme}-${WIDTHS[width].width}.png`;
          await page.screenshot({ path: join(dir, file) });
          shots.push({ stop, theme, width, file });
        }
      }
      await page.setViewportSize(WIDTHS.desk);
      await setTheme(page, 'dark');
    });

    const html = join(dir, 'index.html');
    writeFileSync(html, sheet(shots));
    const viewer = await stack.browser!.newPage({ viewport: { width: 1400, height: 900 } });
    await viewer.goto(pathToFileURL(html).href);
    await viewer.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    await viewer.screenshot({ path: join(dir, 'contact-sheet.png'), fullPage: true });
    await viewer.close();

    const files = readdirSync(dir).filter((f) => f.endsWith('.png') && f !== 'contact-sheet.png');
    expect(files.sort()).toEqual(shots.map((s) => s.file).sort());
    expect(n).toBeGreaterThanOrEqual(25);
    for (const s of shots) expect(statSync(join(dir, s.file)).size, s.file).toBeGreaterThan(5000);
    expect(statSync(join(dir, 'contact-sheet.png')).size).toBeGreaterThan(200_000);
  }, 900_000);
});
