// AppState: the dashboard's state, shared by every view. It owns the
// console connection and the REST client and turns their frames and
// answers into reactive state.

import { Api, ApiError } from './api';
import type { PromptImage } from './images';
import { ConsoleClient, type ConnState, type KonsoleEvent, type KonsoleStatus, type QueuedPrompt } from './console-client';
import { clientId, connection, desktop, onDesktopEvent, type Connection } from './platform';
import { mergeKontaskEvent, type KontaskEventData } from './kontasks';
import { Transcript } from './transcript.svelte';
import { fileNameOf, type SearchHit } from './find';
import type { AgentInfo, AgentInstall, CommandInfo, Kontask, ModelInfo, NewSessionOptions, RecentFolder, Session, SessionRule, WaitingPrompt } from './types';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error' | 'kontask';
  kontaskId?: string;
}

/** Messages per page of a transcript. */
export const PAGE = 300;

export class AppState {
  conn: ConnState = $state({ kind: 'idle' });
  konsole: KonsoleStatus = $state({ state: 'unknown' });
  sessions: Session[] = $state([]);
  selected: string | null = $state(null);
  view: 'console' | 'kontasks' | 'settings' | 'history' | 'usage' = $state('console');
  /** The image shown enlarged over everything (a data: URL), if any. */
  enlarged: string | null = $state(null);
  /** A search hit to scroll to once its session's transcript has loaded. */
  focus: { sessionId: string; messageId: number } | null = $state(null);
  /** The sidebar lists archived sessions instead of the others. */
  showArchived = $state(false);
  kontasks: Kontask[] = $state([]);
  openKontask: string | null = $state(null);
  toasts: Toast[] = $state([]);
  queue: QueuedPrompt[] = $state([]);
  stopping: Record<string, boolean> = $state({});
  /** Tool results seen per session; the Changes panel refreshes when it grows. */
  toolResults: Record<string, number> = $state({});
  announcement = $state('');
  ready = $state(false);
  fatal: string | null = $state(null);
  desktop = $state(false);
  /** The models and commands the CLI offers (its newest initialize answer). */
  models: ModelInfo[] = $state([]);
  commands: CommandInfo[] = $state([]);
  /** Per session: what its CLI reported, and the prompts waiting in Konsole's queue. */
  infos: Record<string, AgentInfo> = $state({});
  waiting: Record<string, WaitingPrompt[]> = $state({});
  /** Per session: the tools allowed for the rest of the session ("always allow"). */
  rules: Record<string, SessionRule[]> = $state({});
  /** The session switcher (Ctrl+K) and the sidebar drawer on small screens. */
  switcherOpen = $state(false);
  drawerOpen = $state(false);
  /** Konsole's Claude Code CLI; null until known (or from a Konsole without /agent). */
  agent: AgentInstall | null = $state(null);

