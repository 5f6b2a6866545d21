// KonsoleStore: the Konsoles the bridge follows (the fleet), each with its
// own state, as reactive state: fed by hello, konsole and konsoles frames,
// changed over /api/konsoles. Which groups are collapsed and where new
// sessions start are remembered in localStorage. It also asks a Konsole
// about the folders on its machine, where a session can start.

import { createContext } from 'svelte';
import type { Api } from '../api';
import type { KonsoleStatus } from '../console-client';
import { LOCAL, pickKonsole, sortKonsoles, withKonsole, type AddKonsoleBody, type KonsoleInfo } from '../konsoles';
import type { RecentFolder } from '../types';

const COLLAPSED_KEY = 'konui.collapsedKonsoles';
const PICK_KEY = 'konui.newSessionKonsole';

function stored<T>(key: string, fallback: T): T {
  try {
    const v = globalThis.localStorage?.getItem(key);
    return v == null ? fallback : (JSON.parse(v) as T);
  } catch {
    return fallback;
  }
}

function store(key: string, v: unknown): void {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(v));
  } catch {
    /* private mode: remembered for this page only */
  }
}

export class KonsoleStore {
  konsoles: KonsoleInfo[] = $state([]);
  /** Konsole ids whose group is folded away in the sidebar. */
  collapsed: Record<string, boolean> = $state(stored(COLLAPSED_KEY, {}));
  /** Where the next session starts (the picker's choice, remembered). */
  remembered: string | null = $state(stored<string | null>(PICK_KEY, null));

  constructor(
    private api: () => Api,
    private now: () => number = Date.now,
    /** Told of Konsoles that left the list (removed here, or in a konsoles frame). */
    private onGone: (ids: string[]) => void = () => {},
  ) {}

  /** More than one Konsole: the views say which one an item belongs to. */
  get many(): boolean {
    return this.konsoles.length > 1;
  }

  byId(id: string | undefined): KonsoleInfo | undefined {
    return this.konsoles.find((k) => k.id === id);
  }

  /** A Konsole's name for people; its id when unknown. */
  name(id: string | undefined): string {
    return this.byId(id)?.name ?? id ?? '';
  }

  /** The Konsole the session picker preselects. */
  get pick(): string {
    return pickKonsole(this.konsoles, this.remembered);
  }

  remember(id: string): void {
    this.remembered = id;
    store(PICK_KEY, id);
  }

  toggle(id: string): void {
    this.collapsed[id] = !this.collapsed[id];
    store(COLLAPSED_KEY, this.collapsed);
  }

  // Counts the lists and states taken from frames: a REST answer that
  // started before one of them is older than what it says.
  private heard = 0;

  /** Takes the whole list (hello, a konsoles frame); returns the ids that are new or newly on. */
  set(list: KonsoleInfo[]): { added: string[]; gone: string[] } {
    this.heard++;
    return this.take(list);
  }

  private take(list: KonsoleInfo[]): { added: string[]; gone: string[] } {
    const before = new Map(this.konsoles.map((k) => [k.id, k]));
    const next = sortKonsoles(list.filter((k) => k && typeof k.id === 'string')).map((k) =>
      k.retryInMs != null ? { ...k, retryAt: this.now() + k.retryInMs } : k,
    );
    const added = next.filter((k) => k.enabled !== false && (!before.has(k.id) || before.get(k.id)!.enabled === false)).map((k) => k.id);
    const ids = new Set(next.map((k) => k.id));
    const gone = [...before.keys()].filter((id) => !ids.has(id));
    this.konsoles = next;
    if (gone.length) this.onGone(gone);
    return { added, gone };
  }

