// The fleet's per-Konsole state, and the Add Konsole dialog's error handling
// against a real HTTP server that answers POST /api/konsoles as the bridge
// does (docs/protocol.md).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddKonsoleForm } from '../add-konsole.svelte';
import { Api } from '../api';
import type { KonsoleInfo } from '../konsoles';
import { KonsoleStore } from './konsoles.svelte';

describe('KonsoleStore', () => {
  const fleet = (now = () => 1000) => new KonsoleStore(() => new Api('http://127.0.0.1:1', 't'), now);

  it('changes only the Konsole a konsole frame names', () => {
    const f = fleet();
    f.set([
      { id: 'dev', name: 'dev box', state: 'connected' },
      { id: 'local', name: 'Local', state: 'connected' },
    ]);
    expect(f.konsoles.map((k) => k.id)).toEqual(['local', 'dev']);
    const was = f.update({ konsoleId: 'dev', state: 'reconnecting', attempt: 2, retryInMs: 4000, error: 'connection refused' });
    expect(was).toBe('connected');
    expect(f.byId('dev')).toMatchObject({ state: 'reconnecting', attempt: 2, retryAt: 5000, error: 'connection refused', name: 'dev box' });
    expect(f.byId('local')!.state).toBe('connected');
  });

  it('applies a frame without konsoleId (a bridge that follows one) to the only Konsole', () => {
    const f = fleet();
    f.update({ state: 'down', error: 'gone' });
    expect(f.konsoles).toEqual([expect.objectContaining({ id: 'local', name: 'Local', state: 'down', error: 'gone' })]);
    f.update({ state: 'connected', latencyMs: 3 });
    expect(f.konsoles).toHaveLength(1);
    expect(f.byId('local')).toMatchObject({ state: 'connected', latencyMs: 3, error: undefined });
  });

  it('reports Konsoles that are new or turned on, and those that are gone', () => {
    const gone: string[][] = [];
    const f = new KonsoleStore(() => new Api('http://127.0.0.1:1', 't'), () => 1000, (ids) => gone.push(ids));
    f.set([{ id: 'local', name: 'Local', state: 'connected' }, { id: 'dev', name: 'dev', state: 'down', enabled: false }]);
    expect(f.set([{ id: 'local', name: 'Local', state: 'connected' }, { id: 'dev', name: 'dev', state: 'connecting', enabled: true }, { id: 'ci', name: 'ci', state: 'connecting' }])).toEqual({
      added: ['dev', 'ci'],
      gone: [],
    });
    expect(f.set([{ id: 'local', name: 'Local', state: 'connected' }])).toEqual({ added: [], gone: ['dev', 'ci'] });
    expect(gone).toEqual([['dev', 'ci']]);
  });

  it('preselects the remembered Konsole and folds groups', () => {
    const f = fleet();
    f.set([{ id: 'local', name: 'Local', state: 'connected' }, { id: 'dev', name: 'dev', state: 'connected' }]);
    expect(f.pick).toBe('local');
    f.remember('dev');
    expect(f.pick).toBe('dev');
    f.toggle('dev');
    expect(f.collapsed.dev).toBe(true);
    f.toggle('dev');
    expect(f.collapsed.dev).toBe(false);
  });
});

