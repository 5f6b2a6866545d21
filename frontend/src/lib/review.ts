// The Changes panel's contract with Konsole, and the texts it writes: the
// review prompt sent back to the agent and the suggested commit message.

import { clip } from './text';

/** One changed file (GET /sessions/{id}/changes). */
export interface ChangedFile {
  path: string;
  oldPath?: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'typechange';
  additions: number;
  deletions: number;
  binary: boolean;
}

export interface Changes {
  base: string;
  head: string;
  files: ChangedFile[];
  /** The listing was cut at Konsole's file budget. */
  truncated?: boolean;
}

/** One file's diff (GET /sessions/{id}/changes/diff); `truncated`: cut at 8 MiB. */
export interface FileDiff {
  path: string;
  diff: string;
  truncated?: boolean;
}

/** The whole lines of a diff Konsole cut at its byte budget (the last one may be cut). */
export function wholeLines(d: FileDiff): string {
  if (!d.truncated) return d.diff;
  const end = d.diff.lastIndexOf('\n');
  return end < 0 ? '' : d.diff.slice(0, end + 1);
}

/** A comment on one line of a diff: the new file's line, or the old one's for a removed line. */
export interface ReviewComment {
  path: string;
  line: number;
  side: 'new' | 'old';
  code: string;
  body: string;
}

/** A key that tells comments on different lines apart. */
export function commentKey(c: Pick<ReviewComment, 'path' | 'line' | 'side'>): string {
  return `${c.side}:${c.path}:${c.line}`;
}

/**
 * The one prompt "Send review" sends: every comment cites path:line (a
 * removed line says so) and quotes the line, in file and line order.
 */
export function reviewPrompt(comments: ReviewComment[]): string {
  const sorted = [...comments].sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1));
  const parts = sorted.map((c) => {
    const where = c.side === 'old' ? `${c.path}:${c.line} (removed line)` : `${c.path}:${c.line}`;
    return `${where}\n> ${c.code}\n${c.body.trim()}`;
  });
  return `Please address these review comments on your changes:\n\n${parts.join('\n\n')}`;
}

/** The commit message offered for a session: its title, then its last prompt. */
export function commitMessage(title: string, lastPrompt: string): string {
  const subject = clip(title.trim().split('\n')[0], 72) || 'Changes from a Konui session';
  const body = lastPrompt.trim();
  return body ? `${subject}\n\n${clip(body, 2000)}` : subject;
}

/** A short description of a file's change for the list. */
export function changeLabel(f: ChangedFile): string {
  if (f.binary) return 'binary';
  return `+${f.additions} −${f.deletions}`;
}

/** Whether a pull request can be opened (GET /sessions/{id}/worktree/pr). */
export interface PRStatus {
  available: boolean;
  reason?: string;
}

/** The pull request offered from a commit message: its first line as the title, the rest as the body. */
export function pullRequest(message: string): { title: string; body: string } {
  const [first, ...rest] = message.trim().split('\n');
  return { title: first.trim(), body: rest.join('\n').trim() };
}

/** The URL as a link target when it is a web address, else null (never a javascript: link). */
export function webUrl(u: string): string | null {
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : null;
  } catch {
    return null;
  }
}
