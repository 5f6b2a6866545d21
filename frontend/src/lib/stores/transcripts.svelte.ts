// TranscriptStore: the transcripts the dashboard has open, loaded page by
// page over REST while live events for them are held back and applied
// after the load, so nothing is shown twice or lost.

import { createContext } from 'svelte';
import type { Api } from '../api';
import type { KonsoleEvent, QueuedPrompt } from '../console-client';
import type { MessagePage, PermissionList } from '../generated/contract';
import { errorText } from '../errors';
import { Transcript } from '../transcript.svelte';
import type { Session } from '../types';

/** Messages per page of a transcript. */
export const PAGE = 300;

/** What the store needs of the other stores. */
export interface TranscriptHost {
  readonly api: Api;
  /** The sessions listed (a loaded transcript takes its session's active turn). */
  readonly sessions: Session[];
  /** The prompts the console client holds: they show as pending rows. */
  readonly queue: QueuedPrompt[];
  toast(text: string, tone: 'error'): void;
}

export class TranscriptStore {
  /** Per session: the oldest message shown and whether older pages remain. */
  pages: Record<string, { oldest: number; more: boolean; loading: boolean }> = $state({});
  /** A search hit to scroll to once its session's transcript has loaded. */
  focus: { sessionId: string; messageId: number } | null = $state(null);
  private map = new Map<string, Transcript>();
  private loading = new Map<string, KonsoleEvent[]>();

  constructor(private host: TranscriptHost) {}

  /** The transcript of a session, loaded on first use. */
  get(id: string): Transcript {
    let t = this.map.get(id);
    if (!t) {
      t = new Transcript();
      this.map.set(id, t);
      this.load(id);
    }
    return t;
  }

  /** The transcript if it is open, without loading it. */
  peek(id: string): Transcript | undefined {
    return this.map.get(id);
  }

  isLoading(id: string): boolean {
    return this.loading.has(id);
  }

  /** Reloads every open transcript (after a resync). */
  reloadAll(): void {
    for (const id of this.map.keys()) this.load(id);
  }

  /** Forgets the transcripts of sessions no longer listed (their Konsole was removed). */
  forget(ids: string[]): void {
    for (const id of ids) {
      this.map.delete(id);
      delete this.pages[id];
    }
  }

  async load(id: string): Promise<void> {
    const t = this.map.get(id)!;
    const { api } = this.host;
    this.loading.set(id, []);
    performance.mark('konui:transcript-fetch');
    try {
      const [m, p] = await Promise.all([
        api.get<MessagePage>(`/sessions/${id}/messages?limit=${PAGE}`),
        api.get<PermissionList>(`/sessions/${id}/permissions`).catch((): PermissionList => ({ permissions: [] })),
      ]);
      performance.mark('konui:transcript-fetched');
      // A page comes newest first; a Konsole without pages sends all, oldest first.
      const rows = m.hasMore === undefined ? m.messages : [...m.messages].reverse();
      this.pages[id] = { oldest: rows[0]?.id ?? 0, more: !!m.hasMore, loading: false };
      t.load(rows, p.permissions);
      performance.mark('konui:transcript-loaded');
      const s = this.host.sessions.find((x) => x.id === id);
      t.activeTurn = s?.activeTurnId ?? null;
      for (const ev of this.loading.get(id) ?? []) t.applyAfterLoad(ev);
      for (const q of this.host.queue) if (q.sessionId === id) t.addPending(q.clientMessageId, q.text, q.state === 'failed' ? 'failed' : q.state, q.error);
    } catch (e) {
      this.host.toast(errorText(e), 'error');
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
    const t = this.map.get(id);
    if (!pg || !t || !pg.more || pg.loading || this.loading.has(id)) return 0;
    pg.loading = true;
    try {
      const m = await this.host.api.get<MessagePage>(`/sessions/${id}/messages?before=${pg.oldest}&limit=${limit}`);
      if (this.pages[id] !== pg) return 0; // reloaded meanwhile
      const rows = [...m.messages].reverse();
      pg.more = m.hasMore ?? false; // a page always says; absent only on the whole transcript
      if (rows.length) pg.oldest = rows[0].id;
      return rows.length ? t.prepend(rows) : 0;
    } catch (e) {
      this.host.toast(errorText(e), 'error');
      return 0;
    } finally {
      pg.loading = false;
    }
  }

  /**
   * Reloads a transcript and fetches older pages until a message is there
   * (at most 40); found runs just before the transcript shows again.
   */
  async findOlder(t: Transcript, sessionId: string, messageId: number, found: () => void): Promise<void> {
    await this.load(sessionId);
    t.loaded = false;
    for (let i = 0; i < 40 && t.indexOfMessage(messageId) < 0; i++) {
      if ((await this.loadOlder(sessionId, 1000)) === 0 && !this.pages[sessionId]?.more) break;
    }
    found();
    t.loaded = true;
  }

  /** Applies a live event, or holds it while its transcript loads. */
  apply(ev: KonsoleEvent): void {
    if (!ev.sessionId) return;
    const buffered = this.loading.get(ev.sessionId);
    if (buffered) {
      buffered.push(ev);
      return;
    }
    this.map.get(ev.sessionId)?.apply(ev);
  }
}

export const [getTranscripts, setTranscripts] = createContext<TranscriptStore>();
