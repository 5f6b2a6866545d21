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
}

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
