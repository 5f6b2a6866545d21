export interface Session {
  id: string;
  cwd: string;
  status: 'starting' | 'idle' | 'running' | 'stopping' | 'exited' | 'error';
  model: string;
  agentSessionId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  lastError?: string;
  activeTurnId?: string;
  pendingPermissions: number;
  totalCostUsd: number;
  permissionMode?: string;
  effort?: string;
  /** "compacting" while the CLI compacts its context. */
  agentStatus?: string;
  /** Prompts waiting in Konsole's queue, and whether a Stop paused it. */
  queued?: number;
  queuePaused?: boolean;
  /** the CLI the session's agent last started with, or why it could not start */
  agent?: { path?: string; version?: string; error?: string; code?: string };
  /** The session's own git worktree and branch, when it has one. */
  worktree?: { repo: string; path: string; branch: string; base: string; discarded?: boolean };
  archived?: boolean;
  /** Token totals and the context meter, once a turn has ended. */
  usage?: SessionUsage;
  /** The Konsole the session runs on (GET /api/sessions and event frames carry it). */
  konsoleId?: string;
}

export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  turns: number;
  contextTokens: number;
  contextWindow: number;
}

export interface ModelInfo {
  value: string;
  displayName: string;
  description?: string;
  supportedEffortLevels?: string[];
}

export interface CommandInfo {
  name: string;
  description?: string;
  argumentHint?: string;
}

/** What a session's CLI reported about itself (GET /sessions/{id}/info). */
export interface AgentInfo {
  sessionId: string;
  running: boolean;
  model?: string;
  permissionMode?: string;
  effort?: string;
  agentSessionId?: string;
  version?: string;
  outputStyle?: string;
  tools: string[];
  mcpServers: { name: string; status: string }[];
  slashCommands: string[];
  commands: CommandInfo[];
  models: ModelInfo[];
  compactions: number;
}

/** A prompt waiting in Konsole's queue for its session's turn to end. */
/** A tool allowed for the rest of a session (GET /v1/sessions/{id}/rules). */
export interface SessionRule {
  toolName: string;
  behavior: 'allow';
  destination: 'session';
}

export interface WaitingPrompt {
  id: string;
  sessionId: string;
  text: string;
  clientMessageId?: string;
  createdAt: string;
}

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

export interface Choice {
  label: string;
  value: string;
  primary?: boolean;
}

export interface Kontask {
  id: string;
  type: string;
  status: 'pending' | 'completed' | 'dismissed';
  title: string;
  description?: string;
  context: { output?: string; choices?: Choice[]; [k: string]: any };
  createdBy?: string;
  createdAt: string;
  updatedAt: string;
  readAt?: string | null;
  requestId?: string;
  sessionId?: string;
  scope?: string;
  tags?: string[];
  targetUser?: string;
  /** The Konsole the kontask lives on. */
  konsoleId?: string;
}

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
export interface AgentInstall {
  path?: string;
  version?: string;
  source?: string;
  minVersion: string;
  /** a sentence saying what is wrong and what to do; absent when usable */
  error?: string;
  code?: 'agent_not_found' | 'agent_not_runnable' | 'agent_too_old' | string;
  /** the command that installs the CLI */
  install?: string;
  searched?: string[];
}

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
export interface RewindResult {
  applied: boolean;
  files: { path: string; status: 'modified' | 'added' | 'deleted'; insertions: number; deletions: number; changedOutside: boolean; restored: boolean }[];
  conversation: { droppedTurns: number };
  skipped: { path: string; size: number }[];
  nested?: string[];
  messageId: number;
  turnId: string;
}

/** A prompt to rewind to: its text and where it is in Konsole's transcript. */
export interface RewindTarget {
  sessionId: string;
  text: string;
  messageId?: number;
  turnId?: string;
}
