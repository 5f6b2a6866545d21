// AppState: the dashboard's state, shared by every view. It owns the
// console connection and the REST client and turns their frames and
// answers into reactive state. The parts live beside it: the fleet of
// Konsoles (fleet.svelte.ts), open transcripts (transcripts.svelte.ts),
// kontasks (kontask-store.svelte.ts) and what a person does to a session
// (session-actions.ts).

import { Api } from './api';
import { CODE_TOKEN_EXPOSED, onErrorCode } from './error-codes';
import { ConsoleClient, type ConnState, type KonsoleEvent, type KonsoleStatus, type QueuedPrompt } from './console-client';
import { errorText } from './errors';
import { FleetState } from './fleet.svelte';
import { konsoleEvents } from './konsole-events';
import { KontaskStore } from './kontask-store.svelte';
import { LOCAL, isAvailable, konsoleOf, mergeSessions, withKonsole, type KonsoleInfo } from './konsoles';
import { clientId, connection, desktop, desktopEvents, onDesktopEvent, type Connection } from './platform';
import { SessionActions } from './session-actions';
import { clip } from './text';
import { TranscriptStore } from './transcripts.svelte';
import type { SearchHit } from './find';
import type { AgentInfo, AgentInstall, CommandInfo, Kontask, ModelInfo, RecentFolder, Session, SessionRule, WaitingPrompt } from './types';

export { errorText } from './errors';
export { PAGE } from './transcripts.svelte';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error' | 'kontask';
  kontaskId?: string;
}

export class AppState {
  conn: ConnState = $state({ kind: 'idle' });
  sessions: Session[] = $state([]);
  selected: string | null = $state(null);
  view: 'console' | 'kontasks' | 'settings' | 'history' | 'usage' = $state('console');
  /** The image shown enlarged over everything (a data: URL), if any. */
  enlarged: string | null = $state(null);
  /** A search hit to scroll to once its session's transcript has loaded. */
  focus: { sessionId: string; messageId: number } | null = $state(null);
  /** The sidebar lists archived sessions instead of the others. */
  showArchived = $state(false);
  openKontask: string | null = $state(null);
  toasts: Toast[] = $state([]);
  queue: QueuedPrompt[] = $state([]);
  stopping: Record<string, boolean> = $state({});
  /** Tool results seen per session; the Changes panel refreshes when it grows. */
  toolResults: Record<string, number> = $state({});
  announcement = $state('');
  /** Konsole refused a change because an agent saw its token (403 token_exposed). */
  tokenExposed = $state(false);
  ready = $state(false);
  fatal: string | null = $state(null);
  desktop = $state(false);
  /** Per Konsole: the models and commands its CLI offers (its newest initialize answer). */
  offers: Record<string, { models: ModelInfo[]; commands: CommandInfo[] }> = $state({});
  /** Per session: what its CLI reported, and the prompts waiting in Konsole's queue. */
  infos: Record<string, AgentInfo> = $state({});
  waiting: Record<string, WaitingPrompt[]> = $state({});
  /** Per session: the tools allowed for the rest of the session ("always allow"). */
  rules: Record<string, SessionRule[]> = $state({});
  /** The session switcher (Ctrl+K) and the sidebar drawer on small screens. */
  switcherOpen = $state(false);
  drawerOpen = $state(false);
  /** Per Konsole: its Claude Code CLI; absent until known (or from a Konsole without /agent). */
  agents: Record<string, AgentInstall | null> = $state({});

