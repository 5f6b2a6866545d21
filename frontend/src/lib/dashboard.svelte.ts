// Dashboard: the composition root of the dashboard's state. It makes one
// store per domain (stores/), the actions on them (actions/), and feeds the
// stores from the console connection's frames and the REST answers. Views
// read the stores they need through their contexts (provide). Stores and
// actions never import this module (they are handed what they need), so no
// circle runs through it; of the components, App.svelte makes it and
// AddKonsole asks it to refetch.

import { createContext } from 'svelte';
import { Api } from './api';
import { KontaskActions, setKontaskActions } from './actions/kontasks';
import { Navigator, setNavigator } from './actions/navigation';
import { SessionActions, setSessionActions } from './actions/sessions';
import { CODE_TOKEN_EXPOSED, onErrorCode } from './error-codes';
import { ConsoleClient, type KonsoleEvent, type KonsoleStatus, type QueuedPrompt } from './console-client';
import { errorText } from './errors';
import { konsoleEvents } from './konsole-events';
import { LOCAL, isAvailable, type KonsoleInfo } from './konsoles';
import { clientId, connection as findBridge, desktop, desktopEvents, onDesktopEvent } from './platform';
import { AgentStore, setAgents } from './stores/agents.svelte';
import { ConnectionStore, setConnection } from './stores/connection.svelte';
import { KonsoleStore, setKonsoles } from './stores/konsoles.svelte';
import { KontaskStore, setKontasks } from './stores/kontasks.svelte';
import { NoticeStore, setNotices } from './stores/notices.svelte';
import { SessionStore, setSessions } from './stores/sessions.svelte';
import { SettingsStore, setSettings } from './stores/settings.svelte';
import { TranscriptStore, setTranscripts } from './stores/transcripts.svelte';
import { UiStore, setUi } from './stores/ui.svelte';
import { clip } from './text';
import type { Kontask, Session } from './types';

