// Errors shown once, in one place, and gone when fixed (issue 27, item 12):
// a session started without Claude Code says so in the banner about the
// CLI only (no strip, no toast, no sidebar line for the open session); once
// the path is set the banner goes and nothing stale stays; "there is
// nothing to commit" reads as a notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { claude, connectedPage, sendPrompt, shot, Stack } from './harness';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe' });

describe('errors in Chromium', () => {
  const stack = new Stack();
  stack.claude = null;
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await connectedPage(stack);
  });
  afterAll(() => stack.stop());

  /** Every visible place that tells of a problem. */
  async function problems(): Promise<string[]> {
    const loc = page.locator('[role="alert"]:visible, [data-testid="toast"]:visible, [data-testid="session-error"]:visible, .errline:visible');
    return (await loc.allTextContents()).map((t) => t.trim()).filter(Boolean);
  }

  it('says once that Claude Code is missing when a session cannot start', async () => {
    await page.getByTestId('agent-banner').waitFor();
    await page.getByTestId('cwd').fill(stack.work);
    await page.getByTestId('create-session').click();
    await page.getByTestId('session-status').filter({ hasText: /error|ended/ }).first().waitFor({ timeout: 30_000 });
    await page.getByTestId('transcript').waitFor();
    const shown = await problems();
    expect(shown, JSON.stringify(shown)).toHaveLength(1);
    expect(await page.getByTestId('agent-banner').getAttribute('data-code')).toBe('agent_not_found');
    await shot(page, 'errors-no-cli-once');
  });

  it('leaves nothing stale once the path is fixed, and the next prompt starts the agent', async () => {
    await page.getByTestId('claude-path').fill(claude);
    await page.getByTestId('use-claude-path').click();
    await page.getByTestId('agent-banner').waitFor({ state: 'detached' });
    expect(await problems()).toEqual([]);
    await sendPrompt(page, 'hello once the CLI is there');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: hello once the CLI is there' }).waitFor({ timeout: 60_000 });
    expect(await problems()).toEqual([]);
    await shot(page, 'errors-fixed');
  });
});

// Konsole's git needs a PATH: a stack of its own, with the CLI.
describe('the Changes panel status in Chromium', () => {
  const stack = new Stack();
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await connectedPage(stack);
  });
  afterAll(() => stack.stop());

  it('shows "nothing to commit" as a notice, not an error', async () => {
    const repo = join(stack.home, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=E2E', '-c', 'user.email=e2e@example.com', 'commit', '-q', '-m', 'first');
    await page.getByTestId('cwd').fill(repo);
    await page.getByLabel('Title').fill('branch');
    await page.getByTestId('new-worktree').check();
    await page.getByTestId('create-session').click();
    await page.locator('.head h2').filter({ hasText: 'branch' }).waitFor();
    await page.getByTestId('changes-toggle').click();
    await page.getByTestId('commit-message').fill('nothing here');
    await page.getByTestId('commit').click();
    const line = page.getByTestId('changes-status');
    await line.filter({ hasText: 'Nothing to commit' }).waitFor();
    expect(await line.getAttribute('data-tone')).toBe('notice');
    expect(await line.getAttribute('role')).toBe('status');
    for (const theme of ['dark', 'light'] as const) {
      if ((await page.evaluate(() => document.documentElement.dataset.theme ?? 'dark')) !== theme) await page.getByRole('button', { name: 'Switch theme' }).click();
      await shot(page, `errors-nothing-to-commit-${theme}`);
    }
  });
});
