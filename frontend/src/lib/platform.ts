// The one boundary to the platform: where the bridge is and its token. In
// the desktop window a bound Go method hands them over; in a browser the
// page comes from the bridge itself and the token arrives in the URL
// fragment (never sent to a server), kept for the tab in sessionStorage.

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
    go?: { app?: { App?: { Connection(): Promise<{ url: string; token: string }> } } };
    runtime?: { EventsOn(name: string, cb: (...args: any[]) => void): () => void };
  }
}

const TOKEN_KEY = 'konui.token';

export async function connection(): Promise<Connection> {
  const bound = window.go?.app?.App?.Connection;
  if (bound) {
    const c = await bound();
    return { wsBase: c.url.replace(/^http/, 'ws'), apiBase: c.url, token: c.token, desktop: true };
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
export function onDesktopEvent(name: string, cb: (...args: any[]) => void): () => void {
  return window.runtime?.EventsOn(name, cb) ?? (() => {});
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
