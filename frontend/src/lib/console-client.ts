// ConsoleClient: the dashboard's connection to the bridge's console
// WebSocket. Framework-free so it runs the same in the window and in a
// browser, and so its timing can be tested with fake timers.
//
// One connection at a time (the lock), reconnect with backoff (1 s doubling
// to 30 s, jittered, 20 attempts, then offline until retry()), stale
// detection, resume with `since`, and prompts queued while offline that are
// sent exactly once after reconnecting (clientMessageId).

import type { KonsoleInfo } from './konsoles';
import type * as contract from './generated/contract';
import { reportErrorCode } from './error-codes';

export type ConnState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; maxAttempts: number; retryAt: number; reason: string }
  | { kind: 'offline'; reason: string };

export interface KonsoleStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'down' | 'unknown';
  url?: string;
  attempt?: number;
  retryInMs?: number;
  error?: string;
  /** Which Konsole (a bridge that follows several says so; an older one does not). */
  konsoleId?: string;
  name?: string;
  latencyMs?: number;
  version?: string;
}

/** One event of Konsole's stream: a union on `type` whose `data` is that
 * type's payload, generated from backend/contract. */
export type KonsoleEvent = contract.KonsoleEvent;

export interface Ack {
  type: 'ack';
  ref: string;
  ok: boolean;
  /** A sentence for people; decide on code, not on this. */
  error?: string;
  /** Machine-readable reason of a failed ack: Konsole's own code, the
   * bridge's (docs/protocol.md), or one of this client's (AckCode). */
  code?: string;
  result?: unknown;
}

/** Codes of the acks this client makes up itself. */
export const AckCode = {
  /** No connection to the bridge when the request was made. */
  NotConnected: 'not_connected',
  /** The connection closed or went stale before the answer came. */
  ConnectionLost: 'connection_lost',
  /** No ack within requestTimeoutMs. */
  Timeout: 'timeout',
} as const;

/**
 * What to do with a prompt whose ack failed, decided on the ack's code:
 * 'reconnect' sends it again after the next hello, 'soon' also retries it
 * after 2 s while connected, 'never' marks it failed. Sending again is safe:
 * the same clientMessageId makes Konsole answer a repeat with the first turn.
 */
export function retryPolicy(ack: Ack): 'never' | 'reconnect' | 'soon' {
  if (ack.ok) return 'never';
  switch (ack.code) {
    case AckCode.NotConnected:
    case AckCode.ConnectionLost:
      return 'reconnect';
    case AckCode.Timeout:
    case 'konsole_unreachable':
    case 'konsole_timeout':
      return 'soon';
    default:
      return 'never';
  }
}

export interface QueuedPrompt {
  clientMessageId: string;
  sessionId: string;
  text: string;
  queuedAt: number;
  state: 'queued' | 'sending' | 'failed';
  error?: string;
}

/** The part of the browser WebSocket the client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
}

export interface ClientOptions {
  /** ws:// or wss:// base of the bridge, e.g. ws://127.0.0.1:7420 */
  baseUrl: string;
  token: string;
  clientId: string;
  socketFactory?: (url: string) => SocketLike;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  jitter?: number;
  staleMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
}

type Listener<T> = (v: T) => void;

const OPEN = 1;
export const CLOSE_REPLACED = 4000;
export const CLOSE_OVERFLOW = 4001;

/** Delay before reconnect attempt n (1-based): base doubling to max, +-jitter. */
export function backoffDelay(n: number, base = 1000, max = 30000, jitter = 0.2, random = Math.random): number {
  const d = Math.min(max, base * 2 ** Math.max(0, n - 1));
  return Math.round(d + (random() * 2 - 1) * jitter * d);
}

export class ConsoleClient {
  state: ConnState = { kind: 'idle' };
  konsole: KonsoleStatus = { state: 'unknown' };
  /** The newest sequence number received; resumes with since. */
  lastSeq = 0;
  readonly queue: QueuedPrompt[] = [];

  private o: Required<Omit<ClientOptions, 'socketFactory'>> & { socketFactory: (url: string) => SocketLike };
  private ws: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: any = null;
  private staleTimer: any = null;
  private closedByUs = false;
  private nextId = 0;
  private waiting = new Map<string, { resolve: (a: Ack) => void; timer: any }>();
  private listeners = {
    /** konsoleId: the Konsole the event came from (absent from an older bridge). */
    event: new Set<Listener<{ event: KonsoleEvent; seq: number; konsoleId?: string }>>(),
    resync: new Set<Listener<string>>(),
    /** The whole list of Konsoles: in hello, and when one is added, removed, renamed or switched. */
    konsoles: new Set<Listener<KonsoleInfo[]>>(),
    state: new Set<Listener<ConnState>>(),
    konsole: new Set<Listener<KonsoleStatus>>(),
    queue: new Set<Listener<QueuedPrompt[]>>(),
    /** A prompt Konsole took: as a turn, or into its session's queue (result.queued). */
    sent: new Set<Listener<{ prompt: QueuedPrompt; result: any }>>(),
  };

