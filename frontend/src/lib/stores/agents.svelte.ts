// AgentStore: per Konsole, the Claude Code CLI it runs and what that CLI
// offers (models, slash commands); the getters answer for the Konsole of
// the selected session, else where a new one would start.

import { createContext } from 'svelte';
import type { Api } from '../api';
import { LOCAL, withKonsole } from '../konsoles';
import { desktop } from '../platform';
import type { AgentInstall, CommandInfo, ModelInfo } from '../types';
import type { KonsoleStore } from './konsoles.svelte';
import type { SessionStore } from './sessions.svelte';

export class AgentStore {
  /** Per Konsole: the models and commands its CLI offers (its newest initialize answer). */
  offers: Record<string, { models: ModelInfo[]; commands: CommandInfo[] }> = $state({});
  /** Per Konsole: its Claude Code CLI; absent until known (or from a Konsole without /agent). */
  installs: Record<string, AgentInstall | null> = $state({});

  constructor(
    private api: () => Api,
    private fleet: KonsoleStore,
    private sessions: SessionStore,
  ) {}

  /** The models of the selected session's Konsole. */
  get models(): ModelInfo[] {
    return this.offers[this.sessions.here]?.models ?? [];
  }

  get commands(): CommandInfo[] {
    return this.offers[this.sessions.here]?.commands ?? [];
  }

  /** The CLI of the selected session's Konsole, else of where a new one starts (null: unknown or an older Konsole). */
  get agent(): AgentInstall | null {
    return this.installs[this.sessions.here] ?? this.installs[this.fleet.pick] ?? null;
  }

  /** A Konsole's CLI as an agent.updated or agent.info event told it (from a bridge that follows one: the only one). */
  take(agent: AgentInstall, konsoleId?: string): void {
    this.installs[konsoleId ?? this.fleet.konsoles[0]?.id ?? LOCAL] = agent;
  }

  async loadModels(konsoleId: string): Promise<void> {
    try {
      const m = await this.api().get<{ models: ModelInfo[]; commands: CommandInfo[] }>(withKonsole('/models', konsoleId));
      this.offers[konsoleId] = { models: m.models ?? [], commands: m.commands ?? [] };
    } catch {
      /* an older Konsole: the model field stays free text */
    }
  }

  /** Asks a Konsole which Claude Code CLI it runs. */
  async loadAgent(konsoleId: string): Promise<void> {
    try {
      this.installs[konsoleId] = await this.api().get<AgentInstall>(withKonsole('/agent', konsoleId));
    } catch {
      this.installs[konsoleId] = null; // an older Konsole: nothing to show
    }
  }

  /**
   * Sets the Claude Code path ('' looks for it again) of a Konsole and uses it
   * at once: in the window, for the local Konsole, through the settings;
   * otherwise through Konsole's PUT /agent. Resolves to the CLI in use,
   * rejects with the sentence saying why a path was refused.
   */
  async setAgentPath(path: string, konsoleId = this.sessions.here): Promise<AgentInstall> {
    const d = desktop();
    const a = d && konsoleId === LOCAL ? await d.SetClaudePath(path) : await this.api().call<AgentInstall>('PUT', withKonsole('/agent', konsoleId), { path });
    if (path && a.error) throw new Error(a.error);
    this.installs[konsoleId] = a;
    return a;
  }
}

export const [getAgents, setAgents] = createContext<AgentStore>();
