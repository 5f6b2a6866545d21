// The Changes panel in Chromium against the real chain: a session on its
// own branch edits files through the real CLI; the panel follows live,
// shows the diff unified and side by side, sends a line comment back as a
// review prompt, then commits and merges into the base. Screenshots land in
// test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { sendPrompt, shot, Stack } from './harness';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

describe('the changes panel in Chromium', () => {
  const stack = new Stack();
  let page: Page;
  let wt = '';

  beforeAll(async () => {
    await stack.start();
    git(stack.work, 'init', '-q', '-b', 'main');
    git(stack.work, 'config', 'user.name', 'E2E');
    git(stack.work, 'config', 'user.email', 'e2e@example.com');
    writeFileSync(join(stack.work, 'a.py'), 'def f():\n    return 1\n\n\nprint(f())\n');
    writeFileSync(join(stack.work, 'notes.txt'), 'keep\nthese\nnotes\n');
    git(stack.work, 'add', '-A');
    git(stack.work, 'commit', '-q', '-m', 'first');
    page = await stack.page();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
    await page.getByTestId('cwd').fill(stack.work);
    await page.getByLabel('Title').fill('Tidy the module');
    await page.getByTestId('new-worktree').check();
    await page.getByTestId('new-mode').selectOption('acceptEdits');
    await page.getByTestId('create-session').click();
    await page.getByTestId('session-status').first().filter({ hasText: 'idle' }).waitFor();
    wt = (await page.locator('.head .path').textContent())!.trim();
    expect(wt.startsWith(stack.data)).toBe(true);
  });
  afterAll(() => stack.stop());

  async function api(path: string): Promise<any> {
    const r = await fetch(`http://127.0.0.1:${stack.servePort}/api${path}`, { headers: { Authorization: 'Bearer ' + stack.token } });
    return r.json();
  }

  /** Runs a prompt to the end of its turn: the session idle again, the turn's end stored. */
  async function turn(text: string) {
    const sid = (await api('/sessions')).sessions[0].id;
    const before = (await api(`/sessions/${sid}/messages`)).messages.length;
    await sendPrompt(page, text);
    await expect
      .poll(
        async () => {
          const [s, m] = await Promise.all([api(`/sessions/${sid}`), api(`/sessions/${sid}/messages`)]);
          const end = m.messages[m.messages.length - 1];
          const done = end?.role === 'turn' && end.content?.[0]?.reason === 'completed';
          return m.messages.length > before && done && s.status === 'idle';
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe(true);
  }

  it('follows the session live and shows the diff unified and side by side', async () => {
    await page.getByTestId('changes-toggle').click();
    const panel = page.getByTestId('changes-panel');
    await panel.getByText('No changes against main.').waitFor();
    expect(await panel.getByTestId('changes-branch').textContent()).toMatch(/^konui\/tidy-the-module-[0-9a-f]{8} → main$/);
    await turn(`[[tool Read: {"file_path":"${join(wt, 'a.py')}"}]]`);
    await turn(`[[tool Edit: {"file_path":"${join(wt, 'a.py')}","old_string":"return 1","new_string":"return 2"}]]`);
    // No click: the panel refreshes by itself on the tool result. How fast
    // the listing answers is measured in make bench, not here: a loaded
    // machine runs git slowly.
    const file = panel.getByTestId('change-file').filter({ hasText: 'a.py' });
    await file.getByTestId('change-count').filter({ hasText: '+1 −1' }).waitFor({ timeout: 15_000 });
    await turn(`[[tool Write: {"file_path":"${join(wt, 'new.py')}","content":"import os\\n\\nprint(os.getcwd())\\n"}]]`);
    await panel.getByTestId('change-file').filter({ hasText: 'new.py' }).getByTestId('change-count').filter({ hasText: '+3 −0' }).waitFor({ timeout: 15_000 });
    expect(await panel.getByTestId('change-file').allTextContents()).toHaveLength(2);
    await file.click();
    const diff = panel.getByTestId('diff');
    await diff.locator('.d2h-ins').filter({ hasText: 'return 2' }).first().waitFor();
    expect(await diff.locator('.d2h-del .d2h-code-line-ctn').allTextContents()).toEqual(['    return 1']);
    // highlight.js coloured the Python.
    expect(await diff.locator('.hljs-keyword').count()).toBeGreaterThan(0);
    expect(readFileSync(join(stack.work, 'a.py'), 'utf8')).toContain('return 1');
    await shot(page, 'changes-unified');
    await panel.getByTestId('mode-split').click();
    await diff.locator('.d2h-file-side-diff').nth(1).waitFor();
    expect(await diff.locator('.d2h-file-side-diff').count()).toBe(2);
    await shot(page, 'changes-side-by-side');
    await panel.getByTestId('mode-unified').click();
    await diff.locator('.d2h-file-side-diff').first().waitFor({ state: 'detached' });
  });

  it('sends a comment on a diff line back to the agent as one review prompt', async () => {
    const panel = page.getByTestId('changes-panel');
    const diff = panel.getByTestId('diff');
    const row = diff.locator('tr').filter({ has: page.locator('.d2h-ins') }).filter({ hasText: 'return 2' });
    await row.locator('td.d2h-code-linenumber').click();
    const draft = panel.getByTestId('comment-draft');
    expect(await draft.locator('label').textContent()).toBe('Comment on a.py:2');
    await panel.getByTestId('comment-body').fill('Return a named constant instead.');
    await panel.getByTestId('comment-add').click();
    await row.and(page.locator('.commented')).waitFor();
    await shot(page, 'changes-comment');
    await panel.getByTestId('send-review').click();
    const prompt = 'Please address these review comments on your changes:\n\na.py:2\n>     return 2\nReturn a named constant instead.';
    await page.getByTestId('user-msg').filter({ hasText: 'a.py:2' }).waitFor();
    await page.getByTestId('assistant-msg').filter({ hasText: 'Return a named constant instead.' }).waitFor({ timeout: 60_000 });
    expect((await page.getByTestId('user-msg').last().innerText()).replace(/\s+/g, ' ')).toContain(prompt.replace(/\s+/g, ' '));
  });

  it('commits with the suggested message and merges into the base', async () => {
    const panel = page.getByTestId('changes-panel');
    const message = await panel.getByTestId('commit-message').inputValue();
    expect(message.startsWith('Tidy the module\n\nPlease address these review comments')).toBe(true);
    await panel.getByTestId('commit-message').fill('Tidy the module\n\nReturn 2 and add new.py.');
    await panel.getByTestId('commit').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Committed [0-9a-f]{7} Tidy the module$/ }).waitFor();
    // Committed changes still show against the base until they are merged.
    expect(await panel.getByTestId('change-file').count()).toBe(2);
    await panel.getByTestId('merge').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Merged into main \(fast-forward, [0-9a-f]{7}\)\.$/ }).waitFor();
    await panel.getByText('No changes against main.').waitFor();
    await shot(page, 'changes-merged');
    expect(git(stack.work, 'log', '-1', '--format=%s', 'main')).toBe('Tidy the module');
    expect(readFileSync(join(stack.work, 'a.py'), 'utf8')).toContain('return 2');
    expect(git(stack.work, 'status', '--porcelain')).toBe('');
  });

  it('asks before a commit runs a hook written since the session started', async () => {
    const panel = page.getByTestId('changes-panel');
    // What an agent at the top of the repository could write: a hook the
    // person's Commit would run.
    const marker = join(stack.data, 'hook-ran');
    writeFileSync(join(stack.work, '.git', 'hooks', 'pre-commit'), `#!/bin/sh\necho ran > '${marker}'\n`, { mode: 0o755 });
    await turn(`[[tool Write: {"file_path":"${join(wt, 'hooked.txt')}","content":"hooked\\n"}]]`);
    await panel.getByTestId('change-file').filter({ hasText: 'hooked.txt' }).waitFor({ timeout: 15_000 });
    await panel.getByTestId('commit').click();
    const confirm = panel.getByTestId('repo-changed-confirm');
    await confirm.filter({ hasText: 'changed since this session started' }).waitFor();
    expect(existsSync(marker)).toBe(false);
    await shot(page, 'changes-repository-changed');
    await panel.getByTestId('repo-changed-yes').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Committed [0-9a-f]{7}/ }).waitFor();
    expect(await confirm.count()).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    // Confirmed once, the same hooks are the person's: merging asks nothing.
    await panel.getByTestId('merge').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Merged into main/ }).waitFor();
    expect(await confirm.count()).toBe(0);
  });

  it('names the unmerged commits before it discards the worktree', async () => {
    const panel = page.getByTestId('changes-panel');
    await turn(`[[tool Write: {"file_path":"${join(wt, 'late.txt')}","content":"late\\n"}]]`);
    await panel.getByTestId('change-file').filter({ hasText: 'late.txt' }).waitFor({ timeout: 15_000 });
    await panel.getByTestId('commit').click();
    await panel.getByTestId('changes-status').filter({ hasText: /^Committed/ }).waitFor();
    await panel.getByTestId('discard').click();
    const confirm = panel.getByTestId('discard-confirm');
    await confirm.waitFor();
    expect(await confirm.locator('li').allTextContents()).toEqual([expect.stringMatching(/^[0-9a-f]{7} Tidy the module$/)]);
    await shot(page, 'changes-discard-confirm');
    await panel.getByTestId('discard-confirm-yes').click();
    await panel.getByTestId('changes-status').filter({ hasText: 'The worktree and its branch were removed.' }).waitFor();
    expect(git(stack.work, 'branch', '--list', 'konui/*')).toBe('');
    expect(git(stack.work, 'log', '-1', '--format=%s', 'main')).toBe('Tidy the module');
  });
});
