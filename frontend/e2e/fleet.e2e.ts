// Several Konsoles in one window: a second real Konsole is added through the
// Add Konsole dialog (after the bridge has refused a wrong token, a
// certificate that is not the paired one and an address nobody answers),
// sessions are grouped by Konsole, one Konsole is killed and comes back,
// and Settings renames, turns off and removes it. A "konui serve" that
// cannot add Konsoles (405 fleet_read_only: no fleet store wired in) still
// has its refusal shown in the dialog; the tests that need a second
// Konsole then skip, saying why.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { connectedPage, freePort, newSession, sendPrompt, shot, Stack, type ExtraKonsole } from './harness';

/** A TLS server with a self-signed certificate: not the one a pairing string pins. */
async function strangerTLS(dir: string): Promise<{ server: Server; url: string }> {
  const key = join(dir, 'stranger.key');
  const cert = join(dir, 'stranger.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok","version":"stranger"}');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `https://127.0.0.1:${port}` };
}

describe('several Konsoles in Chromium', () => {
  const stack = new Stack();
  let page: Page;
  let dev: ExtraKonsole;
  let stranger: { server: Server; url: string };
  const group = (id: string) => page.locator(`[data-testid="konsole-group"][data-konsole="${id}"]`);
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${stack.servePort}/api${path}`, {
      method,
      headers: { Authorization: 'Bearer ' + stack.token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  let devId = '';
  /** The stack's own Konsole: "local", or the id the bridge gave its --konsole. */
  let firstId = '';
  /** Whether this konui serve can add Konsoles (it has a fleet store). */
  let writable = false;
  const needsFleet = (ctx: { skip: (cond: boolean, note: string) => void }) =>
    ctx.skip(!writable, 'this konui serve answers POST /api/konsoles with 405 fleet_read_only: no fleet store is wired in');

  beforeAll(async () => {
    await stack.start();
    dev = await stack.extraKonsole('dev');
    stranger = await strangerTLS(stack.home);
    page = await connectedPage(stack);
    const probe = await api('POST', '/konsoles', {});
    writable = probe.status !== 405;
    firstId = (await (await api('GET', '/konsoles')).json()).konsoles[0].id;
  });
  afterAll(async () => {
    stranger?.server.close();
    await stack.stop();
  });

  async function submitAdd(target: string, token?: string) {
    const dialog = page.getByTestId('add-konsole');
    await dialog.getByTestId('add-konsole-target').fill(target);
    if (token !== undefined) await dialog.getByTestId('add-konsole-token').fill(token);
    await dialog.getByTestId('add-konsole-submit').click();
  }

  async function refusal(code: string) {
    const err = page.getByTestId('add-konsole-error');
    await page.locator(`[data-testid="add-konsole-error"][data-code="${code}"]`).waitFor({ timeout: 30000 });
    return (await err.textContent()) ?? '';
  }

  it('shows the bridge\'s own refusal in the Add Konsole dialog and keeps what was typed', async () => {
    await page.getByTestId('sidebar-add-konsole').click();
    const dialog = page.getByTestId('add-konsole');
    await dialog.waitFor();
    await dialog.getByTestId('add-konsole-name').fill('Dev box');

    // Neither a pairing string nor an address: the dialog says so itself.
    await submitAdd('devbox:7421');
    expect(await refusal('')).toContain('is not a pairing string');

    // What the bridge answers to the same request, asked directly.
    const direct = await (await api('POST', '/konsoles', { name: 'Dev box', url: dev.url, token: 'not-the-token' })).json();
    expect(direct.code).toBe(writable ? 'konsole_unauthorized' : 'fleet_read_only');
    await submitAdd(dev.url, 'not-the-token');
    // The dialog shows the bridge's sentence (as a sentence: capital first, full stop last).
    const shown = await refusal(direct.code);
    expect(shown.toLowerCase()).toContain(direct.error.toLowerCase().replace(/\.$/, ''));
    expect(await dialog.getByTestId('add-konsole-target').inputValue()).toBe(dev.url);
    expect(await dialog.getByTestId('add-konsole-token').inputValue()).toBe('not-the-token');
    expect(await dialog.getByTestId('add-konsole-name').inputValue()).toBe('Dev box');
    await shot(page, writable ? 'fleet-add-unauthorized' : 'fleet-add-read-only');
  });

  it('adds a Konsole after refusing a certificate that is not the paired one and an address nobody answers', async (ctx) => {
    needsFleet(ctx);
    const dialog = page.getByTestId('add-konsole');

    const pairing = `konui://pair?v=1&url=${encodeURIComponent(stranger.url)}&token=t0k3n&sha256=${'0'.repeat(64)}`;
    await submitAdd(pairing);
    expect(await refusal('certificate_mismatch')).toMatch(/certificate/i);
    expect(await dialog.getByTestId('add-konsole-target').inputValue()).toBe(pairing);
    await shot(page, 'fleet-add-certificate-mismatch');

    await submitAdd(`http://127.0.0.1:${await freePort()}`, 'x');
    expect(await refusal('konsole_unreachable')).not.toBe('');

    await submitAdd(dev.url, dev.token);
    await dialog.waitFor({ state: 'detached', timeout: 30000 });
    const list = (await (await api('GET', '/konsoles')).json()).konsoles as { id: string; name: string; state: string }[];
    devId = list.find((k) => k.name === 'Dev box')!.id;
    expect(devId).toBeTruthy();
    await group(devId).and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30000 });
    expect(await group(firstId).getByTestId('konsole-name').textContent()).toBeTruthy();
    expect(await group(devId).getByTestId('konsole-name').textContent()).toBe('Dev box');
  });

  it('groups sessions by Konsole and starts a session where it is asked to', async (ctx) => {
    needsFleet(ctx);
    // The stack's own Konsole (the local one when there is one) comes first and is preselected.
    expect(await page.getByTestId('new-konsole').inputValue()).toBe(firstId);
    await newSession(page, stack);
    await group(firstId).getByTestId('session-item').first().waitFor();

    await page.getByTestId('new-session').click();
    await page.getByTestId('new-konsole').selectOption(devId);
    await page.getByTestId('cwd').fill(stack.work);
    await page.getByTestId('create-session').click();
    await group(devId).getByTestId('session-status').filter({ hasText: 'idle' }).waitFor({ timeout: 30000 });
    const sessions = (await (await api('GET', '/sessions')).json()).sessions as { id: string; konsoleId: string }[];
    expect(sessions.map((s) => s.konsoleId).sort()).toEqual([devId, firstId].sort());

    // The prompt goes to the Konsole that has the session.
    await sendPrompt(page, 'hello dev box');
    await page.getByTestId('assistant-msg').filter({ hasText: 'Echo: hello dev box' }).waitFor();
    await group(devId).getByTestId('konsole-latency').waitFor({ timeout: 30000 });
    await shot(page, 'fleet-sidebar-grouped');

    // A group folds away and opens again; the picker remembers the choice.
    await group(devId).getByTestId('konsole-fold').click();
    expect(await group(devId).getByTestId('session-item').count()).toBe(0);
    await group(devId).getByTestId('konsole-fold').click();
    expect(await group(devId).getByTestId('session-item').count()).toBe(1);
    await page.reload();
    await page.getByTestId('conn-state').and(page.locator('[data-state="connected"]')).waitFor();
    await page.getByTestId('new-session').click();
    expect(await page.getByTestId('new-konsole').inputValue()).toBe(devId);
  });

  it('marks a Konsole that goes down in its own group and keeps its sessions listed', async (ctx) => {
    needsFleet(ctx);
    await dev.kill();
    await group(devId).and(page.locator(':not([data-state="connected"])')).waitFor({ timeout: 30000 });
    await group(devId).locator('[data-testid="session-item"][data-stale="true"]').waitFor();
    expect(await group(devId).getByTestId('konsole-sentence').textContent()).toContain('Dev box');
    // The others are not touched.
    expect(await group(firstId).getAttribute('data-state')).toBe('connected');
    expect(await group(firstId).locator('[data-testid="session-item"][data-stale="true"]').count()).toBe(0);
    // While it is away, "Retry now" beside the sentence.
    const retry = group(devId).getByTestId('konsole-retry');
    await retry.waitFor();
    await shot(page, 'fleet-konsole-down');

    await dev.start();
    // Instead of the rest of the backoff (the bridge may get there first,
    // and then the button is gone).
    await retry.click({ timeout: 5000 }).catch(() => {});
    await group(devId).and(page.locator('[data-state="connected"]')).waitFor({ timeout: 40000 });
    expect(await retry.count()).toBe(0);
    await group(devId).locator('[data-testid="session-item"][data-stale="false"]').waitFor();
  });

  it('renames, turns off and removes a Konsole in Settings', async (ctx) => {
    needsFleet(ctx);
    await page.getByRole('button', { name: 'Settings' }).click();
    const row = page.locator(`[data-testid="konsole-row"][data-konsole="${devId}"]`);
    await row.getByRole('button', { name: 'Rename Dev box' }).click();
    await row.getByTestId('konsole-rename-input').fill('Build box');
    await row.getByTestId('konsole-rename-input').press('Enter');
    await row.getByTestId('konsole-row-name').filter({ hasText: 'Build box' }).waitFor();
    await row.getByTestId('konsole-enabled').uncheck();
    await group(devId).and(page.locator('[data-state="off"]')).waitFor({ timeout: 30000 });
    await shot(page, 'fleet-settings');
    expect(await group(devId).getByTestId('konsole-name').textContent()).toBe('Build box');

    await row.getByTestId('konsole-remove').click();
    await row.getByTestId('konsole-remove-confirm').click();
    await row.waitFor({ state: 'detached' });
    await group(devId).waitFor({ state: 'detached' });
    // One Konsole again: the bridge follows only the stack's own, and the sidebar has no group headers.
    const left = (await (await api('GET', '/konsoles')).json()).konsoles as { id: string }[];
    expect(left.map((k) => k.id)).toEqual([firstId]);
    expect(await page.getByTestId('konsole-fold').count()).toBe(0);
  });
});
