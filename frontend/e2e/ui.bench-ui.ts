// Dashboard benchmarks in Chromium: opening a 100,000-message session, and
// frame times while 200 text deltas per second stream in. Each figure has a
// baseline measured in the same run (a 10-message session; the idle page).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifacts, root, sendPrompt, Stack } from './harness';

const RUNS = 5;
const results: Record<string, any> = {};

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const stack = new Stack();
let longId = '';

beforeAll(async () => {
  const seed = join(root, 'bin', 'konui-seed');
  longId = execFileSync(seed, ['--data', stack.data, '--cwd', stack.work, '--title', 'long session', '--messages', '100000']).toString().trim();
  execFileSync(seed, ['--data', stack.data, '--cwd', stack.work, '--title', 'short session', '--messages', '10']);
  await stack.start();
});
afterAll(async () => {
  await stack.stop();
  writeFileSync(join(artifacts, 'ui-bench.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(artifacts, 'ui-bench.md'), markdown());
});

const ms = (x: number) => `${x.toFixed(0)} ms`;
const verdict = (ok: boolean) => (ok ? '**PASS**' : '**MISS**');

function markdown(): string {
  const o = results.openLongMs;
  const f = results.frames;
  if (!o || !f) return '### Dashboard (Chromium)\n\nThe dashboard benchmark did not finish; see the raw output.\n';
  return [
    '### Dashboard (Chromium)',
    '',
    `Debian's Chromium, headless, software rendering, 1280x800, driven by playwright-core against a real \`konui serve\` and Konsole. ` +
      `Opening: a click on the session until the frame with its rows (its newest page: the dashboard fetches older pages as the reader scrolls up) has been painted (fresh page each time, ${RUNS} runs, median), ` +
      'beside a 10-message session opened the same way. Streaming: requestAnimationFrame intervals for 8 s while `[[long 2400 5]]` streams ' +
      '200 text deltas per second into a session that already holds 100,000 messages, beside 3 s of the same page idle.',
    '',
    '| figure | measured | baseline | target |',
    '|---|---|---|---|',
    `| open a 100,000-message session to first paint | ${ms(o.median)} (runs: ${o.all.map(ms).join(', ')}) | 10 messages: ${ms(results.openShortMs.median)} | < 500 ms: ${verdict(o.median < 500)} |`,
    `| longest frame while 200 deltas/s stream in | ${ms(f.streamingMaxMs)} (p99 ${ms(f.streamingP99Ms)}, ${f.streamingFrames} frames) | idle: longest ${ms(f.idleMaxMs)}, p99 ${ms(f.idleP99Ms)} | no frame over 50 ms: ${verdict(f.streamingMaxMs <= 50)} |`,
    '',
    `Phases of opening the long session (ms, per run: fetch over REST, building the transcript, rendering): ` +
      (results.openLongPhasesMs ?? []).map((p: any) => `${p.fetch.toFixed(0)}/${p.load.toFixed(0)}/${p.render.toFixed(0)}`).join(', ') +
      '.',
    '',
  ].join('\n');
}

/** Clicks a session and returns ms until its transcript is painted. */
async function open(page: Page, title: string): Promise<number> {
  return page.evaluate(async (title) => {
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    const btn = [...document.querySelectorAll<HTMLButtonElement>('[data-testid=session-item] button.pick')].find((b) =>
      b.textContent!.includes(title),
    )!;
    const t0 = performance.now();
    btn.click();
    for (;;) {
      await frame();
      const h = document.querySelector('.console h2');
      if (h?.textContent === title && document.querySelectorAll('.vrow').length > 0) break;
    }
    await frame(); // the frame with the rows has been painted
    const total = performance.now() - t0;
    const m = (n: string) => performance.getEntriesByName(n).at(-1)?.startTime ?? 0;
    (window as any).__phases = { fetch: m('konui:transcript-fetched') - m('konui:transcript-fetch'), load: m('konui:transcript-loaded') - m('konui:transcript-fetched'), render: t0 + total - m('konui:transcript-loaded') };
    return total;
  }, title);
}

it('opens a 100,000-message session quickly', async () => {
  const long: number[] = [];
  const phases: any[] = [];
  const short: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [title, into] of [['short session', short], ['long session', long]] as const) {
      const page = await stack.page();
      await page.locator('[data-testid=session-item]').nth(1).waitFor();
      // Open the other session first so that the measured one is not cached.
      into.push(await open(page, title));
      if (title === 'long session') phases.push(await page.evaluate(() => (window as any).__phases));
      await page.context().close();
    }
  }
  results.openLongMs = { median: median(long), all: long };
  results.openShortMs = { median: median(short), all: short };
  results.openRatio = median(long) / median(short);
  results.openLongPhasesMs = phases;
});

it('keeps frames short while 200 deltas per second stream in', async () => {
  const page = await stack.page();
  await page.locator('[data-testid=session-item]').nth(1).waitFor();
  await open(page, 'long session');
  const sample = (ms: number) =>
    page.evaluate(async (ms) => {
      const gaps: number[] = [];
      let last = performance.now();
      const end = last + ms;
      await new Promise<void>((done) => {
        const tick = (t: number) => {
          gaps.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else done();
        };
        requestAnimationFrame(tick);
      });
      return gaps;
    }, ms);
  const idle = await sample(3000);
  await sendPrompt(page, '[[long 2400 5]]');
  await page.getByTestId('assistant-msg').filter({ hasText: 'word20 ' }).waitFor();
  const busy = await sample(8000);
  const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
  const deltas = await page.evaluate(() => document.querySelector('.md.streaming')?.textContent?.split(' ').length ?? 0);
  results.frames = {
    streamingMaxMs: Math.max(...busy),
    streamingP99Ms: p99(busy),
    streamingFrames: busy.length,
    idleMaxMs: Math.max(...idle),
    idleP99Ms: p99(idle),
    wordsOnScreenAfter: deltas,
    transcriptMessages: 100000,
  };
  await page.getByTestId('stop').click();
});
