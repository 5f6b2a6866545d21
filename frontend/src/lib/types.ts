// The wire shapes are generated from backend/contract (make generate);
// these names are the dashboard's, with what the bridge adds.
import type * as contract from './generated/contract';

/** A session, with the Konsole it runs on (GET /api/sessions and event frames carry it). */
export type Session = contract.Session & { konsoleId?: string };
export type SessionUsage = contract.SessionUsage;
export type ModelInfo = contract.ModelInfo;
export type CommandInfo = contract.CommandInfo;
/** What a session's CLI reported about itself (GET /sessions/{id}/info). */
export type AgentInfo = contract.AgentInfo;
/** A tool allowed for the rest of a session (GET /v1/sessions/{id}/rules). */
export type SessionRule = contract.Rule;
/** A prompt waiting in Konsole's queue for its session's turn to end. */
export type WaitingPrompt = contract.QueuedPrompt;

export interface RecentFolder {
  path: string;
  lastUsed: string;
  sessions: number;
  model?: string;
  permissionMode?: string;
  effort?: string;
}

export interface NewSessionOptions {
  cwd: string;
  title?: string;
  model?: string;
  permissionMode?: string;
  effort?: string;
  /** Start the session on its own branch in a git worktree. */
  worktree?: boolean;
  /** The Konsole to start it on (the bridge's default when absent). */
  konsoleId?: string;
}

export const PERMISSION_MODES: { value: string; label: string; hint: string }[] = [
  { value: 'default', label: 'Ask before tools', hint: 'Claude asks before edits and commands' },
  { value: 'acceptEdits', label: 'Accept edits', hint: 'File edits run without asking; commands still ask' },
  { value: 'plan', label: 'Plan first', hint: 'Claude plans and asks you to approve before it changes anything' },
  { value: 'bypassPermissions', label: 'Bypass permissions', hint: 'Everything runs without asking: only in a sandbox you trust' },
];

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'];

export type Choice = contract.Choice;

/** A kontask, with the Konsole it lives on (merged lists and event frames carry it). */
export type Kontask = contract.Kontask & { konsoleId?: string };

/** What the sidebar shows for a session's state. */
export function sessionLabel(s: Session): { text: string; tone: 'ok' | 'busy' | 'warn' | 'bad' | 'dim' } {
  if (s.pendingPermissions > 0) return { text: 'needs approval', tone: 'warn' };
  switch (s.status) {
    case 'running':
      return { text: 'running', tone: 'busy' };
    case 'stopping':
      return { text: 'stopping', tone: 'busy' };
    case 'starting':
      return { text: 'starting', tone: 'busy' };
    case 'error':
      return { text: 'error', tone: 'bad' };
    case 'exited':
      return { text: 'ended', tone: 'dim' };
    default:
      return { text: 'idle', tone: 'ok' };
  }
}

/** Konsole's Claude Code CLI (GET /api/agent), or why it has none. */
export type AgentInstall = contract.Agent;

/** Whether Konsole has a CLI that can run sessions. */
export function agentUsable(a: AgentInstall | null): boolean {
  return !a || (!a.error && !!a.path);
}

/** Where Konsole found its CLI (AgentInstall.source), as a person reads it. */
export function agentSource(source: string): string {
  switch (source) {
    case 'configured':
      return 'the path set in Settings or with --claude';
    case 'PATH':
      return 'found on PATH';
    case 'npm prefix':
      return "found in npm's global prefix";
    case 'nvm':
      return "found in nvm's current Node";
    case 'repository':
      return "the checkout's pinned CLI";
    default:
      return 'found in ' + source;
  }
}

/** The headline of an agent problem. */
export function agentProblem(a: AgentInstall): string {
  switch (a.code) {
    case 'agent_too_old':
      return `Claude Code ${a.version ?? ''} is too old for Konui (${a.minVersion} or newer is needed)`;
    case 'agent_not_runnable':
      return 'Claude Code was found but does not run';
    default:
      return 'Claude Code was not found';
  }
}

/** What a rewind to a prompt changes (or would): POST /sessions/{id}/rewind's answer. */
export type { RewindResult } from './generated/contract';

/** A prompt to rewind to: its text and where it is in Konsole's transcript. */
export interface RewindTarget {
  sessionId: string;
  text: string;
  messageId?: number;
  turnId?: string;
}
