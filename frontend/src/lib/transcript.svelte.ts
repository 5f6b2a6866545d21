// Transcript: the items of one session's console, built from Konsole's
// transcript (REST) and then from live events. Pure TypeScript: the view
// renders it, tests drive it.

import type { KonsoleEvent } from './console-client';
import type * as contract from './generated/contract';
import type { TurnCompleted } from './generated/contract';
import { konsoleEvents } from './konsole-events';
import type { PromptImage } from './images';
import { localCommand } from './tool-names';

/**
 * One row of the console. rewound marks the rows of turns a rewind of the
 * conversation dropped: still shown (dimmed) and found by search.
 */
export type Item = ItemKind & { rewound?: boolean };

type ItemKind =
  | {
      kind: 'user';
      id: string;
      turnId?: string;
      text: string;
      pending?: 'queued' | 'sending' | 'failed';
      error?: string;
      /** The prompt's images; messageId its row in Konsole's transcript (for a fork). */
      images?: PromptImage[];
      messageId?: number;
    }
  | { kind: 'assistant'; id: string; turnId?: string; text: string; streaming: boolean }
  | { kind: 'thinking'; id: string; turnId?: string; text: string }
  | {
      kind: 'tool';
      id: string;
      turnId?: string;
      name: string;
      input: any;
      result?: string;
      isError?: boolean;
      status: 'running' | 'done' | 'error';
      /** A subagent's (Task's) own messages and tool calls, nested under it. */
      children?: Item[];
    }
  | {
      kind: 'permission';
      id: string;
      turnId?: string;
      toolName: string;
      input: any;
      state: 'pending' | 'allow' | 'deny' | 'answering';
      message?: string;
      /** tool: allow or deny; plan: approve a plan (plan holds it); question: answer it. */
      permKind: 'tool' | 'plan' | 'question';
      plan?: string;
      mode?: string;
      answers?: Record<string, string>;
      /** When the CLI asked, and when Konsole denies it unanswered (auto-deny). */
      requestedAt?: string;
      autoDenyAt?: string;
      /** Answered with "always allow", or denied by auto-deny. */
      always?: boolean;
      auto?: boolean;
    }
  | { kind: 'compact'; id: string; turnId?: string; trigger?: string; preTokens?: number }
  /** A rewind's divider, just before the prompt it went back to. */
  | { kind: 'rewind'; id: string; turnId?: string; messageId?: number; files: boolean; conversation: boolean; droppedTurns?: number }
  /** A line Claude Code printed for a local slash command ("Set model to ..."), not a prompt. */
  | { kind: 'note'; id: string; turnId?: string; text: string; error?: boolean }
  /** A line between turns saying what changed (the model, the permission mode). */
  | { kind: 'marker'; id: string; turnId?: string; text: string }
  | {
      kind: 'turn-end';
      id: string;
      turnId: string;
      reason: 'completed' | 'interrupted' | 'error';
      costUsd?: number;
      durationMs?: number;
      error?: string;
      /** The turn's own tokens (turn.completed's usage). */
      usage?: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
    };

export interface Block {
  type: string;
  text?: string;
  thinking?: string;
  id?: string;
  name?: string;
  input?: any;
  tool_use_id?: string;
  content?: any;
  is_error?: boolean;
  [k: string]: any;
}

export interface MessageRow {
  id: number;
  turnId?: string;
  role: string;
  content: Block[];
}

/** A permission request as Konsole sends it (event or REST); a request
 * kept by an older Konsole may lack the newer members. */
export type PermissionRequest = Pick<contract.PermissionRequest, 'requestId' | 'toolName' | 'input'> &
  Partial<Omit<contract.PermissionRequest, 'requestId' | 'toolName' | 'input'>>;

/** The turnId of an event: its data's, else the envelope's. */
function eventTurnId(ev: KonsoleEvent): string | undefined {
  const d: unknown = ev.data;
  if (d && typeof d === 'object' && 'turnId' in d && typeof d.turnId === 'string') return d.turnId;
  return ev.turnId;
}

