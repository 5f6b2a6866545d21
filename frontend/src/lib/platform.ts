// The one boundary to the platform: where the bridge is and its token. In
// the desktop window a bound Go method hands them over; in a browser the
// page comes from the bridge itself and the token arrives in the URL
// fragment (never sent to a server), kept for the tab in sessionStorage.

import * as Page from '../../wailsjs/go/app/Page';
import type { app } from '../../wailsjs/go/models';
import { EventsOn } from '../../wailsjs/runtime/runtime';

export interface Connection {
  /** ws:// or wss:// base of the bridge */
  wsBase: string;
  /** http(s) base of the bridge's REST API */
  apiBase: string;
  token: string;
  desktop: boolean;
}

declare global {
  interface Window {
    go?: { app?: { Page?: unknown } };
    runtime?: unknown;
  }
}

/**
 * The Go methods the desktop app binds (app.Page), as Wails generates them
 * into frontend/wailsjs (`make bindings`; a Go test fails when they are
 * stale). They exist only in the window: see desktop().
 */
export type DesktopBindings = typeof Page;

export type DesktopSettings = app.SettingsView;

/** The bound methods in the desktop window; undefined in a browser. */
export function desktop(): DesktopBindings | undefined {
  return window.go?.app?.Page ? Page : undefined;
}

/**
 * The events the desktop app sends the page (app/events.go names the same
 * ones; a Go test checks the two lists against each other).
 */
export const desktopEvents = {
  /** open a kontask (its id): a notification was clicked */
  openKontask: 'konui:open-kontask',
  /** open a session (its id): a notification was clicked */
  openSession: 'konui:open-session',
} as const;

export type DesktopEvent = (typeof desktopEvents)[keyof typeof desktopEvents];

const TOKEN_KEY = 'konui.token';

export async function connection(): Promise<Connection> {
  const d = desktop();
  if (d) {
    // The bridge may still be starting right after the window opens: it
    // says so (starting), and fails only when Konui could not start.
    for (let i = 0; i < 50; i++) {
      const c = await d.Connection();
      if (!c.starting) return { wsBase: c.url.replace(/^http/, 'ws'), apiBase: c.url, token: c.token, desktop: true };
      await new Promise((r) => setTimeout(r, 200));
    }
    // A string, as the bound method's errors arrive.
    throw 'Konui is still starting';
  }
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  return { wsBase, apiBase: location.origin, token, desktop: false };
}

/** Subscribes to an event the desktop app sends (no-op in a browser). */
export function onDesktopEvent(name: DesktopEvent, cb: (...args: any[]) => void): () => void {
  return window.runtime ? EventsOn(name, cb) : () => {};
}

/** A stable id for this tab, so that the bridge's lock replaces its own stale connection. */
export function clientId(): string {
  let id = sessionStorage.getItem('konui.clientId');
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem('konui.clientId', id);
  }
  return id;
}
