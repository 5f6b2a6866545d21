import { describe, expect, it } from 'vitest';
import { filterCommands } from './slash';

const cmds = [{ name: 'compact', description: 'Compact the context' }, { name: 'clear' }, { name: 'code-review' }, { name: 'recompact' }];

describe('filterCommands', () => {
  it('lists every command for a bare slash', () => {
    expect(filterCommands(cmds, '/').map((c) => c.name)).toEqual(['compact', 'clear', 'code-review', 'recompact']);
  });
  it('puts names that start with the typed text before names that contain it', () => {
    expect(filterCommands(cmds, '/comp').map((c) => c.name)).toEqual(['compact', 'recompact']);
  });
  it('closes once the command has its arguments, or when the slash is not first', () => {
    expect(filterCommands(cmds, '/compact now')).toEqual([]);
    expect(filterCommands(cmds, 'say /compact')).toEqual([]);
  });
});
