// SessionStore: the sessions of every Konsole, which one is selected, and
// what is known per session beside its transcript: what its CLI reported,
// the prompts waiting in Konsole's queue, its "always allow" rules, whether
// a stop is on its way, and how many tool results it has seen.

import { createContext } from 'svelte';
import type { Api } from '../api';
import { konsoleOf, mergeSessions } from '../konsoles';
import type { AgentInfo, Session, SessionRule, WaitingPrompt } from '../types';
import type { KonsoleStore } from './konsoles.svelte';

export class SessionStore {
  list: Session[] = $state([]);
  selected: string | null = $state(null);
  /** The sidebar lists archived sessions instead of the others. */
  showArchived = $state(false);
  stopping: Record<string, boolean> = $state({});
  /** Tool results seen per session; the Changes panel refreshes when it grows. */
  toolResults: Record<string, number> = $state({});
  /** Per session: what its CLI reported, and the prompts waiting in Konsole's queue. */
  infos: Record<string, AgentInfo> = $state({});
  waiting: Record<string, WaitingPrompt[]> = $state({});
  /** Per session: the tools allowed for the rest of the session ("always allow"). */
  rules: Record<string, SessionRule[]> = $state({});

  constructor(
    private api: () => Api,
    private fleet: KonsoleStore,
  ) {}

  get session(): Session | undefined {
    return this.list.find((s) => s.id === this.selected);
  }

  byId(id: string | undefined): Session | undefined {
    return this.list.find((s) => s.id === id);
  }

  /** The Konsole of the selected session, else where a new one would start. */
  get here(): string {
    const s = this.session;
    return s ? konsoleOf(s, this.fleet.konsoles) : this.fleet.pick;
  }

  /** Takes a listing of every Konsole's sessions (GET /api/sessions). */
  merge(fresh: Session[], unavailable?: string[]): void {
    this.list = mergeSessions(this.list, fresh, unavailable);
  }

  /** Puts a session into the list; one without konsoleId keeps the Konsole it had. */
  upsert(s: Session): void {
    if (!s?.id) return;
    const i = this.list.findIndex((x) => x.id === s.id);
    if (i >= 0) this.list[i] = s.konsoleId || !this.list[i].konsoleId ? s : { ...s, konsoleId: this.list[i].konsoleId };
    else this.list.push(s);
    if (s.status !== 'stopping' && s.status !== 'running') this.stopping[s.id] = false;
  }

  /** Forgets the sessions of Konsoles that were removed; returns their ids. */
  dropKonsoles(ids: string[]): string[] {
    const away = new Set(ids);
    const dropped = this.list.filter((s) => s.konsoleId && away.has(s.konsoleId)).map((s) => s.id);
    this.list = this.list.filter((s) => !dropped.includes(s.id));
    if (this.selected && dropped.includes(this.selected)) this.selected = null;
    return dropped;
  }

  /** Marks a session's turn over: its Stop button is free again. */
  turnEnded(id: string): void {
    this.stopping[id] = false;
  }

  /** Counts a tool result of a session (a tool may have changed files). */
  sawToolResult(id: string): void {
    this.toolResults[id] = (this.toolResults[id] ?? 0) + 1;
  }

  async loadInfo(id: string): Promise<void> {
    try {
      this.infos[id] = await this.api().get<AgentInfo>(`/sessions/${id}/info`);
    } catch {
      /* the panel says what it has */
    }
  }

  async loadRules(id: string): Promise<void> {
    try {
      this.rules[id] = (await this.api().get<{ rules: SessionRule[] }>(`/sessions/${id}/rules`)).rules ?? [];
    } catch {
      this.rules[id] = [];
    }
  }

  async loadWaiting(id: string): Promise<void> {
    try {
      this.waiting[id] = (await this.api().get<{ queue: WaitingPrompt[] }>(`/sessions/${id}/queue`)).queue ?? [];
    } catch {
      this.waiting[id] = [];
    }
  }
}

export const [getSessions, setSessions] = createContext<SessionStore>();
