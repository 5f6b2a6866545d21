// The window's theme (data-theme on <html>, switched in the header) as
// reactive state, and its colours as values: documents the page cannot
// style from outside (a kontask's sandboxed output) are given them.

export type ThemeName = 'dark' | 'light';

function read(): ThemeName {
  return typeof document !== 'undefined' && document.documentElement.dataset.theme === 'light' ? 'light' : 'dark';
}

/** The current theme; watchTheme keeps it current. */
export const theme = $state({ name: read() });

let watching = false;

/** Follows theme switches from now on (idempotent). */
export function watchTheme(): void {
  if (watching || typeof MutationObserver === 'undefined') return;
  watching = true;
  theme.name = read();
  new MutationObserver(() => (theme.name = read())).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
}

/** The colours of a theme's roles that a themed document needs. */
export interface ThemeColors {
  bg: string;
  fg: string;
  muted: string;
  accent: string;
  line: string;
  codeBg: string;
}

/** The current theme's colours, read from the page's CSS variables. */
export function themeColors(): ThemeColors {
  const s = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--bg2', '#1c1e23'),
    fg: v('--fg', '#e4e6eb'),
    muted: v('--fg2', '#a2a7b3'),
    accent: v('--accent', '#61afef'),
    line: v('--line', '#33363e'),
    codeBg: v('--code-bg', '#101114'),
  };
}
