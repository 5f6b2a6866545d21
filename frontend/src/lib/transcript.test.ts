import { describe, expect, it } from 'vitest';
import { Transcript } from './transcript.svelte';
import type { KonsoleEvent } from './console-client';

let id = 0;
const ev = (type: string, data: any, turnId = 't1') => ({ id: ++id, type, turnId, sessionId: 's', at: '', data: { turnId, ...data } }) as KonsoleEvent;

describe('Transcript', () => {
  it('streams deltas into one assistant item and settles it with the message', () => {
    const t = new Transcript();
    t.apply(ev('turn.started', { prompt: 'hello' }));
    t.apply(ev('text.delta', { text: 'Hel' }));
    t.apply(ev('text.delta', { text: 'lo!' }));
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'assistant']);
    expect(t.items[1]).toMatchObject({ text: 'Hello!', streaming: true });
    t.apply(ev('message', { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] }));
    expect(t.items[1]).toMatchObject({ text: 'Hello!', streaming: false });
    t.apply(ev('turn.completed', { reason: 'completed', costUsd: 0.01, durationMs: 1200 }));
    expect(t.items[2]).toMatchObject({ kind: 'turn-end', reason: 'completed', costUsd: 0.01 });
    expect(t.activeTurn).toBeNull();
  });

  it('pairs tool calls with their results and shows permission requests', () => {
    const t = new Transcript();
    t.apply(ev('turn.started', { prompt: 'run it' }));
    t.apply(ev('message', { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'ls' } }] }));
    t.apply(ev('permission.request', { requestId: 'r1', toolName: 'Bash', input: { command: 'ls' } }));
    expect(t.get('r1')).toMatchObject({ kind: 'permission', state: 'pending' });
    t.apply(ev('permission.resolved', { requestId: 'r1', behavior: 'allow' }));
    expect(t.get('r1')).toMatchObject({ state: 'allow' });
    t.apply(ev('message', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'a\nb', is_error: false }] }));
    expect(t.get('tu1')).toMatchObject({ kind: 'tool', status: 'done', result: 'a\nb' });
  });

  it('ends an interrupted turn with a marker and closes what was open', () => {
    const t = new Transcript();
    t.apply(ev('turn.started', { prompt: 'long' }));
    t.apply(ev('text.delta', { text: 'word1 word2' }));
    t.apply(ev('permission.request', { requestId: 'r9', toolName: 'Bash', input: {} }));
    t.apply(ev('message', { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] }));
    t.apply(ev('turn.completed', { reason: 'interrupted' }));
    expect(t.items.find((i) => i.kind === 'assistant')).toMatchObject({ streaming: false });
    expect(t.get('r9')).toMatchObject({ state: 'deny' });
    expect(t.items[t.items.length - 1]).toMatchObject({ kind: 'turn-end', reason: 'interrupted' });
  });

  it('turns a pending prompt into the confirmed one by clientMessageId', () => {
    const t = new Transcript();
    t.addPending('cm1', 'queued text', 'queued');
    expect(t.items[0]).toMatchObject({ kind: 'user', pending: 'queued' });
    t.apply(ev('turn.started', { prompt: 'queued text', clientMessageId: 'cm1' }));
    expect(t.items).toHaveLength(1);
    expect(t.items[0]).toMatchObject({ kind: 'user', pending: undefined, turnId: 't1' });
  });

  it('rebuilds the same items from the stored transcript', () => {
    const t = new Transcript();
    t.load([
      { id: 1, turnId: 't1', role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { id: 2, turnId: 't1', role: 'assistant', content: [{ type: 'text', text: 'Echo: hi' }] },
      { id: 3, turnId: 't1', role: 'assistant', content: [{ type: 'tool_use', id: 'tu', name: 'Edit', input: {} }] },
      { id: 4, turnId: 't1', role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu', content: 'ok' }] },
      { id: 5, turnId: 't1', role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] },
      { id: 6, turnId: 't1', role: 'turn', content: [{ type: 'turn.completed', reason: 'interrupted', durationMs: 5 }] },
    ]);
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'assistant', 'tool', 'turn-end']);
    expect(t.items[3]).toMatchObject({ reason: 'interrupted' });
  });

  it('ignores events it does not know and duplicate permission requests', () => {
    const t = new Transcript();
    expect(t.apply(ev('brand.new', {}))).toBe(false);
    t.apply(ev('permission.request', { requestId: 'r1', toolName: 'Bash', input: {} }));
    expect(t.apply(ev('permission.request', { requestId: 'r1', toolName: 'Bash', input: {} }))).toBe(false);
  });
});

