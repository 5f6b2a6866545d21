// UiStore: which view the window shows and what lies over it (the session
// switcher, the sidebar drawer on small screens, an enlarged image).

import { createContext } from 'svelte';

export type View = 'console' | 'kontasks' | 'settings' | 'history' | 'usage';

export class UiStore {
  view: View = $state('console');
  /** The image shown enlarged over everything (a data: URL), if any. */
  enlarged: string | null = $state(null);
  /** The session switcher (Ctrl+K) and the sidebar drawer on small screens. */
  switcherOpen = $state(false);
  drawerOpen = $state(false);
}

export const [getUi, setUi] = createContext<UiStore>();