  client!: ConsoleClient;
  api!: Api;
  info!: Connection;
  private transcripts = new Map<string, Transcript>();
  /** Per session: the oldest message shown and whether older pages remain. */
  pages: Record<string, { oldest: number; more: boolean; loading: boolean }> = $state({});
  private loading = new Map<string, KonsoleEvent[]>();
  private toastSeq = 0;
  // Kontasks held with only a preview of their output, and those whose
  // whole output is being fetched.
  private previewOnly = new Set<string>();
  private fetchingBody = new Set<string>();

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
    this.client = new ConsoleClient({ baseUrl: this.info.wsBase, token: this.info.token, clientId: clientId() });
    this.client.on('state', (s) => {
      const wasConnected = this.conn.kind === 'connected';
      this.conn = s;
      if (s.kind === 'connected' && !wasConnected && this.ready) this.refresh();
      this.reportReady();
    });
    this.client.on('konsole', (k) => (this.konsole = k));
    this.client.on('event', ({ event }) => this.onEvent(event));
    this.client.on('resync', () => this.refresh(true));
    this.client.on('queue', (q) => this.onQueue(q));
    this.client.on('sent', ({ prompt, result }) => {
      // Queued behind a running turn: it shows in the queue panel, not as sent.
      if (result?.queued) this.transcripts.get(prompt.sessionId)?.removePending(prompt.clientMessageId);
    });
    onDesktopEvent('konui:open-kontask', (id: string) => this.showKontask(id));
    onDesktopEvent('konui:open-session', (id: string) => this.select(id));
    // The desktop app switched Konsole: its bridge moved, so start over.
    onDesktopEvent('konui:reconnect', () => location.reload());
    if (this.desktop) {
      const report = () => desktop()?.SetFocused(document.hasFocus());
      window.addEventListener('focus', report);
      window.addEventListener('blur', report);
      report();
    }
    this.client.connect();
    this.loadAgent();
    await this.refresh();
    this.ready = true;
    this.reportReady();
  }

  private readyReported = false;

  /** Tells the desktop app, once, that the dashboard is connected and shows the session list. */
  private reportReady(): void {
    if (this.readyReported || !this.ready || this.conn.kind !== 'connected') return;
    this.readyReported = true;
    desktop()?.DashboardReady?.(this.sessions.length);
  }

  /** Refetches sessions and kontasks; with all, reloads open transcripts too. */
  async refresh(all = false): Promise<void> {
    try {
      const [s, k] = await Promise.all([
        this.api.get<{ sessions: Session[] }>('/sessions'),
        this.api.get<{ kontasks: Kontask[] }>('/kontasks?limit=200').catch(() => ({ kontasks: [] as Kontask[] })),
      ]);
      this.sessions = s.sessions;
      this.kontasks = k.kontasks ?? [];
      this.loadModels();
      this.previewOnly.clear(); // the list carries whole outputs
      if (!this.selected && this.sessions.length) this.select(this.sessions[this.sessions.length - 1].id);
      if (all) {
        for (const id of this.transcripts.keys()) this.loadTranscript(id);
      }
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  get session(): Session | undefined {
    return this.sessions.find((s) => s.id === this.selected);
  }

  get unread(): number {
    return this.kontasks.filter((k) => !k.readAt).length;
  }

  transcript(id: string): Transcript {
    let t = this.transcripts.get(id);
    if (!t) {
      t = new Transcript();
      this.transcripts.set(id, t);
      this.loadTranscript(id);
    }
    return t;
  }

  async loadTranscript(id: string): Promise<void> {
    const t = this.transcripts.get(id)!;
    this.loading.set(id, []);
    performance.mark('konui:transcript-fetch');
    try {
      const [m, p] = await Promise.all([
        this.api.get<{ messages: any[]; hasMore?: boolean }>(`/sessions/${id}/messages?limit=${PAGE}`),
        this.api.get<{ permissions: any[] }>(`/sessions/${id}/permissions`).catch(() => ({ permissions: [] })),
      ]);
      performance.mark('konui:transcript-fetched');
      // A page comes newest first; a Konsole without pages sends all, oldest first.
      const rows = m.hasMore === undefined ? m.messages : [...m.messages].reverse();
      this.pages[id] = { oldest: rows[0]?.id ?? 0, more: !!m.hasMore, loading: false };
      t.load(rows, p.permissions);
      performance.mark('konui:transcript-loaded');
      const s = this.sessions.find((x) => x.id === id);
      t.activeTurn = s?.activeTurnId ?? null;
      for (const ev of this.loading.get(id) ?? []) t.applyAfterLoad(ev);
      for (const q of this.queue) if (q.sessionId === id) t.addPending(q.clientMessageId, q.text, q.state === 'failed' ? 'failed' : q.state, q.error);
    } catch (e) {
      this.toast(errorText(e), 'error');
    } finally {
      this.loading.delete(id);
    }
  }

  /**
   * Fetches the page of messages before the oldest shown and puts it first;
   * returns how many rows it added to the list (0: none left or busy).
   */
  async loadOlder(id: string, limit = PAGE): Promise<number> {
    const pg = this.pages[id];
    const t = this.transcripts.get(id);
    if (!pg || !t || !pg.more || pg.loading || this.loading.has(id)) return 0;
    pg.loading = true;
    try {
      const m = await this.api.get<{ messages: any[]; hasMore: boolean }>(`/sessions/${id}/messages?before=${pg.oldest}&limit=${limit}`);
      if (this.pages[id] !== pg) return 0; // reloaded meanwhile
      const rows = [...m.messages].reverse();
      pg.more = m.hasMore;
      if (rows.length) pg.oldest = rows[0].id;
      return rows.length ? t.prepend(rows) : 0;
    } catch (e) {
      this.toast(errorText(e), 'error');
      return 0;
    } finally {
      pg.loading = false;
    }
  }

  select(id: string): void {
    this.selected = id;
    this.view = 'console';
    this.drawerOpen = false;
    this.transcript(id);
    this.loadInfo(id);
    this.loadWaiting(id);
    this.loadRules(id);
  }

  async loadModels(): Promise<void> {
    try {
      const m = await this.api.get<{ models: ModelInfo[]; commands: CommandInfo[] }>('/models');
      this.models = m.models ?? [];
      this.commands = m.commands ?? [];
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

  /** Removes a session rule; Konsole restarts the session's agent to do it. */
  async removeRule(id: string, tool: string): Promise<void> {
    try {
      await this.api.del(`/sessions/${id}/rules/${encodeURIComponent(tool)}`);
      this.rules[id] = (this.rules[id] ?? []).filter((r) => r.toolName !== tool);
    } catch (e) {
      this.toast('Could not remove the rule: ' + (e as Error).message, 'error');
    }
  }

  /** Konsole's auto-deny setting: minutes, 0 is off. */
  async getAutoDeny(): Promise<number> {
    return (await this.api.get<{ minutes: number }>('/settings/auto-deny')).minutes;
  }

  async setAutoDeny(minutes: number): Promise<void> {
    await this.api.put('/settings/auto-deny', { minutes });
  }

  async loadWaiting(id: string): Promise<void> {
    try {
      this.waiting[id] = (await this.api.get<{ queue: WaitingPrompt[] }>(`/sessions/${id}/queue`)).queue ?? [];
    } catch {
      this.waiting[id] = [];
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
      const t = this.transcripts.get(hit.sessionId);
      const focus = { sessionId: hit.sessionId, messageId: hit.messageId };
      if (t && t.indexOfMessage(hit.messageId) < 0 && !this.loading.has(hit.sessionId)) {
        t.loaded = false;
        this.select(hit.sessionId);
        this.findOlder(t, focus);
        return;
      }
      this.focus = focus;
    }
    this.select(hit.sessionId);
  }

  /** Reloads a transcript and fetches older pages until the hit is there (at most 40). */
  private async findOlder(t: Transcript, focus: { sessionId: string; messageId: number }): Promise<void> {
    await this.loadTranscript(focus.sessionId);
    t.loaded = false;
    for (let i = 0; i < 40 && t.indexOfMessage(focus.messageId) < 0; i++) {
      if ((await this.loadOlder(focus.sessionId, 1000)) === 0 && !this.pages[focus.sessionId]?.more) break;
    }
    this.focus = focus;
    t.loaded = true;
  }

  /** Downloads a session as Markdown or JSON (the token goes in a header, not the address). */
  async exportSession(id: string, format: 'md' | 'json'): Promise<void> {
    try {
      const resp = await fetch(this.info.apiBase + '/api/sessions/' + id + '/export?format=' + format, { headers: { Authorization: 'Bearer ' + this.info.token } });
      if (!resp.ok) throw new ApiError((await resp.json().catch(() => null))?.error ?? `HTTP ${resp.status}`, resp.status, 'http');
      const url = URL.createObjectURL(await resp.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = fileNameOf(resp.headers.get('Content-Disposition'), 'session.' + format);
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      this.toast('Could not export the session: ' + errorText(e), 'error');
    }
  }

  /** Changes a session's model, permission mode or title mid-session. */
  async updateSession(id: string, patch: { model?: string; permissionMode?: string; title?: string; archived?: boolean }): Promise<boolean> {
    try {
      this.upsertSession(await this.api.patch<Session>(`/sessions/${id}`, patch));
      this.loadInfo(id);
      return true;
    } catch (e) {
      this.toast(errorText(e), 'error');
      return false;
    }
  }

  /** Approves a plan into a mode, or (mode null) keeps planning with an optional note. */
  async answerPlan(sessionId: string, requestId: string, mode: 'acceptEdits' | 'default' | null, note = ''): Promise<void> {
    const fields = mode ? { behavior: 'allow', mode } : { behavior: 'deny', message: note.trim() || 'Keep planning: the plan is not ready yet.' };
    await this.answerWith(sessionId, requestId, fields);
  }

  async answerQuestion(sessionId: string, requestId: string, answers: Record<string, string>): Promise<void> {
    await this.answerWith(sessionId, requestId, { behavior: 'allow', answers });
  }

  private async answerWith(sessionId: string, requestId: string, fields: Record<string, unknown>): Promise<void> {
    const item = this.transcripts.get(sessionId)?.get(requestId);
    if (item?.kind === 'permission') item.state = 'answering';
    const ack = await this.client.request('permission', { sessionId, requestId, ...fields });
    if (!ack.ok) {
      if (item?.kind === 'permission') item.state = 'pending';
      this.toast('Could not answer: ' + ack.error, 'error');
    }
  }

  async editWaiting(sid: string, queueId: string, patch: { text?: string; position?: number }): Promise<void> {
    try {
      await this.api.patch(`/sessions/${sid}/queue/${queueId}`, patch);
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  async removeWaiting(sid: string, queueId: string): Promise<void> {
    try {
      await this.api.del(`/sessions/${sid}/queue/${queueId}`);
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  async sendWaiting(sid: string, queueId: string): Promise<void> {
    try {
      await this.api.post(`/sessions/${sid}/queue/${queueId}/send`, {});
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  async recentFolders(): Promise<RecentFolder[]> {
    try {
      return (await this.api.get<{ folders: RecentFolder[] }>('/folders/recent')).folders ?? [];
    } catch {
      return [];
    }
  }

  /** Folders that complete a typed path (never files). */
  async dirs(prefix: string): Promise<{ path: string; name: string; git?: boolean }[]> {
    try {
      return (await this.api.get<{ dirs: { path: string; name: string; git?: boolean }[] }>('/fs/dirs?prefix=' + encodeURIComponent(prefix))).dirs ?? [];
    } catch {
      return [];
    }
  }

  private onEvent(ev: KonsoleEvent): void {
    const d = ev.data ?? {};
    switch (ev.type) {
      case 'session.created':
      case 'session.updated':
        this.upsertSession(d.session);
        return;
      case 'kontask.created':
      case 'kontask.updated':
        this.onKontaskEvent(d, ev.type === 'kontask.created');
        return;
      case 'queue.updated':
        if (d.sessionId) this.waiting[d.sessionId] = d.queue ?? [];
        return;
      case 'permission.rules':
        if (ev.sessionId) this.rules[ev.sessionId] = d.rules ?? [];
        return;
      case 'agent.info':
        if (d.sessionId && (d.sessionId === this.selected || this.infos[d.sessionId])) this.loadInfo(d.sessionId);
      case 'agent.updated':
        if (d.agent) this.agent = d.agent;
        return;
    }
    if (ev.type === 'turn.completed' && ev.sessionId) {
      this.stopping[ev.sessionId] = false;
      if (ev.sessionId === this.selected) {
        const r = d.reason === 'interrupted' ? 'Turn interrupted.' : d.reason === 'error' ? 'Turn failed: ' + (d.error ?? '') : 'Turn finished.';
        this.announcement = r;
      }
    }
    if (ev.type === 'message' && d.role === 'assistant' && ev.sessionId === this.selected) {
      const text = (d.content ?? []).filter((b: any) => b.type === 'text').map((b: any) => b.text).join(' ');
      if (text) this.announcement = 'Claude: ' + text.slice(0, 300);
    }
    if (!ev.sessionId) return;
    if (ev.type === 'message' && (d.content ?? []).some((b: any) => b.type === 'tool_result')) {
      // A tool may have changed files: the Changes panel refreshes on this.
      this.toolResults[ev.sessionId] = (this.toolResults[ev.sessionId] ?? 0) + 1;
    }
    const buffered = this.loading.get(ev.sessionId);
    if (buffered) {
      buffered.push(ev);
      return;
    }
    this.transcripts.get(ev.sessionId)?.apply(ev);
  }

  private upsertSession(s: Session): void {
    if (!s?.id) return;
    const i = this.sessions.findIndex((x) => x.id === s.id);
    if (i >= 0) this.sessions[i] = s;
    else this.sessions.push(s);
    if (s.status !== 'stopping' && s.status !== 'running') this.stopping[s.id] = false;
  }

  private onKontaskEvent(d: KontaskEventData, created: boolean): void {
    const id = d?.kontask?.id;
    if (!id) return;
    const known = this.kontasks.find((x) => x.id === id);
    const { kontask, fetchBody } = mergeKontaskEvent(known, !!known && !this.previewOnly.has(id), d);
    if (fetchBody) this.previewOnly.add(id);
    this.upsertKontask(kontask, created);
    if (fetchBody) void this.fetchKontaskBody(id);
  }

  /** Reads a kontask whole over REST after an event brought a preview. */
  private async fetchKontaskBody(id: string): Promise<void> {
    if (this.fetchingBody.has(id)) return;
    this.fetchingBody.add(id);
    try {
      const k = await this.api.get<Kontask>(`/kontasks/${encodeURIComponent(id)}`);
      this.previewOnly.delete(id);
      this.upsertKontask(k, false);
    } catch {
      /* the preview stays; the next refresh reads the whole list */
    } finally {
      this.fetchingBody.delete(id);
    }
  }

  private upsertKontask(k: Kontask, created: boolean): void {
    if (!k?.id) return;
    const i = this.kontasks.findIndex((x) => x.id === k.id);
    if (i >= 0) {
      this.kontasks[i] = k;
      return;
    }
    this.kontasks.unshift(k);
    if (created) {
      this.toast('New kontask: ' + k.title, 'kontask', k.id);
      this.announcement = 'New kontask: ' + k.title;
    }
  }

  private onQueue(q: QueuedPrompt[]): void {
    this.queue = q;
    for (const p of q) {
      this.transcripts.get(p.sessionId)?.addPending(p.clientMessageId, p.text, p.state, p.error);
    }
  }

  /** Asks Konsole which Claude Code CLI it runs. */
  async loadAgent(): Promise<void> {
    try {
      this.agent = await this.api.get<AgentInstall>('/agent');
    } catch {
      this.agent = null; // an older Konsole: nothing to show
    }
  }

  /**
   * Sets the Claude Code path ('' looks for it again) and uses it at once:
   * in the window, for the local Konsole, through the settings; otherwise
   * through Konsole's PUT /agent. Resolves to the CLI in use, rejects with
   * the sentence saying why a path was refused.
   */
  async setAgentPath(path: string): Promise<AgentInstall> {
    const d = desktop();
    let a: AgentInstall;
    if (d && this.info.profile === 'local') {
      a = await d.SetClaudePath(path);
    } else {
      a = await this.api.call<AgentInstall>('PUT', '/agent', { path });
    }
    if (path && a.error) throw new Error(a.error);
    this.agent = a;
    return a;
  }

  async createSession(o: NewSessionOptions): Promise<void> {
    const body: Record<string, string | boolean> = { cwd: o.cwd };
    for (const k of ['title', 'model', 'permissionMode', 'effort'] as const) if (o[k]) body[k] = o[k]!;
    if (o.worktree) body.worktree = true;
    const s = await this.api.post<Session>('/sessions', body);
    this.upsertSession(s);
    this.select(s.id);
    if (s.status === 'error') this.toast('The agent did not start: ' + (s.lastError ?? 'unknown error'), 'error');
  }

  async rename(id: string, title: string): Promise<void> {
    try {
      this.upsertSession(await this.api.patch<Session>(`/sessions/${id}`, { title }));
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  async end(id: string): Promise<void> {
    try {
      await this.api.del(`/sessions/${id}`);
    } catch (e) {
      this.toast(errorText(e), 'error');
    }
  }

  send(text: string): void {
    const sid = this.selected;
    if (!sid || !text.trim()) return;
    const p = this.client.prompt(sid, text);
    this.transcript(sid).addPending(p.clientMessageId, text, this.client.connected ? 'sending' : 'queued');
  }

  /**
   * Sends a prompt with images over REST (the WebSocket's frames stay small;
   * docs/protocol.md). Returns whether Konsole took it; when not, the
   * prompt box keeps the text and images and a toast says why.
   */
  async sendImages(text: string, images: PromptImage[]): Promise<boolean> {
    const sid = this.selected;
    if (!sid || !text.trim()) return false;
    const clientMessageId = crypto.randomUUID();
    const t = this.transcript(sid);
    t.addPending(clientMessageId, text, 'sending', undefined, images);
    try {
      await this.api.post(`/sessions/${sid}/prompt`, { text, clientMessageId, images });
      return true;
    } catch (e) {
      t.removePending(clientMessageId);
      this.toast('Not sent: ' + errorText(e), 'error');
      return false;
    }
  }

  /** Starts a session that shares a session's conversation up to the end of the turn of a prompt. */
  async fork(sessionId: string, item: { messageId?: number; turnId?: string }): Promise<void> {
    try {
      let messageId = item.messageId;
      if (messageId == null && item.turnId) {
        const m = await this.api.get<{ messages: { id: number; role: string; turnId?: string }[] }>(`/sessions/${sessionId}/messages`);
        messageId = m.messages.find((r) => r.role === 'user' && r.turnId === item.turnId)?.id;
      }
      const s = await this.api.post<Session>(`/sessions/${sessionId}/fork`, messageId == null ? {} : { messageId });
      this.upsertSession(s);
      this.select(s.id);
      this.toast('Forked into a new session: ' + s.title, 'info');
    } catch (e) {
      this.toast('Could not fork: ' + errorText(e), 'error');
    }
  }

  /** Continues a conversation of the CLI's own history as a Konui session. */
  async continueConversation(c: { cwd: string; agentSessionId: string }): Promise<void> {
    const existing = this.sessions.find((s) => s.agentSessionId === c.agentSessionId);
    if (existing) return this.select(existing.id);
    try {
      const s = await this.api.post<Session>('/sessions', { cwd: c.cwd, resume: c.agentSessionId });
      this.upsertSession(s);
      this.select(s.id);
    } catch (e) {
      this.toast('Could not continue: ' + errorText(e), 'error');
    }
  }

  discard(clientMessageId: string): void {
    const sid = this.queue.find((q) => q.clientMessageId === clientMessageId)?.sessionId;
    this.client.discard(clientMessageId);
    if (sid) this.transcripts.get(sid)?.removePending(clientMessageId);
  }

  async stop(): Promise<void> {
    const sid = this.selected;
    if (!sid || this.stopping[sid]) return;
    this.stopping[sid] = true;
    const ack = await this.client.request('stop', { sessionId: sid });
    if (!ack.ok) {
      this.stopping[sid] = false;
      this.toast('Stop failed: ' + ack.error, 'error');
    }
  }

  async answer(sessionId: string, requestId: string, behavior: 'allow' | 'deny', always = false): Promise<void> {
    const t = this.transcripts.get(sessionId);
    const item = t?.get(requestId);
    if (item?.kind === 'permission') item.state = 'answering';
    const ack = await this.client.request('permission', { sessionId, requestId, behavior, ...(always ? { always: true } : {}) });
    if (!ack.ok) {
      if (item?.kind === 'permission') item.state = 'pending';
      this.toast('Could not answer: ' + ack.error, 'error');
    }
  }

  showKontask(id: string): void {
    this.view = 'kontasks';
    this.openKontask = id;
  }

  async markRead(k: Kontask): Promise<void> {
    if (k.readAt) return;
    try {
      const whole = await this.api.patch<Kontask>(`/kontasks/${k.id}`, { read: true });
      this.previewOnly.delete(whole.id);
      this.upsertKontask(whole, false);
    } catch {
      /* the card still shows; the unread count catches up on the next refresh */
    }
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

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return String(e);
}
