// The fleet of Konsoles as the dashboard shows it: pure logic, no runes, so
// it is tested on its own. Shapes follow GET /api/konsoles (docs/protocol.md).

import type { Session } from './types';
import { sentence } from './text';

/** The id of the Konsole on this machine (the embedded or local one). */
export const LOCAL = 'local';

export type KonsoleState = 'connecting' | 'connected' | 'reconnecting' | 'down' | 'unknown';

/** One Konsole the bridge follows (GET /api/konsoles, hello, konsoles frames). */
export interface KonsoleInfo {
  id: string;
  name: string;
  url?: string;
  state: KonsoleState;
  version?: string;
  /** local | url | pairing | ssh */
  kind?: string;
  enabled?: boolean;
  removable?: boolean;
  attempt?: number;
  retryInMs?: number;
  error?: string;
  /** The last round trip of the bridge's GET /healthz to it. */
  latencyMs?: number;
  /** The dashboard's own: when the next try is due (Date.now() time), from retryInMs on arrival. */
  retryAt?: number;
}

/** The local Konsole first, the others in the bridge's order. */
export function sortKonsoles(list: KonsoleInfo[]): KonsoleInfo[] {
  return [...list].sort((a, b) => Number(b.id === LOCAL) - Number(a.id === LOCAL));
}

/** Whether a Konsole answers now (its sessions are live, not the last known state). */
export function isAvailable(k: KonsoleInfo | undefined): boolean {
  return !!k && k.enabled !== false && k.state === 'connected';
}

/** The Konsole a session belongs to: its konsoleId, or (from an older bridge) the first. */
export function konsoleOf(s: { konsoleId?: string }, konsoles: KonsoleInfo[]): string {
  return s.konsoleId ?? konsoles[0]?.id ?? LOCAL;
}

export interface SessionGroup {
  konsole: KonsoleInfo;
  /** Newest first. */
  sessions: Session[];
  /** The sessions shown are the last known ones: the Konsole does not answer. */
  stale: boolean;
}

/**
 * Groups sessions by Konsole, one group per Konsole (empty ones too, so a
 * Konsole that is down still shows), in the fleet's order; sessions of a
 * Konsole the list does not know (yet) get a group of their own.
 */
export function groupSessions(sessions: Session[], konsoles: KonsoleInfo[], archived = false): SessionGroup[] {
  const groups = new Map<string, SessionGroup>();
  for (const k of sortKonsoles(konsoles)) groups.set(k.id, { konsole: k, sessions: [], stale: !isAvailable(k) });
  for (let i = sessions.length - 1; i >= 0; i--) {
    const s = sessions[i];
    if (!!s.archived !== archived) continue;
    const id = konsoleOf(s, konsoles);
    let g = groups.get(id);
    if (!g) {
      g = { konsole: { id, name: id, state: 'unknown' }, sessions: [], stale: true };
      groups.set(id, g);
    }
    g.sessions.push(s);
  }
  return [...groups.values()];
}

/**
 * The session list after a refresh: what GET /api/sessions answered, plus the
 * sessions already known of each Konsole it names as unavailable (those are
 * kept, marked by their group, rather than lost while it is away).
 */
export function mergeSessions(known: Session[], fresh: Session[], unavailable: string[] = []): Session[] {
  if (!unavailable.length) return fresh;
  const away = new Set(unavailable);
  const ids = new Set(fresh.map((s) => s.id));
  const kept = known.filter((s) => s.konsoleId && away.has(s.konsoleId) && !ids.has(s.id));
  return [...kept, ...fresh];
}

/** "under a second", "4 s": how long until the next try. */
export function retryText(ms: number): string {
  return ms < 1000 ? 'under a second' : Math.ceil(ms / 1000) + ' s';
}

/** "<1 ms", "12 ms", "1.2 s". */
export function latencyText(ms: number | undefined): string {
  if (ms == null) return '';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return Math.round(ms) + ' ms';
  return (ms / 1000).toFixed(1) + ' s';
}

