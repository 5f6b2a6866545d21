import { describe, expect, it } from 'vitest';
import {
  addFailure,
  addRequest,
  canRetry,
  fleetSummary,
  groupSessions,
  konsoleBadge,
  mergeSessions,
  pickKonsole,
  targetKind,
  withKonsole,
  type KonsoleInfo,
} from './konsoles';
import type { Session } from './types';

const k = (id: string, state: KonsoleInfo['state'] = 'connected', extra: Partial<KonsoleInfo> = {}): KonsoleInfo => ({ id, name: id === 'local' ? 'Local' : id, state, ...extra });
const s = (id: string, konsoleId?: string, extra: Partial<Session> = {}): Session =>
  ({ id, konsoleId, cwd: '/w', status: 'idle', model: '', agentSessionId: '', title: id, createdAt: '', updatedAt: '', pendingPermissions: 0, totalCostUsd: 0, ...extra }) as Session;

describe('groupSessions', () => {
  it('puts the local Konsole first and lists each group newest first', () => {
    const groups = groupSessions([s('a', 'dev'), s('b', 'local'), s('c', 'dev')], [k('dev'), k('local')]);
    expect(groups.map((g) => g.konsole.id)).toEqual(['local', 'dev']);
    expect(groups[1].sessions.map((x) => x.id)).toEqual(['c', 'a']);
  });

  it('keeps a group for a Konsole without sessions and marks the groups of Konsoles that do not answer', () => {
    const groups = groupSessions([s('a', 'local')], [k('local'), k('dev', 'down', { error: 'connection refused' }), k('off', 'connected', { enabled: false })]);
    expect(groups.map((g) => [g.konsole.id, g.sessions.length, g.stale])).toEqual([
      ['local', 1, false],
      ['dev', 0, true],
      ['off', 0, true],
    ]);
  });

  it('gives sessions of a Konsole the list does not know a group of their own, and those without konsoleId to the first', () => {
    const groups = groupSessions([s('a', 'gone'), s('b')], [k('local')]);
    expect(groups.map((g) => [g.konsole.id, g.sessions.map((x) => x.id), g.stale])).toEqual([
      ['local', ['b'], false],
      ['gone', ['a'], true],
    ]);
  });

  it('shows archived sessions only in the archived list', () => {
    const list = [s('a', 'local', { archived: true }), s('b', 'local')];
    expect(groupSessions(list, [k('local')])[0].sessions.map((x) => x.id)).toEqual(['b']);
    expect(groupSessions(list, [k('local')], true)[0].sessions.map((x) => x.id)).toEqual(['a']);
  });
});