function permissionItem(p: PermissionRequest, turnId?: string): Item {
  return {
    kind: 'permission',
    id: p.requestId,
    turnId: turnId ?? p.turnId,
    toolName: p.toolName,
    input: p.input,
    state: 'pending',
    permKind: p.kind ?? (p.toolName === 'ExitPlanMode' ? 'plan' : p.toolName === 'AskUserQuestion' ? 'question' : 'tool'),
    plan: p.plan,
    requestedAt: p.requestedAt,
    autoDenyAt: p.autoDenyAt,
  };
}

export const INTERRUPT_MARKER = '[Request interrupted by user';

/** The text of a tool_result's content (a string or text blocks). */
export function resultText(content: any): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((b) => (typeof b === 'string' ? b : b?.type === 'text' ? b.text ?? '' : '')).join('\n');
  }
  return JSON.stringify(content);
}

// Items are deeply reactive ($state): the view updates just the row whose
// item changed, which keeps streaming into a long transcript cheap.
export class Transcript {
  items: Item[] = $state([]);
  /** The running turn, if any. */
  activeTurn: string | null = $state(null);
  // Positions by id: items are reached through this.items[i], so that only
  // the items touched get a reactive proxy (a long transcript loads fast).
  private index = new Map<string, number>();
  /** Item ids in order, a plain array: keys for the virtual list without touching the items. */
  keys: string[] = [];
  private streaming = new Map<string, string>(); // turnId -> streaming assistant item id
  private seq = 0;
  /** Incremented on every change: views that follow the end watch it. */
  version = $state(0);
  /** Incremented each time the person sends a prompt here: the view goes to its end. */
  sent = $state(0);

  private building: Item[] | null = null;
  /** Stored message id -> the id of the item it made (for a search hit). */
  private byMessage = new Map<number, string>();
  /** Set once a stored transcript has loaded. */
  loaded = $state(false);

  /** The list position of the item a stored message made, or -1. */
  indexOfMessage(messageId: number): number {
    const id = this.byMessage.get(messageId);
    const i = id === undefined ? undefined : this.index.get(id);
    return i ?? -1;
  }

  private add(item: Item): void {
    if (this.building) {
      this.index.set(item.id, this.building.length);
      this.building.push(item);
      this.keys.push(item.id);
      return;
    }
    this.index.set(item.id, this.items.length);
    this.keys.push(item.id);
    this.items.push(item);
  }

  /** Adds a marker line at the end: the model or mode changed here. */
  note(text: string): void {
    this.add({ kind: 'marker', id: `marker:${++this.seq}`, text });
    this.version++;
  }

  get(id: string): Item | undefined {
    const i = this.index.get(id);
    return i === undefined ? this.nested.get(id) : (this.building ?? this.items)[i];
  }

  // Items of subagents, kept inside their Task's item rather than the list.
  private nested = new Map<string, Item>();

  /** Adds item under the Task call parent when there is one; else to the list. */
  private place(item: Item, parent?: string): void {
    const p = parent ? this.get(parent) : undefined;
    if (p && p.kind === 'tool') {
      (p.children ??= []).push(item);
      // The item reached through its parent is the reactive one.
      this.nested.set(item.id, p.children[p.children.length - 1]);
      return;
    }
    this.add(item);
  }

  /** Replaces everything with a transcript fetched over REST. */
  load(rows: MessageRow[], pending: PermissionRequest[] = []): void {
    this.index.clear();
    this.nested.clear();
    this.keys = [];
    this.streaming.clear();
    this.building = [];
    this.byMessage.clear();
    this.build(rows);
    for (const p of pending) this.add(permissionItem(p));
    // One assignment for the whole transcript.
    this.items = this.building;
    this.building = null;
    this.loaded = true;
    this.version++;
  }