  /**
   * Applies a konsole frame: the state of the Konsole it names, or (from a
   * bridge that follows one) of the only one. Returns the state it had.
   */
  update(f: KonsoleStatus): KonsoleInfo['state'] | undefined {
    this.heard++;
    const id = f.konsoleId ?? this.konsoles[0]?.id ?? LOCAL;
    const i = this.konsoles.findIndex((k) => k.id === id);
    const patch: Partial<KonsoleInfo> = { state: f.state, attempt: f.attempt, retryInMs: f.retryInMs, error: f.error };
    patch.retryAt = f.retryInMs != null ? this.now() + f.retryInMs : undefined;
    if (f.url !== undefined) patch.url = f.url;
    if (f.name !== undefined) patch.name = f.name;
    if (f.latencyMs !== undefined) patch.latencyMs = f.latencyMs;
    if (f.version !== undefined) patch.version = f.version;
    if (i < 0) {
      this.konsoles = sortKonsoles([...this.konsoles, { id, name: f.name ?? (id === LOCAL ? 'Local' : id), ...patch } as KonsoleInfo]);
      return undefined;
    }
    const was = this.konsoles[i].state;
    this.konsoles[i] = { ...this.konsoles[i], ...patch };
    return was;
  }

  /**
   * Reads the list over REST; an older bridge without /api/konsoles keeps
   * what the frames said, and so does any bridge whose frames said
   * something while the answer was on its way (they are newer).
   */
  async load(): Promise<void> {
    try {
      const before = this.heard;
      const r = await this.api().get<{ konsoles: KonsoleInfo[] }>('/konsoles');
      if (Array.isArray(r.konsoles) && this.heard === before) this.take(r.konsoles);
    } catch {
      /* the hello's konsole stands in */
    }
  }

  /** Adds a Konsole (the bridge connects before it answers); rejects with its ApiError. */
  async add(body: AddKonsoleBody): Promise<KonsoleInfo> {
    const r = await this.api().post<{ konsole: KonsoleInfo }>('/konsoles', body);
    this.upsert(r.konsole);
    return r.konsole;
  }

  async rename(id: string, name: string): Promise<void> {
    this.upsert((await this.api().patch<{ konsole: KonsoleInfo }>(`/konsoles/${encodeURIComponent(id)}`, { name })).konsole);
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    this.upsert((await this.api().patch<{ konsole: KonsoleInfo }>(`/konsoles/${encodeURIComponent(id)}`, { enabled })).konsole);
  }

  /** "Retry now": a Konsole waiting to reconnect is tried at once. */
  async retry(id: string): Promise<void> {
    this.upsert((await this.api().post<{ konsole: KonsoleInfo }>(`/konsoles/${encodeURIComponent(id)}/retry`, {})).konsole);
  }

  async remove(id: string): Promise<void> {
    await this.api().del(`/konsoles/${encodeURIComponent(id)}`);
    if (!this.byId(id)) return;
    this.konsoles = this.konsoles.filter((k) => k.id !== id);
    this.onGone([id]);
  }

  /**
   * Takes the entry a REST call answered with. For a Konsole already listed,
   * its connection state stays the frames': the answer is a snapshot from
   * when the bridge answered, and a konsole frame sent after it can arrive
   * first (a Retry now answered "reconnecting" after the frame that said
   * "connected", and the Retry button stayed on a connected Konsole). Every
   * change of state also comes as a frame.
   */
  private upsert(k: KonsoleInfo | undefined): void {
    if (!k?.id) return;
    const i = this.konsoles.findIndex((x) => x.id === k.id);
    if (i < 0) {
      this.konsoles = sortKonsoles([...this.konsoles, k]);
      return;
    }
    const cur = this.konsoles[i];
    const { state, attempt, retryInMs, retryAt, error, latencyMs } = cur;
    this.konsoles[i] = { ...k, state, attempt, retryInMs, retryAt, error, latencyMs };
  }

  async recentFolders(konsoleId: string): Promise<RecentFolder[]> {
    try {
      return (await this.api().get<{ folders: RecentFolder[] }>(withKonsole('/folders/recent', konsoleId))).folders ?? [];
    } catch {
      return [];
    }
  }

  /** Folders on a Konsole's machine that complete a typed path (never files). */
  async dirs(prefix: string, konsoleId: string): Promise<{ path: string; name: string; git?: boolean }[]> {
    try {
      return (await this.api().get<{ dirs: { path: string; name: string; git?: boolean }[] }>(withKonsole('/fs/dirs?prefix=' + encodeURIComponent(prefix), konsoleId))).dirs ?? [];
    } catch {
      return [];
    }
  }
}

export const [getKonsoles, setKonsoles] = createContext<KonsoleStore>();