describe('mergeSessions', () => {
  it('keeps the known sessions of an unavailable Konsole and takes the rest from the answer', () => {
    const known = [s('a', 'dev'), s('b', 'local'), s('gone', 'local')];
    const fresh = [s('b', 'local', { title: 'new' }), s('c', 'local')];
    const merged = mergeSessions(known, fresh, ['dev']);
    expect(merged.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(merged[1].title).toBe('new');
  });

  it('takes the answer as it is when every Konsole answered', () => {
    expect(mergeSessions([s('a', 'dev')], [s('b', 'local')]).map((x) => x.id)).toEqual(['b']);
  });
});

describe('konsoleBadge', () => {
  it('says nothing more than connected when all is well', () => {
    expect(konsoleBadge(k('dev'))).toEqual({ tone: 'ok', label: 'connected', sentence: '' });
  });

  it('gives the attempt and a countdown to the next try while reconnecting', () => {
    const b = konsoleBadge(k('dev', 'reconnecting', { attempt: 3, retryAt: 10_000, error: 'connection refused.' }), 6_200);
    expect(b.tone).toBe('warn');
    expect(b.label).toBe('reconnecting');
    expect(b.sentence).toBe('Lost the connection to dev; Konui is trying again (attempt 3, next in 4 s). Its sessions show their last known state until it answers.');
    expect(b.detail).toBe('connection refused.');
  });

  it('says what to check when a Konsole is down, with its error', () => {
    const b = konsoleBadge(k('dev box', 'down', { error: 'Konsole is unreachable at https://dev:7421' }));
    expect(b).toMatchObject({ tone: 'bad', label: 'down' });
    expect(b.sentence).toContain('dev box is down.');
    expect(b.detail).toBe('Konsole is unreachable at https://dev:7421');
    expect(b.sentence).toContain('"konui konsole" runs there');
  });

  it('tells how to turn a disabled Konsole back on', () => {
    expect(konsoleBadge(k('dev', 'down', { enabled: false })).sentence).toBe('dev is turned off: Konui does not follow it. Turn it on in Settings to follow its sessions again.');
  });
});

describe('canRetry', () => {
  it('offers "Retry now" for a Konsole that is on and waits to reconnect', () => {
    expect(canRetry(k('a', 'down'))).toBe(true);
    expect(canRetry(k('a', 'reconnecting'))).toBe(true);
    expect(canRetry(k('a', 'connected'))).toBe(false);
    expect(canRetry(k('a', 'connecting'))).toBe(false);
    expect(canRetry(k('a', 'down', { enabled: false }))).toBe(false);
  });
});

describe('fleetSummary', () => {
  it('reads as before with one Konsole', () => {
    expect(fleetSummary([k('local')]).text).toBe('Konsole up');
    expect(fleetSummary([k('local', 'down', { error: 'gone' })])).toMatchObject({ state: 'down', text: 'Konsole down: gone' });
    expect(fleetSummary([k('local', 'reconnecting', { attempt: 2, retryInMs: 400 })]).text).toBe('Konsole unreachable, retrying (attempt 2, next in under a second)');
  });

  it('takes the worst state of several and names the ones not up', () => {
    const sum = fleetSummary([k('local'), k('dev', 'down'), k('ci', 'reconnecting'), k('off', 'down', { enabled: false })]);
    expect(sum.state).toBe('down');
    expect(sum.text).toBe('Konsoles: 1 of 3 up; dev down, ci reconnecting');
    expect(fleetSummary([k('local'), k('dev')]).text).toBe('2 Konsoles up');
  });
});

describe('pickKonsole', () => {
  it('preselects the remembered Konsole, else the local one, else the first that answers', () => {
    const list = [k('local'), k('dev')];
    expect(pickKonsole(list, 'dev')).toBe('dev');
    expect(pickKonsole(list, 'removed')).toBe('local');
    expect(pickKonsole([k('dev', 'down'), k('ci')], null)).toBe('ci');
    expect(pickKonsole([k('local'), k('dev', 'connected', { enabled: false })], 'dev')).toBe('local');
  });
});

describe('withKonsole', () => {
  it('adds konsoleId to a path with or without a query', () => {
    expect(withKonsole('/models', 'dev box')).toBe('/models?konsoleId=dev%20box');
    expect(withKonsole('/fs/dirs?prefix=%2F', 'dev')).toBe('/fs/dirs?prefix=%2F&konsoleId=dev');
    expect(withKonsole('/agent', undefined)).toBe('/agent');
  });
});

describe('addRequest', () => {
  it('tells a pairing string, an ssh address and a URL apart', () => {
    expect(targetKind('  konui://pair?v=1&url=x ')).toBe('pairing');
    expect(targetKind('ssh://me@box')).toBe('ssh');
    expect(targetKind('https://box:7421')).toBe('url');
    expect(targetKind('box:7421')).toBe('unknown');
    expect(addRequest({ target: ' konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=ab ', name: ' Box ' })).toEqual({
      body: { name: 'Box', pairing: 'konui://pair?v=1&url=https%3A%2F%2Fbox&token=t&sha256=ab' },
    });
    expect(addRequest({ target: 'ssh://me@box:2222' })).toEqual({ body: { name: undefined, ssh: 'ssh://me@box:2222' } });
    expect(addRequest({ target: 'https://box:7421', token: ' T ' })).toEqual({ body: { name: undefined, url: 'https://box:7421', token: 'T' } });
  });

  it('asks for the token of a URL and says what an unknown text should be', () => {
    expect(addRequest({ target: 'https://box:7421' })).toMatchObject({ field: 'token' });
    expect(addRequest({ target: '' })).toMatchObject({ field: 'target' });
    const r = addRequest({ target: 'box:7421' });
    expect('error' in r && r.error).toContain('"box:7421" is not a pairing string');
  });
});

describe('addFailure', () => {
  it('keeps the bridge sentence and adds the next step for each code', () => {
    expect(addFailure('certificate_mismatch', 'The certificate of box is not the paired one.')).toMatchObject({ message: 'The certificate of box is not the paired one.', field: 'target' });
    expect(addFailure('konsole_unauthorized', 'x').field).toBe('token');
    expect(addFailure('pairing_invalid', 'x').hint).toContain('whole pairing string');
    expect(addFailure('ssh_failed', 'x').hint).toContain('konui is installed there');
    expect(addFailure('konsole_unreachable', 'x').hint).toContain('listens on that address');
    expect(addFailure('something_new', 'x')).toEqual({ message: 'X.', hint: '', field: 'target' });
    expect(addFailure('fleet_read_only', "this bridge's Konsoles are fixed")).toMatchObject({ message: "This bridge's Konsoles are fixed.", field: '' });
  });
});
