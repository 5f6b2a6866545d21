// "Open pull request" in the Changes panel, in Chromium against the real
// chain, with a stand-in gh first on Konsole's PATH (the real gh is not
// installed here) and a bare repository as origin: hidden while gh is
// logged out, then the branch pushed and the link to the pull request shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { shot, Stack } from './harness';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

describe('opening a pull request from the changes panel', () => {
  const stack = new Stack();
  const ghDir = join(stack.home, 'gh-bin');
  const bare = join(stack.home, 'origin.git');
  let page: Page;
  let wt = '';

  beforeAll(async () => {
    mkdirSync(ghDir, { recursive: true });
    writeFileSync(
      join(ghDir, 'gh'),
      '#!/bin/sh\n' +
        `{ pwd; printf '%s\\0' "$@"; printf '\\036'; } >> '${ghDir}/log'\n` +
        'case "$1" in\n' +
        `auth) if [ -f '${ghDir}/authfail' ]; then echo 'You are not logged into any GitHub hosts.' >&2; exit 1; fi ;;\n` +
        "pr) echo 'https://github.com/acme/widgets/pull/3' ;;\n" +
        'esac\n',
      { mode: 0o755 },
    );
    writeFileSync(join(ghDir, 'authfail'), '');
    stack.pathPrefix = ghDir;
    await stack.start();
    git(stack.work, 'init', '-q', '-b', 'main');
    git(stack.work, 'config', 'user.name', 'E2E');
    git(stack.work, 'config', 'user.email', 'e2e@example.com');
    writeFileSync(join(stack.work, 'a.txt'), 'one\n');
    git(stack.work, 'add', '-A');
    git(stack.work, 'commit', '-q', '-m', 'first');
    git(stack.work, 'init', '-q', '--bare', bare);
    git(stack.work, 'remote', 'add', 'origin', bare);
    page = await stack.page();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
    await page.getByTestId('cwd').fill(stack.work);
    await page.getByLabel('Title').fill('Share the change');
    await page.getByTestId('new-worktree').check();
    await page.getByTestId('create-session').click();
    await page.getByTestId('session-status').first().filter({ hasText: 'idle' }).waitFor();
    wt = (await page.locator('.head .path').textContent())!.trim();
  });
  afterAll(() => stack.stop());

  it('hides the button while gh is not logged in', async () => {
    await page.getByTestId('changes-toggle').click();
    const panel = page.getByTestId('changes-panel');
    await panel.getByText('No changes against main.').waitFor();
    await panel.getByTestId('merge').waitFor();
    // The panel asked gh (auth status) and got a failure.
    await expect.poll(() => readFileSync(join(ghDir, 'log'), 'utf8').includes('auth\0status\0'), { timeout: 10_000 }).toBe(true);
    expect(await panel.getByTestId('open-pr').count()).toBe(0);
  });

  it('pushes the branch and links the pull request once gh is logged in', async () => {
    rmSync(join(ghDir, 'authfail'));
    rmSync(join(ghDir, 'log'));
    writeFileSync(join(wt, 'a.txt'), 'two\n');
    // Reopening the panel asks gh again (and lists the change).
    await page.getByTestId('changes-toggle').click();
    await page.getByTestId('changes-panel').waitFor({ state: 'detached' });
    await page.getByTestId('changes-toggle').click();
    const panel = page.getByTestId('changes-panel');
    await panel.getByTestId('change-file').filter({ hasText: 'a.txt' }).waitFor();
    await panel.getByTestId('commit-message').fill('Share the change\n\nSay two, not one.');
    await panel.getByTestId('commit').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Committed [0-9a-f]{7} Share the change$/ }).waitFor();
    await panel.getByTestId('open-pr').click();
    const form = panel.getByTestId('pr-form');
    expect(await form.getByTestId('pr-title').inputValue()).toBe('Share the change');
    expect(await form.getByTestId('pr-body').inputValue()).toBe('Say two, not one.');
    await shot(page, 'changes-pull-request-form');
    await form.getByTestId('pr-open').click();
    const link = panel.getByTestId('pr-url');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://github.com/acme/widgets/pull/3');
    expect(await panel.getByTestId('changes-status').textContent()).toBe('Pull request opened: https://github.com/acme/widgets/pull/3');
    await shot(page, 'changes-pull-request-opened');
    const branch = git(wt, 'rev-parse', '--abbrev-ref', 'HEAD');
    expect(git(bare, 'rev-parse', `refs/heads/${branch}`)).toBe(git(wt, 'rev-parse', 'HEAD'));
    const calls = readFileSync(join(ghDir, 'log'), 'utf8').split('\x1e').filter(Boolean);
    expect(calls[calls.length - 1]).toBe(
      `${wt}\npr\0create\0--base\0main\0--head\0${branch}\0--title=Share the change\0--body=Say two, not one.\0`,
    );
  });
});