describe('Transcript: plans, questions, compaction, subagents', () => {
  it('shows a plan and a question as their own kinds of request, and how they were answered', () => {
    const t = new Transcript();
    t.apply(ev('turn.started', { prompt: 'plan it' }));
    t.apply(ev('permission.request', { requestId: 'p1', toolName: 'ExitPlanMode', input: {}, kind: 'plan', plan: '# Plan' }));
    t.apply(ev('permission.request', { requestId: 'q1', toolName: 'AskUserQuestion', input: { questions: [] }, kind: 'question' }));
    expect(t.get('p1')).toMatchObject({ kind: 'permission', permKind: 'plan', plan: '# Plan', state: 'pending' });
    expect(t.get('q1')).toMatchObject({ permKind: 'question' });
    t.apply(ev('permission.resolved', { requestId: 'p1', behavior: 'allow', mode: 'acceptEdits' }));
    t.apply(ev('permission.resolved', { requestId: 'q1', behavior: 'allow', answers: { 'Which?': 'Blue' } }));
    expect(t.get('p1')).toMatchObject({ state: 'allow', mode: 'acceptEdits' });
    expect(t.get('q1')).toMatchObject({ state: 'allow', answers: { 'Which?': 'Blue' } });
  });

  it('tells a plan from the tool name when Konsole sent no kind (a stored request)', () => {
    const t = new Transcript();
    t.load([], [{ requestId: 'p2', toolName: 'ExitPlanMode', input: {} }]);
    expect(t.get('p2')).toMatchObject({ permKind: 'plan' });
  });

  it('marks a compaction in the transcript', () => {
    const t = new Transcript();
    t.apply(ev('message', { role: 'system', content: [{ type: 'compact_boundary', metadata: { trigger: 'manual', pre_tokens: 120 } }] }));
    expect(t.items).toMatchObject([{ kind: 'compact', trigger: 'manual', preTokens: 120 }]);
  });

  it('nests a subagent under its Task call, live and when loaded', () => {
    const live = new Transcript();
    live.apply(ev('turn.started', { prompt: 'delegate' }));
    live.apply(ev('message', { role: 'assistant', content: [{ type: 'tool_use', id: 'task1', name: 'Task', input: { description: 'look around' } }] }));
    live.apply(ev('message', { role: 'assistant', parentToolUseId: 'task1', content: [{ type: 'text', text: 'sub says hi' }, { type: 'tool_use', id: 'sub-ls', name: 'Bash', input: { command: 'ls' } }] }));
    live.apply(ev('message', { role: 'user', parentToolUseId: 'task1', content: [{ type: 'tool_result', tool_use_id: 'sub-ls', content: 'a.txt' }] }));
    live.apply(ev('text.delta', { text: 'parent goes on' }));
    expect(live.items.map((i) => i.kind)).toEqual(['user', 'tool', 'assistant']);
    const task = live.get('task1');
    expect(task?.kind === 'tool' && task.children?.map((c) => c.kind)).toEqual(['assistant', 'tool']);
    expect(live.get('sub-ls')).toMatchObject({ status: 'done', result: 'a.txt' });

    const loaded = new Transcript();
    loaded.load([
      { id: 1, turnId: 't1', role: 'user', content: [{ type: 'text', text: 'delegate' }] },
      { id: 2, turnId: 't1', role: 'assistant', content: [{ type: 'tool_use', id: 'task1', name: 'Task', input: {} }] },
      { id: 3, turnId: 't1', role: 'assistant', content: [{ type: 'text', text: 'sub says hi', parentToolUseId: 'task1' }] },
    ]);
    expect(loaded.items.map((i) => i.kind)).toEqual(['user', 'tool']);
    const t2 = loaded.get('task1');
    expect(t2?.kind === 'tool' && t2.children?.length).toBe(1);
  });
});