describe('AddKonsoleForm', () => {
  let server: Server;
  let base = '';
  const bodies: any[] = [];
  const added: KonsoleInfo = { id: 'box', name: 'Box', state: 'connected', kind: 'pairing', enabled: true, removable: true };
  // Answers as the bridge does, chosen by what was sent.
  const answers: Record<string, [number, object]> = {
    'konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=bad': [409, { code: 'certificate_mismatch', error: 'The certificate of https://box is not the one paired (sha256 ab12…); someone else may answer there.' }],
    'konui://pair?v=1': [400, { code: 'pairing_invalid', error: 'The pairing string has no url.' }],
    'ssh://me@box': [502, { code: 'ssh_failed', error: 'ssh me@box: bash: konui: command not found' }],
    'https://down:7421': [502, { code: 'konsole_unreachable', error: 'Konsole is unreachable at https://down:7421.' }],
    'https://box:7421': [401, { code: 'konsole_unauthorized', error: 'The Konsole at https://box:7421 refused the token.' }],
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        bodies.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        const [status, answer] = answers[body.pairing ?? body.ssh ?? body.url] ?? [201, { konsole: added }];
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as any).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const form = (api = base) => {
    const fleet = new KonsoleStore(() => new Api(api, 'bridge-token'));
    return { fleet, form: new AddKonsoleForm((b) => fleet.add(b)) };
  };

  it('shows the certificate mismatch with its next step and keeps what was typed', async () => {
    const { form: f, fleet } = form();
    f.target = 'konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=bad';
    f.name = 'Box';
    expect(await f.submit()).toBe(false);
    expect(f).toMatchObject({ code: 'certificate_mismatch', field: 'target', busy: false, target: 'konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=bad', name: 'Box' });
    expect(f.error).toContain('is not the one paired');
    expect(fleet.konsoles).toEqual([]);
    expect(bodies.at(-1)).toMatchObject({ method: 'POST', url: '/api/konsoles', auth: 'Bearer bridge-token', body: { name: 'Box' } });
  });

  it('points at the token when the Konsole refuses it, and keeps the token typed', async () => {
    const { form: f } = form();
    f.target = 'https://box:7421';
    f.token = 'wrong';
    expect(await f.submit()).toBe(false);
    expect(f).toMatchObject({ code: 'konsole_unauthorized', field: 'token', token: 'wrong' });
    expect(bodies.at(-1).body).toEqual({ url: 'https://box:7421', token: 'wrong' });
  });

  it('gives ssh its own words and the unreachable and invalid sentences', async () => {
    for (const [target, code, words] of [
      ['ssh://me@box', 'ssh_failed', 'konui: command not found'],
      ['https://down:7421', 'konsole_unreachable', 'unreachable at https://down:7421'],
      ['konui://pair?v=1', 'pairing_invalid', 'has no url'],
    ]) {
      const { form: f } = form();
      f.target = target;
      f.token = 'T';
      expect(await f.submit()).toBe(false);
      expect(f.code).toBe(code);
      expect(f.error).toContain(words);
      expect(f.hint).not.toBe('');
      expect(f.field).toBe('target');
    }
  });

  it('checks the fields itself before sending anything', async () => {
    const { form: f } = form();
    const sent = bodies.length;
    f.target = 'https://box:7421';
    expect(await f.submit()).toBe(false);
    expect(f).toMatchObject({ field: 'token', code: '' });
    expect(bodies.length).toBe(sent);
  });

  it('says Konui itself does not answer when the bridge is gone', async () => {
    const { form: f } = form('http://127.0.0.1:1');
    f.target = 'ssh://me@elsewhere';
    expect(await f.submit()).toBe(false);
    expect(f).toMatchObject({ code: 'network', field: '' });
    expect(f.hint).toContain('Konui itself did not answer');
  });

  it('tells the app which Konsole was removed, so that its sessions go with it', async () => {
    const gone: string[][] = [];
    const fleet = new KonsoleStore(() => new Api(base, 'bridge-token'), Date.now, (ids) => gone.push(ids));
    fleet.set([{ id: 'local', name: 'Local', state: 'connected' }, { id: 'box', name: 'Box', state: 'down' }]);
    await fleet.remove('box');
    expect(bodies.at(-1)).toMatchObject({ method: 'DELETE', url: '/api/konsoles/box' });
    expect(fleet.konsoles.map((k) => k.id)).toEqual(['local']);
    expect(gone).toEqual([['box']]);
  });

  it('adds the Konsole to the fleet when the bridge took it, clearing an earlier error', async () => {
    const { form: f, fleet } = form();
    f.target = 'ssh://me@box';
    await f.submit();
    expect(f.error).not.toBe('');
    f.target = 'konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=good';
    expect(await f.submit()).toBe(true);
    expect(f.error).toBe('');
    expect(f.added).toEqual(added);
    expect(fleet.byId('box')).toEqual(added);
  });
});

// The answer to a REST call about a Konsole is a snapshot from when the
// bridge answered; the WebSocket's frames may have said something newer
// by the time it arrives.
describe('KonsoleStore with a bridge that answers late', () => {
  let server: Server;
  let base = '';
  let release: () => void = () => {};
  let arrived: () => void = () => {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      // Answers as the bridge does: the entry as it was when it answered.
      const entry = req.url!.endsWith('/retry')
        ? { id: 'dev', name: 'dev box', state: 'reconnecting', attempt: 3, retryInMs: 8000, error: 'connection refused', enabled: true }
        : { id: 'dev', name: 'Build box', state: 'reconnecting', attempt: 3, retryInMs: 8000, error: 'connection refused', enabled: true };
      const held = new Promise<void>((r) => (release = r));
      arrived();
      held.then(() => {
        res.writeHead(req.url!.endsWith('/retry') ? 202 : 200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(req.method === 'GET' ? { konsoles: [{ ...entry, name: 'dev box' }] } : { konsole: entry }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as any).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const waiting = () => new Promise<void>((r) => (arrived = r));

  it('keeps the state a frame gave while a Retry now was answered', async () => {
    // Before, the answer ("reconnecting", taken as the retry began) replaced
    // the "connected" of the frame that came first, and the Retry button
    // stayed on a connected Konsole (fleet.e2e.ts: "expected 0, got 1").
    const f = new KonsoleStore(() => new Api(base, 't'), () => 1000);
    f.set([{ id: 'local', name: 'Local', state: 'connected' }, { id: 'dev', name: 'dev box', state: 'reconnecting', attempt: 3, retryInMs: 8000 }]);
    const at = waiting();
    const retried = f.retry('dev');
    await at; // the bridge has the request and answers with what it had
    f.update({ konsoleId: 'dev', state: 'connected', latencyMs: 2 });
    release();
    await retried;
    expect(f.byId('dev')).toMatchObject({ state: 'connected', latencyMs: 2, name: 'dev box' });
    expect(f.byId('dev')!.error).toBeUndefined();
  });

  it('takes the rest of the entry from the answer', async () => {
    const f = new KonsoleStore(() => new Api(base, 't'), () => 1000);
    f.set([{ id: 'dev', name: 'dev box', state: 'connected', enabled: true }]);
    const at = waiting();
    const renamed = f.rename('dev', 'Build box');
    await at;
    release();
    await renamed;
    expect(f.byId('dev')).toMatchObject({ name: 'Build box', state: 'connected', enabled: true });
  });

  it('keeps the list of the hello when the list read at start comes after it', async () => {
    const f = new KonsoleStore(() => new Api(base, 't'), () => 1000);
    const at = waiting();
    const loaded = f.load();
    await at;
    f.set([{ id: 'dev', name: 'dev box', state: 'connected', enabled: true }]);
    release();
    await loaded;
    expect(f.byId('dev')).toMatchObject({ state: 'connected' });
  });
});