  client!: ConsoleClient;
  api!: Api;
  info!: Connection;
  readonly fleet = new FleetState(
    () => this.api,
    Date.now,
    (ids) => this.dropKonsoles(ids),
  );
  readonly kontasks = new KontaskStore(this);
  readonly transcripts = new TranscriptStore(this);
  readonly actions = new SessionActions(this);
  readonly errorText = errorText;
  private toastSeq = 0;
  private readyReported = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  async start(): Promise<void> {
    try {
      this.info = await connection();
    } catch (e) {
      this.fatal = 'Could not find the Konui bridge: ' + String(e);
      return;
    }
    this.desktop = this.info.desktop;
    if (!this.info.token) {
      this.fatal = 'This page needs its token. Open the address that "konui serve" printed (it ends with #token=...).';
      return;
    }
    this.api = new Api(this.info.apiBase, this.info.token);
    onErrorCode((code) => {
      if (code === CODE_TOKEN_EXPOSED) this.tokenExposed = true;
    });
    this.client = new ConsoleClient({ baseUrl: this.info.wsBase, token: this.info.token, clientId: clientId() });
    this.client.on('state', (s) => {
      const wasConnected = this.conn.kind === 'connected';
      this.conn = s;
      if (s.kind === 'connected' && !wasConnected && this.ready) this.refresh();
      this.reportReady();
    });
    this.client.on('konsoles', (list) => this.onKonsoles(list));
    this.client.on('konsole', (k) => this.onKonsole(k));
    this.client.on('event', ({ event, konsoleId }) => this.onEvent(event, konsoleId));
    this.client.on('resync', () => this.refresh(true));
    this.client.on('queue', (q) => this.onQueue(q));
    this.client.on('sent', ({ prompt, result }) => {
      // Queued behind a running turn: it shows in the queue panel, not as sent.
      if (result?.queued) this.transcripts.peek(prompt.sessionId)?.removePending(prompt.clientMessageId);
    });
    onDesktopEvent(desktopEvents.openKontask, (id: string) => this.showKontask(id));
    onDesktopEvent(desktopEvents.openSession, (id: string) => this.select(id));
    if (this.desktop) {
      const report = () => desktop()?.SetFocused(document.hasFocus());
      window.addEventListener('focus', report);
      window.addEventListener('blur', report);
      report();
    }
    this.client.connect();
    await this.fleet.load();
    await this.refresh();
    this.ready = true;
    this.reportReady();
  }

  /** Tells the desktop app, once, that the dashboard is connected and shows the session list. */
  private reportReady(): void {
    if (this.readyReported || !this.ready || this.conn.kind !== 'connected') return;
    this.readyReported = true;
    desktop()?.DashboardReady?.(this.sessions.length);
  }

