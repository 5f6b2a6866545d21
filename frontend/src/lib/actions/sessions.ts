// SessionActions: what a person does to a session (start, prompt, stop,
// answer, fork, queue, rules, export), each turning a failure into a toast
// with a sentence. Requests for a session go to the bridge, which routes
// them to the session's Konsole.

import { createContext } from 'svelte';
import { ApiError } from '../api';
import { errorText } from '../errors';
import { fileNameOf } from '../find';
import type { PromptImage } from '../images';
import type { ConnectionStore } from '../stores/connection.svelte';
import type { NoticeStore } from '../stores/notices.svelte';
import type { SessionStore } from '../stores/sessions.svelte';
import type { TranscriptStore } from '../stores/transcripts.svelte';
import type { NewSessionOptions, RewindResult, RewindTarget, Session } from '../types';
import type { Navigator } from './navigation';

export class SessionActions {
  constructor(
    private connection: ConnectionStore,
    private sessions: SessionStore,
    private transcripts: TranscriptStore,
    private notices: NoticeStore,
    private nav: Navigator,
  ) {}

  /** Starts a session on the Konsole the options name (the bridge's default when none). */
  async createSession(o: NewSessionOptions): Promise<void> {
    const body: Record<string, string | boolean> = { cwd: o.cwd };
    for (const k of ['title', 'model', 'permissionMode', 'effort', 'konsoleId'] as const) if (o[k]) body[k] = o[k]!;
    if (o.worktree) body.worktree = true;
    const s = await this.connection.api.post<Session>('/sessions', body);
    this.sessions.upsert({ ...s, konsoleId: s.konsoleId ?? o.konsoleId });
    // The session opens: why its agent did not start shows there (or in the
    // banner about the CLI), not again in a toast.
    this.nav.select(s.id);
  }

  /** Changes a session's model, permission mode, title or archived flag mid-session. */
  async updateSession(id: string, patch: { model?: string; permissionMode?: string; title?: string; archived?: boolean }): Promise<boolean> {
    try {
      this.sessions.upsert(await this.connection.api.patch<Session>(`/sessions/${id}`, patch));
      this.sessions.loadInfo(id);
      return true;
    } catch (e) {
      this.notices.toast(errorText(e), 'error');
      return false;
    }
  }

  async rename(id: string, title: string): Promise<void> {
    try {
      this.sessions.upsert(await this.connection.api.patch<Session>(`/sessions/${id}`, { title }));
    } catch (e) {
      this.notices.toast(errorText(e), 'error');
    }
  }

  async end(id: string): Promise<void> {
    try {
      await this.connection.api.del(`/sessions/${id}`);
    } catch (e) {
      this.notices.toast(errorText(e), 'error');
    }
  }

  send(text: string): void {
    const sid = this.sessions.selected;
    if (!sid || !text.trim()) return;
    const p = this.connection.client.prompt(sid, text);
    const t = this.transcripts.get(sid);
    t.addPending(p.clientMessageId, text, this.connection.client.connected ? 'sending' : 'queued');
    t.sent++;
  }

  /**
   * Sends a prompt with images over REST (the WebSocket's frames stay small;
   * docs/protocol.md). Returns whether Konsole took it; when not, the
   * prompt box keeps the text and images and a toast says why.
   */
  async sendImages(text: string, images: PromptImage[]): Promise<boolean> {
    const sid = this.sessions.selected;
    if (!sid || !text.trim()) return false;
    const clientMessageId = crypto.randomUUID();
    const t = this.transcripts.get(sid);
    t.addPending(clientMessageId, text, 'sending', undefined, images);
    t.sent++;
    try {
      await this.connection.api.post(`/sessions/${sid}/prompt`, { text, clientMessageId, images });
      return true;
    } catch (e) {
      t.removePending(clientMessageId);
      this.notices.toast('Not sent: ' + errorText(e), 'error');
      return false;
    }
  }

  discard(clientMessageId: string): void {
    const sid = this.connection.queue.find((q) => q.clientMessageId === clientMessageId)?.sessionId;
    this.connection.client.discard(clientMessageId);
    if (sid) this.transcripts.peek(sid)?.removePending(clientMessageId);
  }

  async stop(): Promise<void> {
    const sid = this.sessions.selected;
    if (!sid || this.sessions.stopping[sid]) return;
    this.sessions.stopping[sid] = true;
    const ack = await this.connection.client.request('stop', { sessionId: sid });
    if (!ack.ok) {
      this.sessions.stopping[sid] = false;
      this.notices.toast('Stop failed: ' + ack.error, 'error');
    }
  }

  async answer(sessionId: string, requestId: string, behavior: 'allow' | 'deny', always = false): Promise<void> {
    await this.answerWith(sessionId, requestId, { behavior, ...(always ? { always: true } : {}) });
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
    const item = this.transcripts.peek(sessionId)?.get(requestId);
    if (item?.kind === 'permission') item.state = 'answering';
    const ack = await this.connection.client.request('permission', { sessionId, requestId, ...fields });
    if (!ack.ok) {
      if (item?.kind === 'permission') item.state = 'pending';
      this.notices.toast('Could not answer: ' + ack.error, 'error');
    }
  }

