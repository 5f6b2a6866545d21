// Slash commands: which of the session's commands match what is typed at
// the start of the prompt ("/" and the start of a name, before any space).

import type { CommandInfo } from './types';

/** The commands that complete text, best first; none once a space follows the name. */
export function filterCommands(commands: CommandInfo[], text: string, limit = 12): CommandInfo[] {
  const m = /^\/([\w:.-]*)$/.exec(text);
  if (!m) return [];
  const q = m[1].toLowerCase();
  const starts = commands.filter((c) => c.name.toLowerCase().startsWith(q));
  const inside = q ? commands.filter((c) => !c.name.toLowerCase().startsWith(q) && c.name.toLowerCase().includes(q)) : [];
  return [...starts, ...inside].slice(0, limit);
}