export interface Badge {
  tone: 'ok' | 'busy' | 'warn' | 'bad' | 'dim';
  /** A word or two for the badge. */
  label: string;
  /** What is going on and what a person can do about it; '' when all is well. */
  sentence: string;
  /** The bridge's own words on why (its last error), for a tooltip or a banner. */
  detail?: string;
}

/** How long until a reconnecting Konsole's next try, counted down from its frame. */
export function retryLeft(k: KonsoleInfo, now: number): number | undefined {
  if (k.retryAt != null) return Math.max(0, k.retryAt - now);
  return k.retryInMs;
}

/** The state badge of a Konsole and, when it is not connected, a sentence to act on. */
export function konsoleBadge(k: KonsoleInfo, now = Date.now()): Badge {
  if (k.enabled === false) {
    return { tone: 'dim', label: 'off', sentence: `${k.name} is turned off: Konui does not follow it. Turn it on in Settings to follow its sessions again.` };
  }
  const detail = k.error || undefined;
  switch (k.state) {
    case 'connected':
      return { tone: 'ok', label: 'connected', sentence: '' };
    case 'connecting':
      return { tone: 'busy', label: 'connecting', sentence: `Connecting to ${k.name}…` };
    case 'reconnecting': {
      const left = retryLeft(k, now);
      const tries = [k.attempt ? `attempt ${k.attempt}` : '', left != null ? `next in ${retryText(left)}` : ''].filter(Boolean).join(', ');
      return {
        tone: 'warn',
        label: 'reconnecting',
        sentence: `Lost the connection to ${k.name}; Konui is trying again${tries ? ` (${tries})` : ''}. Its sessions show their last known state until it answers.`,
        detail,
      };
    }
    case 'down':
      return {
        tone: 'bad',
        label: 'down',
        sentence: `${k.name} is down. Check that "konui konsole" runs there and can be reached; Konui keeps trying (Settings › Konsoles can turn it off).`,
        detail,
      };
    default:
      return { tone: 'dim', label: 'unknown', sentence: `Konui does not know this Konsole (${k.name}) any more; its sessions are the last ones seen.` };
  }
}

const ORDER: KonsoleState[] = ['down', 'reconnecting', 'connecting', 'unknown', 'connected'];

/** The fleet in one item of the status bar: the worst state and a short text. */
export function fleetSummary(list: KonsoleInfo[], now = Date.now()): { state: KonsoleState; tone: Badge['tone']; text: string } {
  const on = list.filter((k) => k.enabled !== false);
  if (!on.length) return { state: 'unknown', tone: 'dim', text: 'Konsole: unknown' };
  const worst = ORDER.find((s) => on.some((k) => k.state === s)) ?? 'unknown';
  if (on.length === 1) {
    const k = on[0];
    const b = konsoleBadge(k, now);
    const left = retryLeft(k, now);
    const text =
      k.state === 'connected'
        ? 'Konsole up'
        : k.state === 'reconnecting'
          ? `Konsole unreachable, retrying (attempt ${k.attempt ?? 1}${left != null ? `, next in ${retryText(left)}` : ''})`
          : k.state === 'down'
            ? 'Konsole down: ' + (k.error ?? 'unreachable')
            : 'Konsole: ' + k.state;
    return { state: k.state, tone: b.tone, text };
  }
  const up = on.filter((k) => k.state === 'connected').length;
  const notUp = on.filter((k) => k.state !== 'connected').map((k) => `${k.name} ${k.state}`);
  return { state: worst, tone: konsoleBadge({ id: '', name: '', state: worst }).tone, text: notUp.length ? `Konsoles: ${up} of ${on.length} up; ${notUp.join(', ')}` : `${on.length} Konsoles up` };
}

/** Adds ?konsoleId= (or &konsoleId=) to a REST path; no id, no change. */
export function withKonsole(path: string, konsoleId: string | undefined | null): string {
  if (!konsoleId) return path;
  return path + (path.includes('?') ? '&' : '?') + 'konsoleId=' + encodeURIComponent(konsoleId);
}

