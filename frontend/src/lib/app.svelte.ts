// AppState: the dashboard's state, shared by every view. It owns the
// console connection and the REST client and turns their frames and
// answers into reactive state.

import { Api, ApiError } from './api';
import { ConsoleClient, type ConnState, type KonsoleEvent, type KonsoleStatus, type QueuedPrompt } from './console-client';
import { clientId, connection, desktop, onDesktopEvent, type Connection } from './platform';
import { Transcript } from './transcript.svelte';
import type { AgentInfo, CommandInfo, Kontask, ModelInfo, NewSessionOptions, RecentFolder, Session, SessionRule, WaitingPrompt } from './types';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error' | 'kontask';
  kontaskId?: string;
}

export class AppState {
  conn: ConnState = $state({ kind: 'idle' });
  konsole: KonsoleStatus = $state({ state: 'unknown' });
  sessions: Session[] = $state([]);
  selected: string | null = $state(null);
  view: 'console' | 'kontasks' | 'settings' = $state('console');
  kontasks: Kontask[] = $state([]);
  openKontask: string | null = $state(null);
  toasts: Toast[] = $state([]);
  queue: QueuedPrompt[] = $state([]);
  stopping: Record<string, boolean> = $state({});
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

  client!: ConsoleClient;
  api!: Api;
  info!: Connection;
  private transcripts = new Map<string, Transcript>();
  private loading = new Map<string, KonsoleEvent[]>();
  private toastSeq = 0;

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
        this.api.get<{ messages: any[] }>(`/sessions/${id}/messages`),
        this.api.get<{ permissions: any[] }>(`/sessions/${id}/permissions`).catch(() => ({ permissions: [] })),
      ]);
      performance.mark('konui:transcript-fetched');
      t.load(m.messages, p.permissions);
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

  /** Changes a session's model, permission mode or title mid-session. */
  async updateSession(id: string, patch: { model?: string; permissionMode?: string; title?: string }): Promise<boolean> {
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
        this.upsertKontask(d.kontask, ev.type === 'kontask.created');
        return;
      case 'queue.updated':
        if (d.sessionId) this.waiting[d.sessionId] = d.queue ?? [];
        return;
      case 'permission.rules':
        if (ev.sessionId) this.rules[ev.sessionId] = d.rules ?? [];
        return;
      case 'agent.info':
        if (d.sessionId && (d.sessionId === this.selected || this.infos[d.sessionId])) this.loadInfo(d.sessionId);
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

  async createSession(o: NewSessionOptions): Promise<void> {
    const body: Record<string, string> = { cwd: o.cwd };
    for (const k of ['title', 'model', 'permissionMode', 'effort'] as const) if (o[k]) body[k] = o[k]!;
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
      this.upsertKontask(await this.api.patch<Kontask>(`/kontasks/${k.id}`, { read: true }), false);
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
