// KontaskActions: what a person does to a kontask beyond reading it: choose
// one of its options, which goes to the session that asked.

import { createContext } from 'svelte';
import type { ConnectionStore } from '../stores/connection.svelte';
import type { NoticeStore } from '../stores/notices.svelte';
import type { Kontask } from '../types';
import type { Navigator } from './navigation';

export class KontaskActions {
  constructor(
    private connection: ConnectionStore,
    private notices: NoticeStore,
    private nav: Navigator,
  ) {}

  /** Sends a choice; resolves whether Konsole took it (then its session shows). */
  async choose(k: Kontask, value: string): Promise<boolean> {
    const ack = await this.connection.client.request('kontask.choose', { kontaskId: k.id, value });
    if (!ack.ok) {
      this.notices.toast('Could not send the choice: ' + ack.error, 'error');
      return false;
    }
    if (k.sessionId) this.nav.select(k.sessionId);
    return true;
  }
}

export const [getKontaskActions, setKontaskActions] = createContext<KontaskActions>();
