// KontaskStore: the kontasks of every Konsole (GET /api/kontasks merges
// them), kept current by kontask events; events may bring only a preview of
// a big output, and the whole one is then read over REST.

import { createContext } from 'svelte';
import type { Api } from '../api';
import { mergeKontaskEvent, type KontaskEventData } from '../kontasks';
import type { Kontask } from '../types';

/** What the store needs of the other stores. */
export interface KontaskHost {
  readonly api: Api;
  toast(text: string, tone: 'kontask', kontaskId: string): void;
  announce(text: string): void;
}

export class KontaskStore {
  list: Kontask[] = $state([]);
  /** The kontask the Kontasks view shows whole (null: the list). */
  open: string | null = $state(null);
  /** The session whose transcript card opened the kontask: the full view offers the way back. */
  openedFrom: string | null = $state(null);
  // Kontasks held with only a preview of their output, and those whose
  // whole output is being fetched.
  private previewOnly = new Set<string>();
  private fetchingBody = new Set<string>();

  constructor(private host: KontaskHost) {}

  /** Kontasks not read yet, on every Konsole. */
  get unread(): number {
    return this.list.filter((k) => !k.readAt).length;
  }

  get(id: string | null): Kontask | undefined {
    return id ? this.list.find((k) => k.id === id) : undefined;
  }

  /** Takes the whole list (it carries whole outputs). */
  set(list: Kontask[]): void {
    this.list = list;
    this.previewOnly.clear();
  }

  /** Drops the kontasks of Konsoles that were removed. */
  dropKonsoles(ids: string[]): void {
    const gone = new Set(ids);
    this.list = this.list.filter((k) => !k.konsoleId || !gone.has(k.konsoleId));
  }

  /** Applies a kontask.created or kontask.updated event from a Konsole. */
  onEvent(d: KontaskEventData, created: boolean, konsoleId?: string): void {
    const id = d?.kontask?.id;
    if (!id) return;
    const known = this.list.find((x) => x.id === id);
    const { kontask, fetchBody } = mergeKontaskEvent(known, !!known && !this.previewOnly.has(id), d);
    if (fetchBody) this.previewOnly.add(id);
    this.upsert(konsoleId && !kontask.konsoleId ? { ...kontask, konsoleId } : kontask, created);
    if (fetchBody) void this.fetchBody(id);
  }

  async markRead(k: Kontask): Promise<void> {
    if (k.readAt) return;
    try {
      const whole = await this.host.api.patch<Kontask>(`/kontasks/${k.id}`, { read: true });
      this.previewOnly.delete(whole.id);
      this.upsert({ ...whole, konsoleId: whole.konsoleId ?? k.konsoleId }, false);
    } catch {
      /* the card still shows; the unread count catches up on the next refresh */
    }
  }

  /** Reads a kontask whole over REST after an event brought a preview. */
  private async fetchBody(id: string): Promise<void> {
    if (this.fetchingBody.has(id)) return;
    this.fetchingBody.add(id);
    try {
      const k = await this.host.api.get<Kontask>(`/kontasks/${encodeURIComponent(id)}`);
      this.previewOnly.delete(id);
      this.upsert({ ...k, konsoleId: k.konsoleId ?? this.get(id)?.konsoleId }, false);
    } catch {
      /* the preview stays; the next refresh reads the whole list */
    } finally {
      this.fetchingBody.delete(id);
    }
  }

  private upsert(k: Kontask, created: boolean): void {
    if (!k?.id) return;
    const i = this.list.findIndex((x) => x.id === k.id);
    if (i >= 0) {
      this.list[i] = k;
      return;
    }
    this.list.unshift(k);
    if (created) {
      this.host.toast('New kontask: ' + k.title, 'kontask', k.id);
      this.host.announce('New kontask: ' + k.title);
    }
  }
}

export const [getKontasks, setKontasks] = createContext<KontaskStore>();
