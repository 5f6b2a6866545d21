import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { claude, newSession, sendPrompt, shot, Stack } from './harness';

describe('a first run without Claude Code, in Chromium', () => {
  const stack = new Stack();
  stack.claude = null;
  let page: Page;

  beforeAll(async () => {
    await stack.start();
    page = await stack.page();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
  });
  afterAll(() => stack.stop());

  it('says before any session that Claude Code is missing, with the install command', async () => {
    const banner = page.getByTestId('agent-banner');
    await banner.waitFor();
    expect(await banner.getAttribute('data-code')).toBe('agent_not_found');
    expect(await page.getByTestId('install-command').textContent()).toBe('npm install -g @anthropic-ai/claude-code');
    expect(await page.getByTestId('agent-state').getAttribute('data-ok')).toBe('false');
    await shot(page, 'first-run-no-claude');
  });

  it('refuses a Claude Code that is too old, saying so', async () => {
    const old = join(stack.home, 'old-claude');
    writeFileSync(old, "#!/bin/sh\necho '1.0.44 (Claude Code)'\n");
    chmodSync(old, 0o755);
    await page.getByTestId('claude-path').fill(old);
    await page.getByTestId('use-claude-path').click();
    await page.locator('p.err[role="alert"]').filter({ hasText: 'older than 2.0.0' }).waitFor();
    expect(await page.getByTestId('agent-banner').getAttribute('data-code')).toBe('agent_not_found');
  });

  it('uses a path set in the field at once: the banner goes and a session answers', async () => {
    await page.getByTestId('claude-path').fill(claude);
    await page.getByTestId('use-claude-path').click();
    await page.getByTestId('agent-banner').waitFor({ state: 'detached' });
    expect(await page.getByTestId('agent-state').textContent()).toContain('Claude Code 2.1.328');
    await newSession(page, stack);
    await sendPrompt(page, 'hello after the first run');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: hello after the first run' }).waitFor();
    await shot(page, 'first-run-claude-set');
  });

  it('has a favicon', async () => {
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    const resp = await fetch(new URL(href!, `http://127.0.0.1:${stack.servePort}/`));
    expect(resp.status).toBe(200);
    expect(resp.headers.get('content-type')).toContain('image/svg+xml');
  });
});