  constructor(opts: ClientOptions) {
    this.o = {
      maxAttempts: 20,
      baseDelayMs: 1000,
      maxDelayMs: 30000,
      jitter: 0.2,
      staleMs: 90000,
      requestTimeoutMs: 10000,
      random: Math.random,
      now: () => Date.now(),
      socketFactory: (url: string) => new WebSocket(url) as unknown as SocketLike,
      ...opts,
    } as any;
  }

  on<K extends keyof ConsoleClient['listeners']>(kind: K, fn: Parameters<ConsoleClient['listeners'][K]['add']>[0]): () => void {
    (this.listeners[kind] as Set<any>).add(fn);
    return () => (this.listeners[kind] as Set<any>).delete(fn);
  }

  /** Opens the connection (no-op while one is open or being opened). */
  connect(): void {
    if (this.ws || this.retryTimer) return;
    this.closedByUs = false;
    this.open();
  }

  /** From offline (or any state): start again with a fresh attempt count. */
  retry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.attempt = 0;
    if (this.ws) return;
    this.closedByUs = false;
    this.open();
  }

  /** Closes for good (until connect or retry). */
  close(): void {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    clearTimeout(this.staleTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'closed by the dashboard');
    this.failWaiting('the connection was closed', AckCode.ConnectionLost);
    this.setState({ kind: 'idle' });
  }

  private url(): string {
    const q = new URLSearchParams({ token: this.o.token, clientId: this.o.clientId });
    if (this.lastSeq > 0) q.set('since', String(this.lastSeq));
    return `${this.o.baseUrl.replace(/\/$/, '')}/api/console/ws?${q}`;
  }

  private open(): void {
    this.attempt++;
    if (this.state.kind !== 'reconnecting') this.setState({ kind: 'connecting', attempt: this.attempt });
    let ws: SocketLike;
    try {
      ws = this.o.socketFactory(this.url());
    } catch (e) {
      this.ws = null;
      this.scheduleReconnect(String(e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.armStale();
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.armStale();
      this.handle(String(ev.data));
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearTimeout(this.staleTimer);
      this.failWaiting('the connection closed before the answer came', AckCode.ConnectionLost);
      if (this.closedByUs) return;
      if (ev.code === CLOSE_REPLACED) {
        this.setState({ kind: 'offline', reason: 'Another Konui window or tab took over this connection.' });
        return;
      }
      // A client that fell behind was connected a moment ago: resume at once.
      this.scheduleReconnect(describeClose(ev.code, ev.reason), ev.code === CLOSE_OVERFLOW);
    };
  }

  // attempt counts the connection attempts made since the last hello.
  private scheduleReconnect(reason: string, immediate = false): void {
    if (this.attempt >= this.o.maxAttempts) {
      this.setState({ kind: 'offline', reason: `Could not reach Konui after ${this.o.maxAttempts} attempts (${reason}).` });
      return;
    }
    const delay = immediate ? 0 : backoffDelay(this.attempt + 1, this.o.baseDelayMs, this.o.maxDelayMs, this.o.jitter, this.o.random);
    this.setState({
      kind: 'reconnecting',
      attempt: this.attempt + 1,
      maxAttempts: this.o.maxAttempts,
      retryAt: this.o.now() + delay,
      reason,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private armStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      // Nothing, not even a heartbeat, for too long: the link is dead even if
      // the socket has not noticed.
      const ws = this.ws;
      if (!ws) return;
      this.ws = null;
      ws.onclose = null;
      ws.close(4002, 'stale');
      this.failWaiting('the connection went stale', AckCode.ConnectionLost);
      this.scheduleReconnect('no frame for ' + Math.round(this.o.staleMs / 1000) + ' s');
    }, this.o.staleMs);
  }

  private handle(raw: string): void {
    let f: any;
    try {
      f = JSON.parse(raw);
    } catch {
      return;
    }
    switch (f.type) {
      case 'hello':
        this.attempt = 0;
        this.setState({ kind: 'connected' });
        // A bridge that follows several Konsoles lists them; its "konsole" is the first again.
        if (Array.isArray(f.konsoles)) this.emit('konsoles', f.konsoles);
        else if (f.konsole) this.setKonsole(f.konsole);
        if (typeof f.seq === 'number' && f.seq < this.lastSeq) {
          // The bridge restarted: its numbering began again.
          this.lastSeq = f.seq;
        } else if (this.lastSeq === 0 && typeof f.seq === 'number') {
          this.lastSeq = f.seq;
        }
        this.flushQueue();
        break;
      case 'event':
        if (typeof f.seq === 'number') {
          if (f.seq <= this.lastSeq) return; // already seen
          this.lastSeq = f.seq;
        }
        this.emit('event', { event: f.event, seq: f.seq, konsoleId: f.konsoleId });
        break;
      case 'resync':
        if (typeof f.seq === 'number') this.lastSeq = f.seq;
        this.emit('resync', f.reason ?? 'resync');
        break;
      case 'konsole':
        this.setKonsole(f);
        break;
      case 'konsoles':
        if (Array.isArray(f.konsoles)) this.emit('konsoles', f.konsoles);
        break;
      case 'ack': {
        if (!f.ok) reportErrorCode(f.code);
        const w = this.waiting.get(f.ref);
        if (w) {
          clearTimeout(w.timer);
          this.waiting.delete(f.ref);
          w.resolve(f);
        }
        break;
      }
    }
  }

  private setKonsole(k: any): void {
    this.konsole = { state: k.state, url: k.url, attempt: k.attempt, retryInMs: k.retryInMs, error: k.error };
    for (const f of ['konsoleId', 'name', 'latencyMs', 'version'] as const) if (k[f] !== undefined) this.konsole[f] = k[f];
    this.emit('konsole', this.konsole);
  }

  get connected(): boolean {
    return this.state.kind === 'connected' && !!this.ws && this.ws.readyState === OPEN;
  }

  /** Sends a request and resolves with its ack (never rejects). */
  request(type: string, fields: Record<string, unknown> = {}): Promise<Ack> {
    const id = `r${++this.nextId}-${Math.floor(this.o.random() * 1e9).toString(36)}`;
    if (!this.connected) {
      return Promise.resolve({ type: 'ack', ref: id, ok: false, error: 'not connected to Konui', code: AckCode.NotConnected });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ type: 'ack', ref: id, ok: false, error: 'no answer from Konui in time', code: AckCode.Timeout });
      }, this.o.requestTimeoutMs);
      this.waiting.set(id, { resolve, timer });
      this.ws!.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  /** Sends a prompt now, or queues it while offline; either way it is sent exactly once. */
  prompt(sessionId: string, text: string): QueuedPrompt {
    const p: QueuedPrompt = { clientMessageId: newId(this.o.random), sessionId, text, queuedAt: this.o.now(), state: 'queued' };
    this.queue.push(p);
    this.emitQueue();
    if (this.connected) this.flushQueue();
    return p;
  }

  /** Drops a queued prompt that was not sent (or failed). */
  discard(clientMessageId: string): void {
    const i = this.queue.findIndex((p) => p.clientMessageId === clientMessageId && p.state !== 'sending');
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.emitQueue();
    }
  }

  private flushQueue(): void {
    for (const p of this.queue) {
      if (p.state !== 'queued') continue;
      p.state = 'sending';
      this.emitQueue();
      // A prompt sent while a turn runs waits in Konsole's queue instead of being refused.
      this.request('prompt', { sessionId: p.sessionId, text: p.text, clientMessageId: p.clientMessageId, whenBusy: 'queue' }).then((ack) => {
        const retry = retryPolicy(ack);
        if (ack.ok) {
          this.queue.splice(this.queue.indexOf(p), 1);
          this.emit('sent', { prompt: p, result: ack.result });
        } else if (retry !== 'never') {
          p.state = 'queued'; // sent again, same clientMessageId, after reconnecting
          if (retry === 'soon' && this.connected) {
            setTimeout(() => this.connected && this.flushQueue(), 2000);
          }
        } else {
          p.state = 'failed';
          p.error = ack.error;
        }
        this.emitQueue();
      });
    }
  }

  private failWaiting(reason: string, code: string): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve({ type: 'ack', ref: id, ok: false, error: reason, code });
    }
    this.waiting.clear();
  }

  private setState(s: ConnState): void {
    this.state = s;
    this.emit('state', s);
  }

  private emitQueue(): void {
    this.emit('queue', [...this.queue]);
  }

  private emit(kind: keyof ConsoleClient['listeners'], v: any): void {
    for (const fn of this.listeners[kind] as Set<Listener<any>>) fn(v);
  }
}

function describeClose(code: number, reason: string): string {
  if (reason) return reason;
  if (code === 1006) return 'the connection was lost';
  return `closed with code ${code}`;
}

export function newId(random: () => number = Math.random): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return 'c' + Math.floor(random() * 1e15).toString(36) + Date.now().toString(36);
}