/**
 * The Konsole a new session starts on: the remembered one while it is there
 * and turned on, else the local one, else the first that answers, else the first.
 */
export function pickKonsole(list: KonsoleInfo[], remembered: string | null): string {
  const on = list.filter((k) => k.enabled !== false);
  if (remembered && on.some((k) => k.id === remembered)) return remembered;
  return (on.find((k) => k.id === LOCAL) ?? on.find((k) => k.state === 'connected') ?? on[0] ?? list[0])?.id ?? LOCAL;
}

/** The body of POST /api/konsoles. */
export interface AddKonsoleBody {
  name?: string;
  pairing?: string;
  url?: string;
  token?: string;
  ssh?: string;
}

/** What the Add Konsole dialog's address field holds. */
export type TargetKind = 'pairing' | 'ssh' | 'url' | 'none' | 'unknown';

/** Tells from what was pasted which kind of target it is. */
export function targetKind(text: string): TargetKind {
  const t = text.trim();
  if (!t) return 'none';
  if (/^konui:\/\/pair\?/i.test(t)) return 'pairing';
  if (/^ssh:\/\//i.test(t)) return 'ssh';
  if (/^https?:\/\//i.test(t)) return 'url';
  return 'unknown';
}

/**
 * Makes the POST body from the dialog's fields, or the sentence saying what
 * is missing (and which field it is about).
 */
export function addRequest(f: { target: string; token?: string; name?: string }): { body: AddKonsoleBody } | { error: string; field: 'target' | 'token' } {
  const target = f.target.trim();
  const name = f.name?.trim() || undefined;
  switch (targetKind(target)) {
    case 'pairing':
      return { body: { name, pairing: target } };
    case 'ssh':
      return { body: { name, ssh: target } };
    case 'url':
      if (!f.token?.trim()) return { error: 'Paste the token "konui konsole" printed for this address (or use its pairing string instead).', field: 'token' };
      return { body: { name, url: target, token: f.token.trim() } };
    case 'none':
      return { error: 'Paste a pairing string (konui://pair?…), an ssh://user@host address, or a Konsole URL with its token.', field: 'target' };
    default:
      return { error: `"${target.slice(0, 60)}" is not a pairing string (konui://pair?…), an ssh://user@host address or an http(s):// URL.`, field: 'target' };
  }
}

/**
 * What the dialog says when the bridge refused to add a Konsole: its own
 * sentence (it names the cause), a hint with the next step, and the field
 * the fault is in. Decided on the error code, never on the sentence.
 */
export function addFailure(code: string, message: string): { message: string; hint: string; field: 'target' | 'token' | '' } {
  message = sentence(message);
  switch (code) {
    case 'pairing_invalid':
      return { message, hint: 'Copy the whole pairing string again from the output of "konui konsole" on that machine.', field: 'target' };
    case 'konsole_unauthorized':
      return { message, hint: '', field: 'token' };
    case 'certificate_mismatch':
      // The bridge's sentence says what changed and what to do.
      return { message, hint: '', field: 'target' };
    case 'konsole_unreachable':
      return { message, hint: 'Check that "konui konsole" runs there, listens on that address, and that no firewall is in between.', field: 'target' };
    case 'ssh_failed':
      return { message, hint: 'Check that "ssh" to that host works in a terminal and that konui is installed there (on its PATH, or say where with ?konui=/path).', field: 'target' };
    case 'conflict':
      // The bridge's sentence names the entry it already is.
      return { message, hint: '', field: 'target' };
    case 'fleet_read_only':
      return { message, hint: 'This Konui follows the Konsoles it was started with: start it again with this one added (--konsole).', field: '' };
    case 'network':
      return { message, hint: 'Konui itself did not answer; check that it still runs.', field: '' };
    default:
      return { message, hint: '', field: 'target' };
  }
}

/** Whether "Retry now" applies: a Konsole that is on and waits to reconnect. */
export function canRetry(k: KonsoleInfo): boolean {
  return k.enabled !== false && (k.state === 'reconnecting' || k.state === 'down');
}
