// The CLI's own conversations (GET /api/history), grouped by folder for the
// History view.

export interface Conversation {
  agentSessionId: string;
  cwd: string;
  title: string;
  updatedAt: string;
  messages: number;
  size: number;
}

export interface Folder {
  cwd: string;
  updatedAt: string;
  conversations: Conversation[];
}

/** Groups conversations by folder: the folder with the newest conversation first, newest first within each. */
export function byFolder(list: Conversation[]): Folder[] {
  const groups = new Map<string, Conversation[]>();
  for (const c of list) {
    const key = c.cwd || '(unknown folder)';
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(c);
  }
  const out: Folder[] = [];
  for (const [cwd, cs] of groups) {
    cs.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.agentSessionId.localeCompare(b.agentSessionId));
    out.push({ cwd, updatedAt: cs[0].updatedAt, conversations: cs });
  }
  return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.cwd.localeCompare(b.cwd));
}

/** A file size for people: 512 B, 1.5 KB, 2.3 MB. */
export function fmtSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The text blocks of a message, joined; tool calls and results as a short note. */
export function messageText(content: { type: string; text?: string; name?: string }[]): string {
  return (content ?? [])
    .map((b) => (b.type === 'text' ? (b.text ?? '') : b.type === 'tool_use' ? `[${b.name ?? 'tool'} call]` : b.type === 'tool_result' ? '[tool result]' : b.type === 'image' ? '[image]' : ''))
    .filter(Boolean)
    .join('\n');
}
