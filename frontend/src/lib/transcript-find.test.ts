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