  /** Adds stored rows to this.building, noting which item each message made. */
  private build(rows: MessageRow[]): void {
    const list = this.building!;
    for (const r of rows) {
      if (r.role === 'rewind') {
        this.rewind(r.content?.[0] ?? {}, r.id);
        continue;
      }
      const at = list.length;
      if (at > 0 && r.id != null) this.byMessage.set(r.id, list[at - 1].id);
      if (r.role === 'turn') {
        const b = r.content?.[0] ?? {};
        this.endTurn(r.turnId ?? '', b.reason ?? 'completed', b as Partial<TurnCompleted>);
      } else {
        this.message(r.role, r.content ?? [], r.turnId, r.role === 'user' && isPrompt(r.content), undefined, r.id);
      }
      // The item the message made (or, when it merged into one before, that one).
      if (list.length > at && r.id != null) this.byMessage.set(r.id, list[at].id);
    }
  }

  /**
   * Puts an older page of stored rows (oldest first) before the items;
   * returns how many items it added.
   */
  prepend(rows: MessageRow[]): number {
    const current = this.items;
    const currentKeys = this.keys;
    const streaming = this.streaming;
    this.streaming = new Map();
    this.index.clear();
    this.keys = [];
    this.building = [];
    this.build(rows);
    const older = this.building;
    this.building = null;
    this.streaming = streaming;
    this.keys = [...this.keys, ...currentKeys];
    this.index.clear();
    this.keys.forEach((k, j) => this.index.set(k, j));
    this.items = [...older, ...current];
    this.version++;
    return older.length;
  }

  /** Applies one live event; returns whether anything changed. Each case
   * reads its event's own data type (KonsoleEvent is a union on type). */
  apply(ev: KonsoleEvent): boolean {
    const turnId = eventTurnId(ev);
    switch (ev.type) {
      case konsoleEvents.turnStarted: {
        const d = ev.data;
        this.activeTurn = turnId ?? null;
        const pending = d?.clientMessageId ? this.get('pending:' + d.clientMessageId) : undefined;
        if (pending && pending.kind === 'user') {
          pending.pending = undefined;
          pending.turnId = turnId;
        } else {
          this.add({ kind: 'user', id: 'prompt:' + turnId, turnId, text: d?.prompt ?? '' });
        }
        break;
      }
      case konsoleEvents.textDelta: {
        if (!turnId) return false;
        const text = ev.data?.text ?? '';
        const sid = this.streaming.get(turnId);
        const cur = sid ? this.get(sid) : undefined;
        if (cur && cur.kind === 'assistant' && this.items[this.items.length - 1] === cur) {
          cur.text += text;
        } else {
          const id = `stream:${turnId}:${++this.seq}`;
          this.add({ kind: 'assistant', id, turnId, text, streaming: true });
          this.streaming.set(turnId, id);
        }
        break;
      }
      case konsoleEvents.message:
        this.message(ev.data?.role, (ev.data?.content ?? []) as Block[], turnId, false, ev.data?.parentToolUseId);
        break;
      case konsoleEvents.permissionRequest:
        if (!ev.data || this.index.has(ev.data.requestId)) return false;
        this.add(permissionItem(ev.data, turnId));
        break;
      case konsoleEvents.permissionResolved: {
        const d = ev.data;
        const p = d && this.get(d.requestId);
        if (!p || p.kind !== 'permission') return false;
        p.state = d.behavior === 'allow' ? 'allow' : 'deny';
        p.message = d.message;
        p.mode = d.mode;
        p.answers = d.answers;
        p.always = d.always;
        p.auto = d.auto;
        break;
      }
      case konsoleEvents.turnCompleted:
        this.endTurn(turnId ?? '', ev.data?.reason, ev.data ?? {});
        break;
      default:
        return false;
    }
    this.version++;
    return true;
  }

  /**
   * Applies an event that arrived while the stored transcript was loading:
   * what the stored transcript already holds is skipped.
   */
  applyAfterLoad(ev: KonsoleEvent): void {
    const turnId = eventTurnId(ev);
    if (turnId && this.index.has('end:' + turnId)) return;
    if (ev.type === konsoleEvents.turnStarted && this.index.has('prompt:' + turnId)) return;
    if (ev.type === konsoleEvents.message && ev.data?.role === 'assistant') {
      const texts = (ev.data.content ?? []).filter((b: Block) => b.type === 'text').map((b: Block) => b.text);
      const recent = this.items.slice(-200);
      const dup = recent.some((it) => it.kind === 'assistant' && it.turnId === turnId && !it.streaming && texts.includes(it.text));
      if (dup) return;
    }
    this.apply(ev);
  }

