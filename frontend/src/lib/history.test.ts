import { describe, expect, it } from 'vitest';
import { byFolder, fmtSize, messageText, type Conversation } from './history';

const c = (id: string, cwd: string, updatedAt: string): Conversation => ({ agentSessionId: id, cwd, title: id, updatedAt, messages: 2, size: 10 });

describe('the CLI history', () => {
  it('groups by folder, the newest folder and conversation first', () => {
    const f = byFolder([
      c('a1', '/src/a', '2026-11-01T10:00:00Z'),
      c('b1', '/src/b', '2026-11-03T10:00:00Z'),
      c('a2', '/src/a', '2026-11-02T10:00:00Z'),
      c('x', '', '2026-10-01T10:00:00Z'),
    ]);
    expect(f.map((g) => g.cwd)).toEqual(['/src/b', '/src/a', '(unknown folder)']);
    expect(f[1].conversations.map((x) => x.agentSessionId)).toEqual(['a2', 'a1']);
  });

  it('shows sizes and message texts for people', () => {
    expect([fmtSize(512), fmtSize(1536), fmtSize(5 * 1024 * 1024)]).toEqual(['512 B', '1.5 KB', '5.0 MB']);
    expect(messageText([{ type: 'text', text: 'hi' }, { type: 'tool_use', name: 'Bash' }, { type: 'image' }])).toBe('hi\n[Bash call]\n[image]');
  });
});
