// SessionActions: what a person does to a session (start, prompt, stop,
// answer, fork, queue, rules, export), each turning a failure into a toast
// with a sentence. Requests for a session go to the bridge, which routes
// them to the session's Konsole.

import { ApiError } from './api';
import type { AppState } from './app.svelte';
import { errorText } from './errors';
import { fileNameOf } from './find';
import type { PromptImage } from './images';
import type { NewSessionOptions, Session } from './types';

export class SessionActions {
  constructor(private app: AppState) {}

  /** Starts a session on the Konsole the options name (the bridge's default when none). */
  async createSession(o: NewSessionOptions): Promise<void> {
    const app = this.app;
    const body: Record<string, string | boolean> = { cwd: o.cwd };
    for (const k of ['title', 'model', 'permissionMode', 'effort', 'konsoleId'] as const) if (o[k]) body[k] = o[k]!;
    if (o.worktree) body.worktree = true;
    const s = await app.api.post<Session>('/sessions', body);
    app.upsertSession({ ...s, konsoleId: s.konsoleId ?? o.konsoleId });
    app.select(s.id);
    if (s.status === 'error') app.toast('The agent did not start: ' + (s.lastError ?? 'unknown error'), 'error');
  }

  /** Changes a session's model, permission mode, title or archived flag mid-session. */
  async updateSession(id: string, patch: { model?: string; permissionMode?: string; title?: string; archived?: boolean }): Promise<boolean> {
    try {
      this.app.upsertSession(await this.app.api.patch<Session>(`/sessions/${id}`, patch));
      this.app.loadInfo(id);
      return true;
    } catch (e) {
      this.app.toast(errorText(e), 'error');
      return false;
    }
  }

  async rename(id: string, title: string): Promise<void> {
    try {
      this.app.upsertSession(await this.app.api.patch<Session>(`/sessions/${id}`, { title }));
    } catch (e) {
      this.app.toast(errorText(e), 'error');
    }
  }

  async end(id: string): Promise<void> {
    try {
      await this.app.api.del(`/sessions/${id}`);
    } catch (e) {
      this.app.toast(errorText(e), 'error');
    }
  }

  send(text: string): void {
    const app = this.app;
    const sid = app.selected;
    if (!sid || !text.trim()) return;
    const p = app.client.prompt(sid, text);
    const t = app.transcripts.get(sid);
    t.addPending(p.clientMessageId, text, app.client.connected ? 'sending' : 'queued');
    t.sent++;
  }

  /**
   * Sends a prompt with images over REST (the WebSocket's frames stay small;
   * docs/protocol.md). Returns whether Konsole took it; when not, the
   * prompt box keeps the text and images and a toast says why.
   */
  async sendImages(text: string, images: PromptImage[]): Promise<boolean> {
    const app = this.app;
    const sid = app.selected;
    if (!sid || !text.trim()) return false;
    const clientMessageId = crypto.randomUUID();
    const t = app.transcripts.get(sid);
    t.addPending(clientMessageId, text, 'sending', undefined, images);
    t.sent++;
    try {
      await app.api.post(`/sessions/${sid}/prompt`, { text, clientMessageId, images });
      return true;
    } catch (e) {
      t.removePending(clientMessageId);
      app.toast('Not sent: ' + errorText(e), 'error');
      return false;
    }
  }

  discard(clientMessageId: string): void {
    const app = this.app;
    const sid = app.queue.find((q) => q.clientMessageId === clientMessageId)?.sessionId;
    app.client.discard(clientMessageId);
    if (sid) app.transcripts.peek(sid)?.removePending(clientMessageId);
  }

  async stop(): Promise<void> {
    const app = this.app;
    const sid = app.selected;
    if (!sid || app.stopping[sid]) return;
    app.stopping[sid] = true;
    const ack = await app.client.request('stop', { sessionId: sid });
    if (!ack.ok) {
      app.stopping[sid] = false;
      app.toast('Stop failed: ' + ack.error, 'error');
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
    const item = this.app.transcripts.peek(sessionId)?.get(requestId);
    if (item?.kind === 'permission') item.state = 'answering';
    const ack = await this.app.client.request('permission', { sessionId, requestId, ...fields });
    if (!ack.ok) {
      if (item?.kind === 'permission') item.state = 'pending';
      this.app.toast('Could not answer: ' + ack.error, 'error');
    }
  }

  async editWaiting(sid: string, queueId: string, patch: { text?: string; position?: number }): Promise<void> {
    await this.quietly(() => this.app.api.patch(`/sessions/${sid}/queue/${queueId}`, patch));
  }

  async removeWaiting(sid: string, queueId: string): Promise<void> {
    await this.quietly(() => this.app.api.del(`/sessions/${sid}/queue/${queueId}`));
  }

  async sendWaiting(sid: string, queueId: string): Promise<void> {
    await this.quietly(() => this.app.api.post(`/sessions/${sid}/queue/${queueId}/send`, {}));
  }

  /** Removes a session rule; Konsole restarts the session's agent to do it. */
  async removeRule(id: string, tool: string): Promise<void> {
    try {
      await this.app.api.del(`/sessions/${id}/rules/${encodeURIComponent(tool)}`);
      this.app.rules[id] = (this.app.rules[id] ?? []).filter((r) => r.toolName !== tool);
    } catch (e) {
      this.app.toast('Could not remove the rule: ' + (e as Error).message, 'error');
    }
  }

  /** Downloads a session as Markdown or JSON (the token goes in a header, not the address). */
  async exportSession(id: string, format: 'md' | 'json'): Promise<void> {
    const { info } = this.app;
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
      this.app.toast('Could not export the session: ' + errorText(e), 'error');
    }
  }

  /** Starts a session that shares a session's conversation up to the end of the turn of a prompt. */
  async fork(sessionId: string, item: { messageId?: number; turnId?: string }): Promise<void> {
    const app = this.app;
    try {
      let messageId = item.messageId;
      if (messageId == null && item.turnId) {
        const m = await app.api.get<{ messages: { id: number; role: string; turnId?: string }[] }>(`/sessions/${sessionId}/messages`);
        messageId = m.messages.find((r) => r.role === 'user' && r.turnId === item.turnId)?.id;
      }
      const s = await app.api.post<Session>(`/sessions/${sessionId}/fork`, messageId == null ? {} : { messageId });
      // A fork runs on the Konsole of the session it came from.
      app.upsertSession({ ...s, konsoleId: s.konsoleId ?? app.sessions.find((x) => x.id === sessionId)?.konsoleId });
      app.select(s.id);
      app.toast('Forked into a new session: ' + s.title, 'info');
    } catch (e) {
      app.toast('Could not fork: ' + errorText(e), 'error');
    }
  }

  /** Continues a conversation of a Konsole's CLI history as a Konui session on that Konsole. */
  async continueConversation(c: { cwd: string; agentSessionId: string }, konsoleId?: string): Promise<void> {
    const app = this.app;
    const existing = app.sessions.find((s) => s.agentSessionId === c.agentSessionId && (!konsoleId || !s.konsoleId || s.konsoleId === konsoleId));
    if (existing) return app.select(existing.id);
    try {
      const s = await app.api.post<Session>('/sessions', { cwd: c.cwd, resume: c.agentSessionId, ...(konsoleId ? { konsoleId } : {}) });
      app.upsertSession({ ...s, konsoleId: s.konsoleId ?? konsoleId });
      app.select(s.id);
    } catch (e) {
      app.toast('Could not continue: ' + errorText(e), 'error');
    }
  }

  private async quietly(f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.app.toast(errorText(e), 'error');
    }
  }
}