  /** Shows a prompt typed by the user before Konsole confirms it. */
  addPending(clientMessageId: string, text: string, state: 'queued' | 'sending' | 'failed', error?: string, images?: PromptImage[]): void {
    const id = 'pending:' + clientMessageId;
    const cur = this.get(id);
    if (cur && cur.kind === 'user') {
      if (cur.pending) {
        cur.pending = state;
        cur.error = error;
      }
    } else {
      this.add({ kind: 'user', id, text, pending: state, error, ...(images?.length ? { images } : {}) });
    }
    this.version++;
  }

  /** Removes a pending prompt the user discarded. */
  removePending(clientMessageId: string): void {
    const id = 'pending:' + clientMessageId;
    const i = this.index.get(id) ?? -1;
    if (i >= 0) {
      this.items.splice(i, 1);
      this.keys.splice(i, 1);
      this.index.clear();
      this.keys.forEach((k, j) => this.index.set(k, j));
      this.version++;
    }
  }

  private message(role: string, content: Block[], turnId: string | undefined, prompt: boolean, parent?: string, rowId?: number): void {
    // Konsole marks each block of a subagent's message with its Task call.
    parent ??= content.find((b) => b.parentToolUseId)?.parentToolUseId;
    if (role === 'system') {
      for (const b of content) {
        if (b.type === 'compact_boundary') {
          this.add({ kind: 'compact', id: `compact:${++this.seq}`, turnId, trigger: b.metadata?.trigger, preTokens: b.metadata?.pre_tokens });
        }
      }
      return;
    }
    if (role === 'user') {
      // Claude Code's own user messages (a slash command's output, its
      // caveat) read as a line of the transcript, never as a prompt bubble.
      const own = content.length && content.every((b) => b.type === 'text') ? localCommand(content.map((b) => b.text ?? '').join('')) : null;
      if (own && own.kind === 'hidden') return;
      if (own && own.kind === 'output') {
        if (own.text) this.add({ kind: 'note', id: `note:${rowId ?? ++this.seq}:${turnId ?? ''}`, turnId, text: own.text, error: own.error });
        return;
      }
      if (prompt) {
        const text = own?.kind === 'command' ? own.text : content.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('');
        const images = content
          .filter((b) => b.type === 'image' && b.source?.type === 'base64')
          .map((b) => ({ mediaType: b.source.media_type, data: b.source.data }));
        // An imported conversation's prompts have no turn: each is its own item.
        const id = 'prompt:' + (turnId || `row:${rowId ?? ++this.seq}`);
        this.add({ kind: 'user', id, turnId, text, ...(images.length ? { images } : {}), ...(rowId != null ? { messageId: rowId } : {}) });
        return;
      }
      if (parent && content.every((b) => b.type === 'text')) {
        // The prompt Claude gave a subagent.
        this.place({ kind: 'assistant', id: `sub:${++this.seq}`, turnId, text: content.map((b) => b.text ?? '').join(''), streaming: false }, parent);
        return;
      }
      for (const b of content) {
        if (b.type === 'tool_result' && b.tool_use_id) {
          const t = this.get(b.tool_use_id);
          if (t && t.kind === 'tool') {
            t.result = resultText(b.content);
            t.isError = !!b.is_error;
            t.status = b.is_error ? 'error' : 'done';
          }
        }
      }
      return;
    }
    for (const b of content) {
      if (parent) {
        // A subagent's text and calls go under its Task call, never streamed.
        if (b.type === 'text' && b.text) {
          this.place({ kind: 'assistant', id: `sub:${++this.seq}`, turnId, text: b.text, streaming: false }, parent);
        } else if (b.type === 'tool_use' && b.id && !this.get(b.id)) {
          this.place({ kind: 'tool', id: b.id, turnId, name: b.name ?? 'tool', input: b.input ?? {}, status: 'running' }, parent);
        }
        continue;
      }
      if (b.type === 'text') {
        const sid = turnId ? this.streaming.get(turnId) : undefined;
        const cur = sid ? this.get(sid) : undefined;
        if (cur && cur.kind === 'assistant' && cur.streaming) {
          cur.text = b.text ?? cur.text;
          cur.streaming = false;
          this.streaming.delete(turnId!);
        } else {
          this.add({ kind: 'assistant', id: `text:${turnId}:${++this.seq}`, turnId, text: b.text ?? '', streaming: false });
        }
      } else if (b.type === 'tool_use' && b.id) {
        if (!this.index.has(b.id)) {
          this.add({ kind: 'tool', id: b.id, turnId, name: b.name ?? 'tool', input: b.input ?? {}, status: 'running' });
        }
      } else if (b.type === 'thinking' && (b.thinking || b.text)) {
        this.add({ kind: 'thinking', id: `thinking:${turnId}:${++this.seq}`, turnId, text: b.thinking ?? b.text ?? '' });
      }
    }
  }

