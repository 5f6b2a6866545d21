// The one boundary to the platform: where the bridge is and its token. In
// the desktop window a bound Go method hands them over; in a browser the
// page comes from the bridge itself and the token arrives in the URL
// fragment (never sent to a server), kept for the tab in sessionStorage.

import type { AgentInstall } from './types';

export interface Connection {
  /** ws:// or wss:// base of the bridge */
  wsBase: string;
  /** http(s) base of the bridge's REST API */
  apiBase: string;
  token: string;
  desktop: boolean;
  /** the desktop app's active Konsole profile ("local" for the embedded one) */
  profile?: string;
}

declare global {
  interface Window {
    go?: { app?: { Desktop?: DesktopBindings } };
    runtime?: { EventsOn(name: string, cb: (...args: any[]) => void): () => void };
  }
}

/** The Go methods the desktop app binds (app.Desktop). */
export interface DesktopBindings {
  Connection(): Promise<{ url: string; token: string; profile: string }>;
  GetSettings(): Promise<DesktopSettings>;
  SaveProfile(id: string, name: string, url: string, token: string): Promise<ProfileView>;
  DeleteProfile(id: string): Promise<void>;
  UseProfile(id: string): Promise<void>;
  TestProfile(url: string, token: string): Promise<string>;
  SetNotifications(kontasks: boolean, turns: boolean, permissions: boolean): Promise<void>;
  SetHideToTray(hide: boolean): Promise<void>;
  SetPaused(paused: boolean): Promise<void>;
  SetFocused(focused: boolean): Promise<void>;
  /** Absent in older builds of the app. */
  DashboardReady?(sessions: number): Promise<void>;
  /** The OS's folder dialog; resolves "" when cancelled. */
  PickFolder?(start: string): Promise<string>;
  /** Saves the Claude Code path in the settings and uses it at once (local Konsole). */
  SetClaudePath(path: string): Promise<AgentInstall>;
}

export interface ProfileView {
  id: string;
  name: string;
  url: string;
  hasToken: boolean;
}

export interface DesktopSettings {
  profiles: ProfileView[];
  active: string;
  override?: string;
  notifyKontasks: boolean;
  notifyTurns: boolean;
  notifyPermissions: boolean;
  hideToTray: boolean;
  /** whether a tray host is there (hide-to-tray only works with one) */
  trayAvailable: boolean;
  claudePath: string;
  paused: boolean;
}

export function desktop(): DesktopBindings | undefined {
  return window.go?.app?.Desktop;
}

const TOKEN_KEY = 'konui.token';

export async function connection(): Promise<Connection> {
  const d = desktop();
  if (d) {
    // The bridge may still be starting right after the window opens.
    let last: unknown;
    for (let i = 0; i < 50; i++) {
      try {
        const c = await d.Connection();
        return { wsBase: c.url.replace(/^http/, 'ws'), apiBase: c.url, token: c.token, desktop: true, profile: c.profile };
      } catch (e) {
        last = e;
        if (!/still starting/.test(String(e))) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw last;
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