  /** Refetches sessions and kontasks of every Konsole; with all, reloads open transcripts too. */
  async refresh(all = false): Promise<void> {
    try {
      const [s, k] = await Promise.all([
        this.api.get<{ sessions: Session[]; unavailable?: string[] }>('/sessions'),
        this.api.get<{ kontasks: Kontask[] }>('/kontasks?limit=200').catch(() => ({ kontasks: [] as Kontask[] })),
      ]);
      this.sessions = mergeSessions(this.sessions, s.sessions ?? [], s.unavailable);
      this.kontasks.set(k.kontasks ?? []);
      for (const id of this.konsoleIds()) {
        this.loadModels(id);
        this.loadAgent(id);
      }
      if (!this.selected && this.sessions.length) this.select(this.sessions[this.sessions.length - 1].id);
      if (all) this.transcripts.reloadAll();
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  /** A refresh shortly, once for a burst of reasons (Konsoles coming back, being added). */
  private refreshSoon(): void {
    if (!this.ready) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 250);
  }

  /** The Konsoles to ask about models and the CLI: those that answer (all known when none is listed). */
  private konsoleIds(): string[] {
    const list = this.fleet.konsoles;
    if (!list.length) return [LOCAL];
    return list.filter(isAvailable).map((k) => k.id);
  }

  private onKonsoles(list: KonsoleInfo[]): void {
    if (this.fleet.set(list).added.length) this.refreshSoon();
  }

  /** Forgets the sessions and kontasks of Konsoles that were removed. */
  private dropKonsoles(ids: string[]): void {
    const away = new Set(ids);
    const dropped = this.sessions.filter((s) => s.konsoleId && away.has(s.konsoleId)).map((s) => s.id);
    this.sessions = this.sessions.filter((s) => !dropped.includes(s.id));
    this.transcripts.forget(dropped);
    this.kontasks.dropKonsoles(ids);
    if (this.selected && dropped.includes(this.selected)) this.selected = null;
  }

  private onKonsole(k: KonsoleStatus): void {
    const was = this.fleet.update(k);
    // Back after an outage: its sessions may have moved on meanwhile.
    if (k.state === 'connected' && was && was !== 'connected') this.refreshSoon();
  }

  get session(): Session | undefined {
    return this.sessions.find((s) => s.id === this.selected);
  }

  /** The Konsole of the selected session, else where a new one would start. */
  get here(): string {
    const s = this.session;
    return s ? konsoleOf(s, this.fleet.konsoles) : this.fleet.pick;
  }

  /** The models of the selected session's Konsole. */
  get models(): ModelInfo[] {
    return this.offers[this.here]?.models ?? [];
  }

  get commands(): CommandInfo[] {
    return this.offers[this.here]?.commands ?? [];
  }

  /** The CLI of the selected session's Konsole, else of where a new one starts (null: unknown or an older Konsole). */
  get agent(): AgentInstall | null {
    return this.agents[this.here] ?? this.agents[this.fleet.pick] ?? null;
  }

  get unread(): number {
    return this.kontasks.unread;
  }

  select(id: string): void {
    this.selected = id;
    this.view = 'console';
    this.drawerOpen = false;
    this.transcripts.get(id);
    this.loadInfo(id);
    this.loadWaiting(id);
    this.loadRules(id);
  }

  async loadModels(konsoleId: string): Promise<void> {
    try {
      const m = await this.api.get<{ models: ModelInfo[]; commands: CommandInfo[] }>(withKonsole('/models', konsoleId));
      this.offers[konsoleId] = { models: m.models ?? [], commands: m.commands ?? [] };
    } catch {
      /* an older Konsole: the model field stays free text */
    }
  }

  async loadInfo(id: string): Promise<void> {
    try {
      this.infos[id] = await this.api.get<AgentInfo>(`/sessions/${id}/info`);
    } catch {
      /* the panel says what it has */
    }
  }

  async loadRules(id: string): Promise<void> {
    try {
      this.rules[id] = (await this.api.get<{ rules: SessionRule[] }>(`/sessions/${id}/rules`)).rules ?? [];
    } catch {
      this.rules[id] = [];
    }
  }

  async loadWaiting(id: string): Promise<void> {
    try {
      this.waiting[id] = (await this.api.get<{ queue: WaitingPrompt[] }>(`/sessions/${id}/queue`)).queue ?? [];
    } catch {
      this.waiting[id] = [];
    }
  }

  /** A Konsole's auto-deny setting: minutes, 0 is off. */
  async getAutoDeny(konsoleId: string): Promise<number> {
    return (await this.api.get<{ minutes: number }>(withKonsole('/settings/auto-deny', konsoleId))).minutes;
  }

  async setAutoDeny(konsoleId: string, minutes: number): Promise<void> {
    await this.api.put(withKonsole('/settings/auto-deny', konsoleId), { minutes });
  }

  async recentFolders(konsoleId: string): Promise<RecentFolder[]> {
    try {
      return (await this.api.get<{ folders: RecentFolder[] }>(withKonsole('/folders/recent', konsoleId))).folders ?? [];
    } catch {
      return [];
    }
  }

  /** Folders on a Konsole's machine that complete a typed path (never files). */
  async dirs(prefix: string, konsoleId: string): Promise<{ path: string; name: string; git?: boolean }[]> {
    try {
      return (await this.api.get<{ dirs: { path: string; name: string; git?: boolean }[] }>(withKonsole('/fs/dirs?prefix=' + encodeURIComponent(prefix), konsoleId))).dirs ?? [];
    } catch {
      return [];
    }
  }

  /** Opens a search hit: the session scrolled to the message, or the kontask. */
  openHit(hit: SearchHit): void {
    if (hit.kind === 'kontask' && hit.kontaskId) {
      this.showKontask(hit.kontaskId);
      return;
    }
    const s = this.sessions.find((x) => x.id === hit.sessionId);
    if (s) this.showArchived = !!s.archived;
    if (hit.messageId != null) {
      // Rows that arrived live do not know their stored ids: reload first.
      const t = this.transcripts.peek(hit.sessionId);
      const focus = { sessionId: hit.sessionId, messageId: hit.messageId };
      if (t && t.indexOfMessage(hit.messageId) < 0 && !this.transcripts.isLoading(hit.sessionId)) {
        t.loaded = false;
        this.select(hit.sessionId);
        this.transcripts.findOlder(t, hit.sessionId, hit.messageId, () => (this.focus = focus));
        return;
      }
      this.focus = focus;
    }
    this.select(hit.sessionId);
  }

  private onEvent(ev: KonsoleEvent, konsoleId?: string): void {
    const d = ev.data ?? {};
    switch (ev.type) {
      case konsoleEvents.sessionCreated:
      case konsoleEvents.sessionUpdated:
        if (d.session) this.upsertSession(konsoleId ? { ...d.session, konsoleId } : d.session);
        return;
      case konsoleEvents.kontaskCreated:
      case konsoleEvents.kontaskUpdated:
        this.kontasks.onEvent(d, ev.type === konsoleEvents.kontaskCreated, konsoleId);
        return;
      case konsoleEvents.queueUpdated:
        if (d.sessionId) this.waiting[d.sessionId] = d.queue ?? [];
        return;
      case konsoleEvents.permissionRules:
        if (ev.sessionId) this.rules[ev.sessionId] = d.rules ?? [];
        return;
      case konsoleEvents.agentInfo:
        if (d.sessionId && (d.sessionId === this.selected || this.infos[d.sessionId])) this.loadInfo(d.sessionId);
      case konsoleEvents.agentUpdated:
        if (d.agent) this.agents[konsoleId ?? this.fleet.konsoles[0]?.id ?? LOCAL] = d.agent;
        return;
    }
    if (ev.type === konsoleEvents.turnCompleted && ev.sessionId) {
      this.stopping[ev.sessionId] = false;
      if (ev.sessionId === this.selected) {
        this.announcement = d.reason === 'interrupted' ? 'Turn interrupted.' : d.reason === 'error' ? 'Turn failed: ' + (d.error ?? '') : 'Turn finished.';
      }
    }
    if (ev.type === konsoleEvents.message && d.role === 'assistant' && ev.sessionId === this.selected) {
      const text = (d.content ?? []).filter((b: any) => b.type === 'text').map((b: any) => b.text).join(' ');
      if (text) this.announcement = 'Claude: ' + clip(text, 300);
    }
    if (!ev.sessionId) return;
    if (ev.type === konsoleEvents.message && (d.content ?? []).some((b: any) => b.type === 'tool_result')) {
      // A tool may have changed files: the Changes panel refreshes on this.
      this.toolResults[ev.sessionId] = (this.toolResults[ev.sessionId] ?? 0) + 1;
    }
    this.transcripts.apply(ev);
  }

  /** Puts a session into the list; one without konsoleId keeps the Konsole it had. */
  upsertSession(s: Session): void {
    if (!s?.id) return;
    const i = this.sessions.findIndex((x) => x.id === s.id);
    if (i >= 0) this.sessions[i] = s.konsoleId || !this.sessions[i].konsoleId ? s : { ...s, konsoleId: this.sessions[i].konsoleId };
    else this.sessions.push(s);
    if (s.status !== 'stopping' && s.status !== 'running') this.stopping[s.id] = false;
  }

  private onQueue(q: QueuedPrompt[]): void {
    this.queue = q;
    for (const p of q) this.transcripts.peek(p.sessionId)?.addPending(p.clientMessageId, p.text, p.state, p.error);
  }

  /** Asks a Konsole which Claude Code CLI it runs. */
  async loadAgent(konsoleId: string): Promise<void> {
    try {
      this.agents[konsoleId] = await this.api.get<AgentInstall>(withKonsole('/agent', konsoleId));
    } catch {
      this.agents[konsoleId] = null; // an older Konsole: nothing to show
    }
  }

  /**
   * Sets the Claude Code path ('' looks for it again) of a Konsole and uses it
   * at once: in the window, for the local Konsole, through the settings;
   * otherwise through Konsole's PUT /agent. Resolves to the CLI in use,
   * rejects with the sentence saying why a path was refused.
   */
  async setAgentPath(path: string, konsoleId = this.here): Promise<AgentInstall> {
    const d = desktop();
    const a = d && konsoleId === LOCAL ? await d.SetClaudePath(path) : await this.api.call<AgentInstall>('PUT', withKonsole('/agent', konsoleId), { path });
    if (path && a.error) throw new Error(a.error);
    this.agents[konsoleId] = a;
    return a;
  }

  showKontask(id: string): void {
    this.view = 'kontasks';
    this.openKontask = id;
  }

  async choose(k: Kontask, value: string): Promise<boolean> {
    const ack = await this.client.request('kontask.choose', { kontaskId: k.id, value });
    if (!ack.ok) {
      this.toast('Could not send the choice: ' + ack.error, 'error');
      return false;
    }
    if (k.sessionId) this.select(k.sessionId);
    return true;
  }

  /** Gives the local Konsole a new token (its bridge follows it); the old one, which an agent saw, is refused from then on. */
  async rotateLocalToken(): Promise<void> {
    try {
      await this.api.post('/konsoles/local/token');
      this.tokenExposed = false;
      this.toast('The local Konsole has a new token; the one the agent saw is refused from now on.', 'info');
    } catch (e) {
      this.toast('Could not give the Konsole a new token: ' + errorText(e), 'error');
    }
  }

  announce(text: string): void {
    this.announcement = text;
  }

  toast(text: string, tone: Toast['tone'] = 'info', kontaskId?: string): void {
    const t = { id: ++this.toastSeq, text, tone, kontaskId };
    this.toasts.push(t);
    setTimeout(() => this.dismissToast(t.id), tone === 'error' ? 10000 : 7000);
  }

  dismissToast(id: number): void {
    const i = this.toasts.findIndex((t) => t.id === id);
    if (i >= 0) this.toasts.splice(i, 1);
  }
}