  /**
   * A rewind (Konsole's transcript row of role "rewind"): its divider goes
   * just before the prompt it went back to, and when it rewound the
   * conversation, every row from that prompt on is dimmed. A prompt on a
   * page not loaded yet gets no divider.
   */
  private rewind(mark: Block, rowId?: number): void {
    const list = this.building ?? this.items;
    const at = list.findIndex((it) => it.kind === 'user' && ((mark.messageId != null && it.messageId === mark.messageId) || (!!mark.turnId && it.turnId === mark.turnId)));
    if (at < 0) return;
    if (mark.conversation) for (let i = at; i < list.length; i++) list[i].rewound = true;
    const id = 'rewind:' + (rowId ?? ++this.seq);
    list.splice(at, 0, {
      kind: 'rewind',
      id,
      turnId: mark.turnId,
      messageId: mark.messageId,
      files: !!mark.files,
      conversation: !!mark.conversation,
      droppedTurns: mark.droppedTurns,
    });
    this.keys.splice(at, 0, id);
    this.index.clear();
    this.keys.forEach((k, j) => this.index.set(k, j));
  }

  private endTurn(turnId: string, reason: string | undefined, d: Partial<TurnCompleted>): void {
    if (this.activeTurn === turnId) this.activeTurn = null;
    const sid = this.streaming.get(turnId);
    const cur = sid ? this.get(sid) : undefined;
    if (cur && cur.kind === 'assistant') cur.streaming = false;
    this.streaming.delete(turnId);
    // A turn's items are at the end: walk back to the previous turn's end.
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i];
      if (it.kind === 'turn-end' && it.turnId !== turnId) break;
      if (it.turnId !== turnId) continue;
      if (it.kind === 'tool' && it.status === 'running') {
        it.status = reason === 'completed' ? 'done' : 'error';
      }
      if (it.kind === 'tool') {
        for (const c of it.children ?? []) if (c.kind === 'tool' && c.status === 'running') c.status = reason === 'completed' ? 'done' : 'error';
      }
      if (it.kind === 'permission' && (it.state === 'pending' || it.state === 'answering')) it.state = 'deny';
    }
    const id = 'end:' + turnId;
    if (this.index.has(id)) return;
    this.add({
      kind: 'turn-end',
      id,
      turnId,
      reason: reason === 'interrupted' || reason === 'error' ? reason : 'completed',
      costUsd: d.costUsd,
      durationMs: d.durationMs,
      error: d.error,
      usage: d.usage,
    });
  }
}

function isPrompt(content: Block[]): boolean {
  return (
    content.some((b) => b.type === 'text') &&
    content.every((b) => b.type === 'text' || b.type === 'image') &&
    !content.some((b) => (b.text ?? '').startsWith(INTERRUPT_MARKER))
  );
}