export class Dashboard {
  readonly connection = new ConnectionStore();
  readonly notices = new NoticeStore();
  readonly ui = new UiStore();
  readonly konsoles: KonsoleStore;
  readonly sessions: SessionStore;
  readonly agents: AgentStore;
  readonly settings: SettingsStore;
  readonly transcripts: TranscriptStore;
  readonly kontasks: KontaskStore;
  readonly nav: Navigator;
  readonly sessionActions: SessionActions;
  readonly kontaskActions: KontaskActions;
  private readyReported = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const api = () => this.connection.api;
    const { connection, notices } = this;
    this.konsoles = new KonsoleStore(api, Date.now, (ids) => this.dropKonsoles(ids));
    this.sessions = new SessionStore(api, this.konsoles);
    this.agents = new AgentStore(api, this.konsoles, this.sessions);
    this.settings = new SettingsStore(api, notices);
    const sessions = this.sessions;
    this.transcripts = new TranscriptStore({
      get api() {
        return api();
      },
      get sessions() {
        return sessions.list;
      },
      get queue() {
        return connection.queue;
      },
      toast: (text, tone) => notices.toast(text, tone),
    });
    // A model or mode change is marked in the transcript where it happened.
    sessions.onChange = (id, line) => this.transcripts.peek(id)?.note(line);
    this.kontasks = new KontaskStore({
      get api() {
        return api();
      },
      toast: (text, tone, kontaskId) => notices.toast(text, tone, kontaskId),
      announce: (text) => notices.announce(text),
    });
    this.nav = new Navigator(this.ui, this.sessions, this.transcripts, this.kontasks);
    this.sessionActions = new SessionActions(connection, this.sessions, this.transcripts, notices, this.nav);
    this.kontaskActions = new KontaskActions(connection, notices, this.nav);
  }

  /** Hands every store and the actions to the components below (call while a component starts). */
  provide(): void {
    setDashboard(this);
    setConnection(this.connection);
    setNotices(this.notices);
    setUi(this.ui);
    setKonsoles(this.konsoles);
    setSessions(this.sessions);
    setAgents(this.agents);
    setSettings(this.settings);
    setTranscripts(this.transcripts);
    setKontasks(this.kontasks);
    setNavigator(this.nav);
    setSessionActions(this.sessionActions);
    setKontaskActions(this.kontaskActions);
  }

  async start(): Promise<void> {
    const c = this.connection;
    try {
      c.info = await findBridge();
    } catch (e) {
      c.fatal = 'Could not find the Konui bridge: ' + String(e);
      return;
    }
    c.desktop = c.info.desktop;
    if (!c.info.token) {
      c.fatal = 'This page needs its token. Open the address that "konui serve" printed (it ends with #token=...).';
      return;
    }
    c.api = new Api(c.info.apiBase, c.info.token);
    onErrorCode((code) => {
      if (code === CODE_TOKEN_EXPOSED) this.settings.tokenExposed = true;
    });
    c.client = new ConsoleClient({ baseUrl: c.info.wsBase, token: c.info.token, clientId: clientId() });
    c.client.on('state', (s) => {
      const wasConnected = c.conn.kind === 'connected';
      c.conn = s;
      if (s.kind === 'connected' && !wasConnected && c.ready) this.refresh();
      this.reportReady();
    });
    c.client.on('konsoles', (list) => this.onKonsoles(list));
    c.client.on('konsole', (k) => this.onKonsole(k));
    c.client.on('event', ({ event, konsoleId }) => this.onEvent(event, konsoleId));
    c.client.on('resync', () => this.refresh(true));
    c.client.on('queue', (q) => this.onQueue(q));
    c.client.on('sent', ({ prompt, result }) => {
      // Queued behind a running turn: it shows in the queue panel, not as sent.
      if (result?.queued) this.transcripts.peek(prompt.sessionId)?.removePending(prompt.clientMessageId);
    });
    onDesktopEvent(desktopEvents.openKontask, (id: string) => this.nav.showKontask(id));
    onDesktopEvent(desktopEvents.openSession, (id: string) => this.nav.select(id));
    if (c.desktop) {
      const report = () => desktop()?.SetFocused(document.hasFocus());
      window.addEventListener('focus', report);
      window.addEventListener('blur', report);
      report();
    }
    c.client.connect();
    await this.konsoles.load();
    await this.refresh();
    c.ready = true;
    this.reportReady();
  }

  /** Tells the desktop app, once, that the dashboard is connected and shows the session list. */
  private reportReady(): void {
    if (this.readyReported || !this.connection.ready || this.connection.conn.kind !== 'connected') return;
    this.readyReported = true;
    desktop()?.DashboardReady?.(this.sessions.list.length);
  }

  /** Refetches sessions and kontasks of every Konsole; with all, reloads open transcripts too. */
  async refresh(all = false): Promise<void> {
    const { api } = this.connection;
    try {
      const [s, k] = await Promise.all([
        api.get<{ sessions: Session[]; unavailable?: string[] }>('/sessions'),
        api.get<{ kontasks: Kontask[] }>('/kontasks?limit=200').catch(() => ({ kontasks: [] as Kontask[] })),
      ]);
      this.sessions.merge(s.sessions ?? [], s.unavailable);
      this.kontasks.set(k.kontasks ?? []);
      for (const id of this.konsoleIds()) {
        this.agents.loadModels(id);
        this.agents.loadAgent(id);
      }
      const list = this.sessions.list;
      // The newest session opens, unless the person opened the start screen.
      if (!this.sessions.selected && list.length && !this.ui.starting) this.nav.select(list[list.length - 1].id);
      if (all) this.transcripts.reloadAll();
    } catch (e) {
      this.notices.toast(errorText(e), 'error');
    }
  }

  /** A refresh shortly, once for a burst of reasons (Konsoles coming back, being added). */
  private refreshSoon(): void {
    if (!this.connection.ready) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 250);
  }

  /** The Konsoles to ask about models and the CLI: those that answer (all known when none is listed). */
  private konsoleIds(): string[] {
    const list = this.konsoles.konsoles;
    if (!list.length) return [LOCAL];
    return list.filter(isAvailable).map((k) => k.id);
  }

  private onKonsoles(list: KonsoleInfo[]): void {
    if (this.konsoles.set(list).added.length) this.refreshSoon();
  }

  /** Forgets the sessions and kontasks of Konsoles that were removed. */
  private dropKonsoles(ids: string[]): void {
    const dropped = this.sessions.dropKonsoles(ids);
    this.transcripts.forget(dropped);
    this.kontasks.dropKonsoles(ids);
  }

  private onKonsole(k: KonsoleStatus): void {
    const was = this.konsoles.update(k);
    // Back after an outage: its sessions may have moved on meanwhile.
    if (k.state === 'connected' && was && was !== 'connected') this.refreshSoon();
  }

  /** Hands a Konsole event to the stores it is about. Each case reads
   * its event's own data type (KonsoleEvent is a union on type). */
  private onEvent(ev: KonsoleEvent, konsoleId?: string): void {
    const sessions = this.sessions;
    switch (ev.type) {
      case konsoleEvents.sessionCreated:
      case konsoleEvents.sessionUpdated:
        if (ev.data?.session) sessions.upsert(konsoleId ? { ...ev.data.session, konsoleId } : ev.data.session);
        return;
      case konsoleEvents.kontaskCreated:
      case konsoleEvents.kontaskUpdated:
        this.kontasks.onEvent(ev.data ?? {}, ev.type === konsoleEvents.kontaskCreated, konsoleId);
        return;
      case konsoleEvents.queueUpdated:
        if (ev.data?.sessionId) sessions.waiting[ev.data.sessionId] = ev.data.queue ?? [];
        return;
      case konsoleEvents.permissionRules:
        if (ev.sessionId) sessions.rules[ev.sessionId] = ev.data?.rules ?? [];
        return;
      case konsoleEvents.agentInfo: {
        const id = ev.data?.sessionId;
        if (id && (id === sessions.selected || sessions.infos[id])) sessions.loadInfo(id);
        return;
      }
      case konsoleEvents.agentUpdated:
        if (ev.data?.agent) this.agents.take(ev.data.agent, konsoleId);
        return;
      case konsoleEvents.turnCompleted:
        if (ev.sessionId) {
          sessions.turnEnded(ev.sessionId);
          if (ev.sessionId === sessions.selected) {
            const d = ev.data;
            this.notices.announce(d?.reason === 'interrupted' ? 'Turn interrupted.' : d?.reason === 'error' ? 'Turn failed: ' + (d.error ?? '') : 'Turn finished.');
          }
        }
        break;
      case konsoleEvents.message: {
        const content = ev.data?.content ?? [];
        if (ev.data?.role === 'assistant' && ev.sessionId === sessions.selected) {
          const text = content.filter((b) => b.type === 'text').map((b) => String(b.text ?? '')).join(' ');
          if (text) this.notices.announce('Claude: ' + clip(text, 300));
        }
        // A tool may have changed files: the Changes panel refreshes on this.
        if (ev.sessionId && content.some((b) => b.type === 'tool_result')) sessions.sawToolResult(ev.sessionId);
        break;
      }
      case konsoleEvents.sessionRewound:
        // The folder changed (the Changes panel refreshes), and the
        // transcript gains its divider: read again with it.
        if (ev.sessionId) {
          sessions.sawToolResult(ev.sessionId);
          if (this.transcripts.peek(ev.sessionId)) this.transcripts.load(ev.sessionId);
        }
        return;
    }
    if (!ev.sessionId) return;
    this.transcripts.apply(ev);
  }

  private onQueue(q: QueuedPrompt[]): void {
    this.connection.queue = q;
    for (const p of q) this.transcripts.peek(p.sessionId)?.addPending(p.clientMessageId, p.text, p.state, p.error);
  }
}

/** The dashboard itself, for the one thing no store does: refetch everything (after a Konsole is added). */
export const [getDashboard, setDashboard] = createContext<Dashboard>();
