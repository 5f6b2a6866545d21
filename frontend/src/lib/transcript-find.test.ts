import { describe, expect, it } from 'vitest';
import { Transcript } from './transcript.svelte';

describe('Transcript and search hits', () => {
  it('finds the row a stored message made, and keeps each turn end usage', () => {
    const t = new Transcript();
    expect(t.loaded).toBe(false);
    t.load([
      { id: 10, turnId: 't1', role: 'user', content: [{ type: 'text', text: 'first' }] },
      { id: 11, turnId: 't1', role: 'assistant', content: [{ type: 'tool_use', id: 'tu', name: 'Bash', input: { command: 'ls' } }] },
      { id: 12, turnId: 't1', role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu', content: 'x' }] },
      { id: 13, turnId: 't1', role: 'assistant', content: [{ type: 'text', text: 'answer' }] },
      { id: 14, turnId: 't1', role: 'turn', content: [{ type: 'turn.completed', reason: 'completed', costUsd: 0.5, usage: { inputTokens: 7, outputTokens: 3, cacheReadTokens: 1, cacheWriteTokens: 2 } }] },
    ]);
    expect(t.loaded).toBe(true);
    expect(t.items[t.indexOfMessage(10)]).toMatchObject({ kind: 'user' });
    expect(t.items[t.indexOfMessage(11)]).toMatchObject({ kind: 'tool' });
    // A tool result joins its call's row.
    expect(t.indexOfMessage(12)).toBe(t.indexOfMessage(11));
    expect(t.items[t.indexOfMessage(13)]).toMatchObject({ kind: 'assistant', text: 'answer' });
    expect(t.items[t.indexOfMessage(14)]).toMatchObject({ kind: 'turn-end', usage: { inputTokens: 7, outputTokens: 3 } });
    expect(t.indexOfMessage(99)).toBe(-1);
  });
});

describe('Transcript pages', () => {
  it('puts an older page before the newest one and still finds every message', () => {
    const t = new Transcript();
    const row = (id: number, turn: string, role: string, text: string) => ({ id, turnId: turn, role, content: [{ type: 'text', text }] });
    const end = (id: number, turn: string) => ({ id, turnId: turn, role: 'turn', content: [{ type: 'turn.completed', reason: 'completed' }] });
    t.load([row(4, 't2', 'user', 'second'), row(5, 't2', 'assistant', 'answer two'), end(6, 't2')]);
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'assistant', 'turn-end']);
    const added = t.prepend([row(1, 't1', 'user', 'first'), row(2, 't1', 'assistant', 'answer one'), end(3, 't1')]);
    expect(added).toBe(3);
    expect(t.items.map((i) => (i.kind === 'user' || i.kind === 'assistant' ? i.text : i.kind))).toEqual(['first', 'answer one', 'turn-end', 'second', 'answer two', 'turn-end']);
    expect(t.keys).toHaveLength(6);
    expect(new Set(t.keys).size).toBe(6);
    expect(t.items[t.indexOfMessage(1)]).toMatchObject({ text: 'first' });
    expect(t.items[t.indexOfMessage(5)]).toMatchObject({ text: 'answer two' });
    // Live events still land at the end, found by id.
    t.apply({ id: 1, type: 'turn.started', turnId: 't3', sessionId: 's', at: '', data: { turnId: 't3', prompt: 'third' } });
    expect(t.items[6]).toMatchObject({ kind: 'user', text: 'third' });
    expect(t.get('prompt:t3')).toBe(t.items[6]);
    expect(t.get(t.keys[0])).toBe(t.items[0]);
  });
});
