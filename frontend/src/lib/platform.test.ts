import { afterEach, describe, expect, it, vi } from 'vitest';
import { connection, desktop, desktopEvents, onDesktopEvent } from './platform';

// The generated bindings and runtime reach Go through window.go and
// window.runtime, which only the desktop window has.
const g = globalThis as any;

afterEach(() => {
  delete g.window;
});

describe('platform', () => {
  it('has no desktop bindings in a plain browser, and desktop events are a no-op there', () => {
    g.window = {};
    expect(desktop()).toBeUndefined();
    const off = onDesktopEvent(desktopEvents.openKontask, () => {});
    expect(() => off()).not.toThrow();
  });

  it('calls the bound Go methods through the generated bindings in the window', async () => {
    g.window = { go: { app: { Page: { Connection: async () => ({ url: 'http://127.0.0.1:1', token: 't' }) } } } };
    const d = desktop();
    expect(d).toBeDefined();
    expect(await d!.Connection()).toEqual({ url: 'http://127.0.0.1:1', token: 't' });
  });

  it('subscribes to a desktop event through the Wails runtime in the window', () => {
    const seen: unknown[][] = [];
    let unsubscribed = false;
    g.window = {
      runtime: {
        EventsOnMultiple(name: string, cb: (...a: unknown[]) => void, max: number) {
          seen.push([name, max]);
          cb('k1');
          return () => (unsubscribed = true);
        },
      },
    };
    const got: unknown[] = [];
    const off = onDesktopEvent(desktopEvents.openSession, (id) => got.push(id));
    expect(seen).toEqual([['konui:open-session', -1]]);
    expect(got).toEqual(['k1']);
    off();
    expect(unsubscribed).toBe(true);
  });
});

describe('connection in the desktop window', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks again while the bridge says it is starting, then connects', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const Connection = async () => (++calls < 3 ? { url: '', token: '', starting: true } : { url: 'http://127.0.0.1:9', token: 't' });
    g.window = { go: { app: { Page: { Connection } } } };
    const c = connection();
    await vi.advanceTimersByTimeAsync(400);
    expect(await c).toEqual({ wsBase: 'ws://127.0.0.1:9', apiBase: 'http://127.0.0.1:9', token: 't', desktop: true });
    expect(calls).toBe(3);
  });

  it('gives up after ten seconds of starting', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const Connection = async () => (calls++, { url: '', token: '', starting: true });
    g.window = { go: { app: { Page: { Connection } } } };
    const c = connection().catch((e) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await c).toBe('Konui is still starting');
    expect(calls).toBe(50);
  });

  it('does not retry when Konui could not start, whatever the error says', async () => {
    let calls = 0;
    const Connection = async () => {
      calls++;
      throw 'failed to start Konui: still starting something';
    };
    g.window = { go: { app: { Page: { Connection } } } };
    await expect(connection()).rejects.toBe('failed to start Konui: still starting something');
    expect(calls).toBe(1);
  });
});
