// Navigator: where the person goes: a session (its transcript loads, and
// what is known about it beside), a kontask, or a search hit.

import { createContext } from 'svelte';
import type { SearchHit } from '../find';
import type { KontaskStore } from '../stores/kontasks.svelte';
import type { SessionStore } from '../stores/sessions.svelte';
import type { TranscriptStore } from '../stores/transcripts.svelte';
import type { UiStore } from '../stores/ui.svelte';

export class Navigator {
  constructor(
    private ui: UiStore,
    private sessions: SessionStore,
    private transcripts: TranscriptStore,
    private kontasks: KontaskStore,
  ) {}

  /** Shows a session in the console view. */
  select(id: string): void {
    this.sessions.selected = id;
    this.ui.view = 'console';
    this.ui.starting = false;
    this.ui.drawerOpen = false;
    this.transcripts.get(id);
    this.sessions.loadInfo(id);
    this.sessions.loadWaiting(id);
    this.sessions.loadRules(id);
  }

  /** Shows the start screen: a folder, a first prompt, the model and mode. */
  startNew(): void {
    this.ui.view = 'console';
    this.ui.starting = true;
    this.ui.drawerOpen = false;
  }

  /** Shows a kontask whole; from, the session whose transcript showed its card. */
  showKontask(id: string, from: string | null = null): void {
    this.ui.view = 'kontasks';
    this.kontasks.open = id;
    this.kontasks.openedFrom = from;
  }

  /** Opens a search hit: the session scrolled to the message, or the kontask. */
  openHit(hit: SearchHit): void {
    if (hit.kind === 'kontask' && hit.kontaskId) {
      this.showKontask(hit.kontaskId);
      return;
    }
    const s = this.sessions.byId(hit.sessionId);
    if (s) this.sessions.showArchived = !!s.archived;
    if (hit.messageId != null) {
      // Rows that arrived live do not know their stored ids: reload first.
      const t = this.transcripts.peek(hit.sessionId);
      const focus = { sessionId: hit.sessionId, messageId: hit.messageId };
      if (t && t.indexOfMessage(hit.messageId) < 0 && !this.transcripts.isLoading(hit.sessionId)) {
        t.loaded = false;
        this.select(hit.sessionId);
        this.transcripts.findOlder(t, hit.sessionId, hit.messageId, () => (this.transcripts.focus = focus));
        return;
      }
      this.transcripts.focus = focus;
    }
    this.select(hit.sessionId);
  }
}

export const [getNavigator, setNavigator] = createContext<Navigator>();
