// UiStore: which view the window shows and what lies over it (the session
// switcher, the sidebar drawer on small screens, an enlarged image).

import { createContext } from 'svelte';
import type { RewindTarget } from '../types';

export type View = 'console' | 'kontasks' | 'settings' | 'history' | 'usage';

export class UiStore {
  view: View = $state('console');
  /** The image shown enlarged over everything (a data: URL), if any. */
  enlarged: string | null = $state(null);
  /** The session switcher (Ctrl+K) and the sidebar drawer on small screens. */
  switcherOpen = $state(false);
  drawerOpen = $state(false);
  /** The prompt whose "Rewind to here..." dialog is open, if any. */
  rewind: RewindTarget | null = $state(null);
  /** Text for a session's prompt box ("Edit and resend"); the box takes it and clears this. */
  promptFill: { sessionId: string; text: string } | null = $state(null);
  /** The start screen instead of the open session ("+ New session"); it shows too while none is open. */
  starting = $state(false);
  /** The sheet of keyboard shortcuts ("?"). */
  shortcutsOpen = $state(false);
}

export const [getUi, setUi] = createContext<UiStore>();
