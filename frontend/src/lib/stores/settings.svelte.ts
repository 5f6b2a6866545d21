// SettingsStore: the settings a Konsole keeps (auto-deny), and its token:
// once Konsole refused a change because an agent saw the token, the local
// Konsole can be given a new one from here.

import { createContext } from 'svelte';
import type { Api } from '../api';
import { errorText } from '../errors';
import { withKonsole } from '../konsoles';
import type { NoticeStore } from './notices.svelte';

export class SettingsStore {
  /** Konsole refused a change because an agent saw its token (403 token_exposed). */
  tokenExposed = $state(false);

  constructor(
    private api: () => Api,
    private notices: NoticeStore,
  ) {}

  /** A Konsole's auto-deny setting: minutes, 0 is off. */
  async getAutoDeny(konsoleId: string): Promise<number> {
    return (await this.api().get<{ minutes: number }>(withKonsole('/settings/auto-deny', konsoleId))).minutes;
  }

  async setAutoDeny(konsoleId: string, minutes: number): Promise<void> {
    await this.api().put(withKonsole('/settings/auto-deny', konsoleId), { minutes });
  }

  /** Gives the local Konsole a new token (its bridge follows it); the old one, which an agent saw, is refused from then on. */
  async rotateLocalToken(): Promise<void> {
    try {
      await this.api().post('/konsoles/local/token');
      this.tokenExposed = false;
      this.notices.toast('The local Konsole has a new token; the one the agent saw is refused from now on.', 'info');
    } catch (e) {
      this.notices.toast('Could not give the Konsole a new token: ' + errorText(e), 'error');
    }
  }
}

export const [getSettings, setSettings] = createContext<SettingsStore>();