  async editWaiting(sid: string, queueId: string, patch: { text?: string; position?: number }): Promise<void> {
    await this.quietly(() => this.connection.api.patch(`/sessions/${sid}/queue/${queueId}`, patch));
  }

  async removeWaiting(sid: string, queueId: string): Promise<void> {
    await this.quietly(() => this.connection.api.del(`/sessions/${sid}/queue/${queueId}`));
  }

  async sendWaiting(sid: string, queueId: string): Promise<void> {
    await this.quietly(() => this.connection.api.post(`/sessions/${sid}/queue/${queueId}/send`, {}));
  }

  /** Removes a session rule; Konsole restarts the session's agent to do it. */
  async removeRule(id: string, tool: string): Promise<void> {
    try {
      await this.connection.api.del(`/sessions/${id}/rules/${encodeURIComponent(tool)}`);
      this.sessions.rules[id] = (this.sessions.rules[id] ?? []).filter((r) => r.toolName !== tool);
    } catch (e) {
      this.notices.toast('Could not remove the rule: ' + (e as Error).message, 'error');
    }
  }

  /** Downloads a session as Markdown or JSON (the token goes in a header, not the address). */
  async exportSession(id: string, format: 'md' | 'json'): Promise<void> {
    const { info } = this.connection;
    try {
      const resp = await fetch(info.apiBase + '/api/sessions/' + id + '/export?format=' + format, { headers: { Authorization: 'Bearer ' + info.token } });
      if (!resp.ok) throw new ApiError((await resp.json().catch(() => null))?.error ?? `HTTP ${resp.status}`, resp.status, 'http');
      const url = URL.createObjectURL(await resp.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = fileNameOf(resp.headers.get('Content-Disposition'), 'session.' + format);
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      this.notices.toast('Could not export the session: ' + errorText(e), 'error');
    }
  }

  /** The id of a prompt in Konsole's transcript: a prompt shown live knows only its turn. */
  private async messageIdOf(sessionId: string, item: { messageId?: number; turnId?: string }): Promise<number | undefined> {
    if (item.messageId != null || !item.turnId) return item.messageId;
    const m = await this.connection.api.get<{ messages: { id: number; role: string; turnId?: string }[] }>(`/sessions/${sessionId}/messages`);
    return m.messages.find((r) => r.role === 'user' && r.turnId === item.turnId)?.id;
  }

  /**
   * Rewinds a session to just before a prompt: its files, its conversation or
   * both (body), or with dryRun says what that would change. Errors are thrown
   * (the dialog shows them).
   */
  async rewind(target: RewindTarget, body: { files: boolean; conversation: boolean; dryRun?: boolean; overwrite?: string[] }): Promise<RewindResult> {
    const messageId = await this.messageIdOf(target.sessionId, target);
    if (messageId == null) throw new Error('This prompt is not in Konsole\'s transcript yet.');
    return this.connection.api.post<RewindResult>(`/sessions/${target.sessionId}/rewind`, { messageId, ...body });
  }

  /** "Edit and resend": rewinds the conversation to just before a prompt and puts its text in the prompt box. */
  async editAndResend(target: RewindTarget, fill: (text: string) => void): Promise<void> {
    try {
      await this.rewind(target, { files: false, conversation: true });
      fill(target.text);
      this.notices.toast('The conversation is back to just before that prompt: edit it and send.', 'info');
    } catch (e) {
      this.notices.toast('Could not rewind the conversation: ' + errorText(e), 'error');
    }
  }

  /** Starts a session that shares a session's conversation up to the end of the turn of a prompt. */
  async fork(sessionId: string, item: { messageId?: number; turnId?: string }): Promise<void> {
    try {
      const messageId = await this.messageIdOf(sessionId, item);
      const s = await this.connection.api.post<Session>(`/sessions/${sessionId}/fork`, messageId == null ? {} : { messageId });
      // A fork runs on the Konsole of the session it came from.
      this.sessions.upsert({ ...s, konsoleId: s.konsoleId ?? this.sessions.list.find((x) => x.id === sessionId)?.konsoleId });
      this.nav.select(s.id);
      this.notices.toast('Forked into a new session: ' + s.title, 'info');
    } catch (e) {
      this.notices.toast('Could not fork: ' + errorText(e), 'error');
    }
  }

  /** Continues a conversation of a Konsole's CLI history as a Konui session on that Konsole. */
  async continueConversation(c: { cwd: string; agentSessionId: string }, konsoleId?: string): Promise<void> {
    const existing = this.sessions.list.find((s) => s.agentSessionId === c.agentSessionId && (!konsoleId || !s.konsoleId || s.konsoleId === konsoleId));
    if (existing) return this.nav.select(existing.id);
    try {
      const s = await this.connection.api.post<Session>('/sessions', { cwd: c.cwd, resume: c.agentSessionId, ...(konsoleId ? { konsoleId } : {}) });
      this.sessions.upsert({ ...s, konsoleId: s.konsoleId ?? konsoleId });
      this.nav.select(s.id);
    } catch (e) {
      this.notices.toast('Could not continue: ' + errorText(e), 'error');
    }
  }

  private async quietly(f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.notices.toast(errorText(e), 'error');
    }
  }
}

export const [getSessionActions, setSessionActions] = createContext<SessionActions>();
