// The domain stores together as the Dashboard wires them, against a real
// HTTP server that answers the REST calls as the bridge does
// (docs/protocol.md): what used to be one AppState now crosses stores, and
// these tests hold the crossings (a refresh, a removed Konsole, a fork, a
// search hit) to what the one object did.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Api } from './api';
import { Dashboard } from './dashboard.svelte';
import type { KonsoleInfo } from './konsoles';
import type { Kontask, Session } from './types';

const session = (id: string, konsoleId: string | undefined, extra: Partial<Session> = {}): Session => ({
  id,
  cwd: '/w/' + id,
  status: 'idle',
  model: 'm',
  agentSessionId: 'a-' + id,
  title: 'Session ' + id,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  pendingPermissions: 0,
  totalCostUsd: 0,
  queued: 0,
  ...(konsoleId ? { konsoleId } : {}),
  ...extra,
});

const kontask = (id: string, konsoleId: string): Kontask => ({ id, konsoleId, title: 'Kontask ' + id, createdAt: '2026-01-01T00:00:00Z' }) as Kontask;

const fleet: KonsoleInfo[] = [
  { id: 'local', name: 'Local', state: 'connected', kind: 'local' },
  { id: 'box', name: 'Box', state: 'connected', kind: 'pairing', removable: true },
];

describe('Dashboard stores', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  // Answers by method and path (the query is part of what is recorded, not of the route).
  const routes: Record<string, (q: URLSearchParams) => [number, unknown]> = {
    'GET /api/sessions': () => [200, { sessions: [session('s1', 'local'), session('s2', 'box')] }],
    'GET /api/kontasks': () => [200, { kontasks: [kontask('k1', 'local'), kontask('k2', 'box')] }],
    'GET /api/models': (q) => [200, { models: [{ value: 'model-' + q.get('konsoleId') }], commands: [] }],
    'GET /api/agent': (q) => [200, { path: '/bin/claude', version: '2.0.' + (q.get('konsoleId') === 'box' ? '2' : '1'), source: 'path' }],
    'GET /api/sessions/s2/info': () => [200, { model: 'm', tools: ['Bash'] }],
    'GET /api/sessions/s2/queue': () => [200, { queue: [{ id: 'q1', text: 'later' }] }],
    'GET /api/sessions/s2/rules': () => [200, { rules: [{ toolName: 'Bash' }] }],
    'GET /api/sessions/s2/messages': () => [200, { messages: [{ id: 7, role: 'user', content: [{ type: 'text', text: 'hi' }] }], hasMore: false }],
    'GET /api/sessions/s2/permissions': () => [200, { permissions: [] }],
    'DELETE /api/konsoles/box': () => [204, null],
    'POST /api/sessions/s2/fork': () => [201, session('s3', undefined, { title: 'Fork of s2' })],
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const route = routes[`${req.method} ${url.pathname}`];
      const [status, body] = route ? route(url.searchParams) : [404, { code: 'not_found', error: 'no route ' + url.pathname }];
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 204 ? undefined : JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as any).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests.length = 0;
  });

  const dashboard = () => {
    const d = new Dashboard();
    d.connection.api = new Api(base, 'bridge-token');
    d.konsoles.set(fleet);
    return d;
  };

  it('refreshes every store: sessions, kontasks, each Konsole\'s CLI, and the newest session opens with its info, queue, rules and transcript', async () => {
    const d = dashboard();
    d.ui.view = 'history';
    d.ui.drawerOpen = true;
    await d.refresh();
    expect(d.sessions.list.map((s) => s.id)).toEqual(['s1', 's2']);
    expect(d.kontasks.list.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(d.sessions.selected).toBe('s2');
    expect(d.ui.view).toBe('console');
    expect(d.ui.drawerOpen).toBe(false);
    // Loaded after the select, each by its own request: wait for the answers.
    await vi.waitFor(() => {
      expect(d.sessions.infos.s2?.model).toBe('m');
      expect(d.sessions.waiting.s2?.map((w) => w.id)).toEqual(['q1']);
      expect(d.sessions.rules.s2?.map((r) => r.toolName)).toEqual(['Bash']);
      expect(d.transcripts.peek('s2')?.loaded).toBe(true);
      expect(d.agents.installs.box?.version).toBe('2.0.2');
      expect(d.agents.offers.box?.models.map((m) => m.value)).toEqual(['model-box']);
    });
    // The selected session runs on box: its CLI and models are the ones shown.
    expect(d.sessions.here).toBe('box');
    expect(d.agents.agent?.version).toBe('2.0.2');
    expect(d.agents.models.map((m) => m.value)).toEqual(['model-box']);
    expect(d.agents.installs.local?.version).toBe('2.0.1');
    expect(requests).toContain('GET /api/agent?konsoleId=local');
    expect(requests).toContain('GET /api/sessions/s2/messages?limit=300');
  });

  it('forgets a removed Konsole\'s sessions, their transcripts, its kontasks and the selection among them', async () => {
    const d = dashboard();
    await d.refresh();
    await vi.waitFor(() => expect(d.transcripts.peek('s2')?.loaded).toBe(true));
    await d.konsoles.remove('box');
    expect(requests).toContain('DELETE /api/konsoles/box');
    expect(d.konsoles.konsoles.map((k) => k.id)).toEqual(['local']);
    expect(d.sessions.list.map((s) => s.id)).toEqual(['s1']);
    expect(d.sessions.selected).toBeNull();
    expect(d.transcripts.peek('s2')).toBeUndefined();
    expect(d.kontasks.list.map((k) => k.id)).toEqual(['k1']);
  });

  it('puts a fork on the Konsole of the session it came from, opens it and says so', async () => {
    const d = dashboard();
    await d.refresh();
    await d.sessionActions.fork('s2', { messageId: 7 });
    const fork = d.sessions.byId('s3');
    expect(fork?.konsoleId).toBe('box');
    expect(d.sessions.selected).toBe('s3');
    expect(d.notices.toasts.map((t) => [t.tone, t.text])).toContainEqual(['info', 'Forked into a new session: Fork of s2']);
  });

  it('opens a kontask search hit in the Kontasks view, and a session hit among the archived when its session is', () => {
    const d = dashboard();
    d.nav.openHit({ kind: 'kontask', kontaskId: 'k2', sessionId: '', snippet: '', at: '' });
    expect(d.ui.view).toBe('kontasks');
    expect(d.kontasks.open).toBe('k2');
    d.sessions.upsert(session('old', 'local', { archived: true }));
    d.nav.openHit({ kind: 'message', sessionId: 'old', messageId: 3, snippet: '', at: '' });
    expect(d.ui.view).toBe('console');
    expect(d.sessions.showArchived).toBe(true);
    expect(d.sessions.selected).toBe('old');
    expect(d.transcripts.focus).toEqual({ sessionId: 'old', messageId: 3 });
  });
});
