import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckCode, ConsoleClient, backoffDelay, retryPolicy, type SocketLike } from './console-client';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  closedWith: number | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  // server side
  accept(seq = 0) {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ type: 'hello', seq, heartbeatMs: 30000, konsole: { state: 'connected', url: 'http://k' } });
  }
  frame(f: any) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  ack(ok = true, extra: any = {}) {
    const req = this.sent[this.sent.length - 1];
    this.frame({ type: 'ack', ref: req.id, ok, ...extra });
  }
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1];

function client(opts: any = {}) {
  return new ConsoleClient({
    baseUrl: 'ws://bridge',
    token: 'tok',
    clientId: 'tab-1',
    socketFactory: (url) => new FakeSocket(url),
    random: () => 0.5, // no jitter
    now: () => Date.now(),
    ...opts,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => vi.useRealTimers());

describe('backoff', () => {
  it('doubles from 1 s and is capped at 30 s', () => {
    const seq = [1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, 1000, 30000, 0));
    expect(seq).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('jitters within the fraction', () => {
    expect(backoffDelay(1, 1000, 30000, 0.2, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 30000, 0.2, () => 1)).toBe(1200);
  });
});

describe('ConsoleClient', () => {
  it('connects with the token and clientId and becomes connected on hello', () => {
    const c = client();
    c.connect();
    expect(last().url).toBe('ws://bridge/api/console/ws?token=tok&clientId=tab-1');
    last().accept(7);
    expect(c.state.kind).toBe('connected');
    expect(c.konsole.state).toBe('connected');
  });

  it('keeps one connection at a time', () => {
    const c = client();
    c.connect();
    c.connect();
    c.retry();
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reconnects on the backoff schedule and goes offline after 20 attempts', () => {
    const c = client();
    const states: any[] = [];
    c.on('state', (s) => states.push(s));
    c.connect();
    last().accept();
    last().drop();
    const waits: number[] = [];
    for (let i = 0; i < 25 && c.state.kind === 'reconnecting'; i++) {
      const s = c.state as any;
      waits.push(s.retryAt - Date.now());
      expect(s.maxAttempts).toBe(20);
      vi.advanceTimersByTime(s.retryAt - Date.now());
      last().drop();
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, ...Array(15).fill(30000)]);
    expect(FakeSocket.all).toHaveLength(21);
    expect(c.state.kind).toBe('offline');
    vi.advanceTimersByTime(120000);
    expect(FakeSocket.all).toHaveLength(21); // no more attempts on its own
    c.retry();
    expect(FakeSocket.all).toHaveLength(22);
    last().accept();
    expect(c.state.kind).toBe('connected');
  });

  it('reports the attempt number while reconnecting', () => {
    const c = client();
    c.connect();
    last().accept();
    last().drop();
    expect(c.state).toMatchObject({ kind: 'reconnecting', attempt: 1 });
    vi.advanceTimersByTime(1000);
    last().drop();
    expect(c.state).toMatchObject({ kind: 'reconnecting', attempt: 2 });
  });

  it('resumes with since after a drop and skips frames already seen', () => {
    const c = client();
    const seen: number[] = [];
    c.on('event', ({ seq }) => seen.push(seq));
    c.connect();
    last().accept(0);
    for (const seq of [1, 2, 3]) last().frame({ type: 'event', seq, event: { id: seq, type: 'text.delta' } });
    last().drop();
    vi.advanceTimersByTime(1000);
    expect(last().url).toContain('since=3');
    last().accept(5);
    for (const seq of [3, 4, 5]) last().frame({ type: 'event', seq, event: { id: seq, type: 'text.delta' } });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('tells the view to refetch on resync', () => {
    const c = client();
    const resyncs: string[] = [];
    c.on('resync', (r) => resyncs.push(r));
    c.connect();
    last().accept();
    last().frame({ type: 'resync', seq: 40, reason: 'since-out-of-range' });
    expect(resyncs).toEqual(['since-out-of-range']);
    expect(c.lastSeq).toBe(40);
  });

  it('detects a stale connection after 90 s without a frame and reconnects', () => {
    const c = client();
    c.connect();
    last().accept();
    vi.advanceTimersByTime(60000);
    last().frame({ type: 'heartbeat', at: 'now' });
    vi.advanceTimersByTime(89000);
    expect(c.state.kind).toBe('connected');
    vi.advanceTimersByTime(2000);
    expect(FakeSocket.all[0].closedWith).toBe(4002);
    expect(c.state).toMatchObject({ kind: 'reconnecting', attempt: 1 });
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('goes offline without fighting when another tab takes the lock (4000)', () => {
    const c = client();
    c.connect();
    last().accept();
    last().drop(4000, 'replaced');
    expect(c.state.kind).toBe('offline');
    vi.advanceTimersByTime(60000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('queues prompts while offline and sends each exactly once after reconnecting', async () => {
    const c = client();
    c.connect();
    last().accept();
    last().drop();
    const p = c.prompt('s1', 'typed while offline');
    expect(c.queue).toHaveLength(1);
    expect(last().sent).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    last().accept();
    const sent = last().sent;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'prompt', sessionId: 's1', text: 'typed while offline', clientMessageId: p.clientMessageId });
    // The connection drops before the ack: the same prompt goes again with the
    // same clientMessageId (Konsole answers a repeat with the first turn).
    last().drop();
    await Promise.resolve();
    vi.advanceTimersByTime(1000);
    last().accept();
    expect(last().sent).toHaveLength(1);
    expect(last().sent[0].clientMessageId).toBe(p.clientMessageId);
    last().ack(true, { result: { turnId: 't1' } });
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue).toHaveLength(0);
    last().drop();
    vi.advanceTimersByTime(1000);
    last().accept();
    expect(last().sent).toHaveLength(0);
  });

  it('marks a prompt failed when Konsole refuses it', async () => {
    const c = client();
    c.connect();
    last().accept();
    c.prompt('s1', 'hi');
    last().ack(false, { error: 'a turn is already running in this session', code: 'conflict' });
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue[0]).toMatchObject({ state: 'failed', error: 'a turn is already running in this session' });
  });

  it('decides on the code and not on the words: a refusal that mentions a timeout still fails', async () => {
    const c = client();
    c.connect();
    last().accept();
    c.prompt('s1', 'hi');
    last().ack(false, { error: 'the session closed: the agent timeout was reached, unreachable', code: 'agent_unavailable' });
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue[0].state).toBe('failed');
    vi.advanceTimersByTime(10000);
    expect(last().sent).toHaveLength(1);
  });

  it('sends a prompt again after 2 s, with the same clientMessageId, when Konsole was unreachable whatever the sentence', async () => {
    const c = client();
    c.connect();
    last().accept();
    const p = c.prompt('s1', 'hi');
    last().ack(false, { error: 'Konsole ist nicht erreichbar', code: 'konsole_unreachable' });
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue[0].state).toBe('queued');
    vi.advanceTimersByTime(2000);
    expect(last().sent).toHaveLength(2);
    expect(last().sent[1].clientMessageId).toBe(p.clientMessageId);
    last().ack(true, { result: { turnId: 't1' } });
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue).toHaveLength(0);
  });

  it('keeps a prompt queued for the next connection when the connection is lost before its ack', async () => {
    const c = client();
    c.connect();
    last().accept();
    const p = c.prompt('s1', 'hi');
    last().drop();
    await Promise.resolve();
    await Promise.resolve();
    expect(c.queue[0].state).toBe('queued');
    vi.advanceTimersByTime(1000);
    last().accept();
    expect(last().sent).toEqual([expect.objectContaining({ type: 'prompt', clientMessageId: p.clientMessageId })]);
  });

  it('maps every code to a retry policy', () => {
    const ack = (code?: string, ok = false) => ({ type: 'ack' as const, ref: 'r', ok, code });
    expect(retryPolicy(ack(AckCode.NotConnected))).toBe('reconnect');
    expect(retryPolicy(ack(AckCode.ConnectionLost))).toBe('reconnect');
    expect(retryPolicy(ack(AckCode.Timeout))).toBe('soon');
    expect(retryPolicy(ack('konsole_unreachable'))).toBe('soon');
    expect(retryPolicy(ack('konsole_timeout'))).toBe('soon');
    for (const code of ['bad_request', 'conflict', 'not_found', 'storage_unavailable', 'agent_unavailable', 'konsole_error', 'internal', undefined]) {
      expect(retryPolicy(ack(code))).toBe('never');
    }
    expect(retryPolicy(ack('konsole_unreachable', true))).toBe('never');
  });

  it('answers a request with an error ack when not connected or when no ack comes', async () => {
    const c = client({ requestTimeoutMs: 5000 });
    expect(await c.request('stop', { sessionId: 's' })).toMatchObject({ ok: false, code: AckCode.NotConnected });
    c.connect();
    last().accept();
    const pending = c.request('stop', { sessionId: 's' });
    vi.advanceTimersByTime(5000);
    const ack = await pending;
    expect(ack).toMatchObject({ ok: false, error: 'no answer from Konui in time', code: AckCode.Timeout });
  });

  it('hands over the Konsole list of hello and of konsoles frames, and says which Konsole an event or state is from', () => {
    const c = client();
    const lists: any[] = [];
    const states: any[] = [];
    const events: any[] = [];
    c.on('konsoles', (l) => lists.push(l.map((k) => k.id)));
    c.on('konsole', (k) => states.push(k));
    c.on('event', (e) => events.push(e));
    c.connect();
    last().readyState = 1;
    last().frame({ type: 'hello', seq: 3, konsole: { state: 'connected' }, konsoles: [{ id: 'local', name: 'Local', state: 'connected' }, { id: 'dev', name: 'dev', state: 'down' }] });
    // The list stands for the first Konsole too: no separate state for it.
    expect(lists).toEqual([['local', 'dev']]);
    expect(states).toEqual([]);
    last().frame({ type: 'konsole', konsoleId: 'dev', name: 'dev', state: 'reconnecting', attempt: 2, retryInMs: 2000, latencyMs: 4 });
    expect(states).toEqual([{ konsoleId: 'dev', name: 'dev', state: 'reconnecting', attempt: 2, retryInMs: 2000, latencyMs: 4, url: undefined, error: undefined }]);
    last().frame({ type: 'event', seq: 4, konsoleId: 'dev', event: { id: 9, type: 'session.created', data: {} } });
    expect(events).toEqual([{ seq: 4, konsoleId: 'dev', event: { id: 9, type: 'session.created', data: {} } }]);
    last().frame({ type: 'konsoles', konsoles: [{ id: 'local', name: 'Local', state: 'connected' }] });
    expect(lists).toEqual([['local', 'dev'], ['local']]);
  });

  it('still reads the one konsole of an older bridge', () => {
    const c = client();
    const states: any[] = [];
    c.on('konsole', (k) => states.push(k));
    c.connect();
    last().accept();
    expect(states).toEqual([{ state: 'connected', url: 'http://k', attempt: undefined, retryInMs: undefined, error: undefined }]);
  });
});