describe('Transcript: loading a stored transcript', () => {
  it('pairs stored tool calls with their stored results', () => {
    const t = new Transcript();
    t.load([
      { id: 1, turnId: 't1', role: 'user', content: [{ type: 'text', text: 'run ls' }] },
      { id: 2, turnId: 't1', role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'ls' } }] },
      { id: 3, turnId: 't1', role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'a.txt' }] },
    ]);
    expect(t.get('tu1')).toMatchObject({ kind: 'tool', status: 'done', result: 'a.txt' });
  });
  it('shows a prompt\'s images and keeps the row id of every prompt, imported ones too', () => {
    const t = new Transcript();
    const img = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
    t.load([
      { id: 1, role: 'user', content: [{ type: 'text', text: 'from the terminal' }] },
      { id: 2, role: 'assistant', content: [{ type: 'text', text: 'an answer' }] },
      { id: 3, role: 'user', content: [{ type: 'text', text: 'again' }] },
      { id: 4, role: 'user', turnId: 't9', content: [{ type: 'text', text: 'what is this' }, img] },
    ]);
    expect(t.items.filter((i) => i.kind === 'user').map((i) => i.id)).toEqual(['prompt:row:1', 'prompt:row:3', 'prompt:t9']);
    expect(t.items[3]).toMatchObject({ kind: 'user', text: 'what is this', messageId: 4, images: [{ mediaType: 'image/png', data: 'iVBORw0KGgo=' }] });
    t.addPending('cm1', 'look', 'sending', undefined, [{ mediaType: 'image/gif', data: 'R0lGODlh' }]);
    t.apply(ev('turn.started', { prompt: 'look', clientMessageId: 'cm1', images: 1 }, 't10'));
    expect(t.get('pending:cm1')).toMatchObject({ turnId: 't10', images: [{ mediaType: 'image/gif' }] });
  });

  it('puts a rewind divider before the prompt it went back to and dims the turns it dropped', () => {
    const t = new Transcript();
    const prompt = (mid: number, turnId: string, text: string) => ({ id: mid, turnId, role: 'user', content: [{ type: 'text', text }] });
    const answer = (mid: number, turnId: string) => ({ id: mid, turnId, role: 'assistant', content: [{ type: 'text', text: 'ok ' + turnId }] });
    const end = (mid: number, turnId: string) => ({ id: mid, turnId, role: 'turn', content: [{ type: 'turn.completed', reason: 'completed' }] });
    t.load([
      prompt(1, 'a', 'first'), answer(2, 'a'), end(3, 'a'),
      prompt(4, 'b', 'second'), answer(5, 'b'), end(6, 'b'),
      prompt(7, 'c', 'third'), answer(8, 'c'), end(9, 'c'),
      { id: 10, turnId: 'b', role: 'rewind', content: [{ type: 'session.rewound', messageId: 4, turnId: 'b', files: true, conversation: true, droppedTurns: 2 }] },
      prompt(11, 'd', 'fourth'), answer(12, 'd'), end(13, 'd'),
    ]);
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'assistant', 'turn-end', 'rewind', 'user', 'assistant', 'turn-end', 'user', 'assistant', 'turn-end', 'user', 'assistant', 'turn-end']);
    expect(t.items[3]).toMatchObject({ kind: 'rewind', files: true, conversation: true, messageId: 4 });
    expect(t.items.map((i) => !!i.rewound)).toEqual([false, false, false, false, true, true, true, true, true, true, false, false, false]);
    // The positions follow the insertion: a search hit still finds its row.
    expect(t.items[t.indexOfMessage(7)]).toMatchObject({ kind: 'user', text: 'third' });
    expect(t.get('prompt:d')).toMatchObject({ text: 'fourth' });
  });

  it('marks a files-only rewind without dimming the conversation', () => {
    const t = new Transcript();
    t.load([
      { id: 1, turnId: 'a', role: 'user', content: [{ type: 'text', text: 'first' }] },
      { id: 2, turnId: 'a', role: 'rewind', content: [{ type: 'session.rewound', messageId: 1, turnId: 'a', files: true, conversation: false }] },
    ]);
    expect(t.items.map((i) => i.kind)).toEqual(['rewind', 'user']);
    expect(t.items.some((i) => i.rewound)).toBe(false);
  });
});

describe("Claude Code's own user messages", () => {
  it('reads a slash command output as a line and drops the caveat, after a reload', () => {
    const t = new Transcript();
    t.load([
      { id: 1, turnId: 't1', role: 'user', content: [{ type: 'text', text: '/model claude-haiku-4-5' }] },
      { id: 2, turnId: 't1', role: 'user', content: [{ type: 'text', text: '<local-command-caveat>Caveat: the messages below were generated by the user while running local commands.</local-command-caveat>' }] },
      { id: 3, turnId: 't1', role: 'user', content: [{ type: 'text', text: '<local-command-stdout>Set model to claude-haiku-4-5</local-command-stdout>' }] },
      { id: 4, turnId: 't1', role: 'turn', content: [{ type: 'turn', reason: 'completed' }] },
    ]);
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'note', 'turn-end']);
    expect(t.items[1]).toMatchObject({ kind: 'note', text: 'Set model to claude-haiku-4-5' });
    expect(t.items.some((i) => 'text' in i && i.text.includes('<local-command'))).toBe(false);
  });
});
