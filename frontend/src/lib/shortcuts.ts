// Every keyboard shortcut of the dashboard, in one list: the "?" sheet shows
// it, and a person reads it there rather than in each component.

export interface Shortcut {
  keys: string[][];
  does: string;
}

export interface ShortcutGroup {
  title: string;
  items: Shortcut[];
}

/** The modifier key's name on this machine: ⌘ on a Mac, Ctrl elsewhere. */
export function modKey(platform = typeof navigator === 'undefined' ? '' : navigator.platform): string {
  return /mac|iphone|ipad/i.test(platform) ? '⌘' : 'Ctrl';
}

export function shortcuts(mod = modKey()): ShortcutGroup[] {
  return [
    {
      title: 'Anywhere',
      items: [
        { keys: [[mod, 'K']], does: 'Switch to another session' },
        { keys: [['?']], does: 'Show these shortcuts' },
        { keys: [['Esc']], does: 'Stop the running turn; close a menu, a dialog or the drawer' },
        { keys: [['Tab'], ['Shift', 'Tab']], does: 'Move to the next or previous control' },
      ],
    },
    {
      title: 'In the prompt',
      items: [
        { keys: [['Enter']], does: 'Send (queued while Claude works)' },
        { keys: [['Shift', 'Enter']], does: 'New line' },
        { keys: [['↑'], ['↓']], does: 'Earlier and later prompts of this session' },
        { keys: [['/']], does: 'Slash commands; Tab or Enter completes one' },
        { keys: [[mod, 'V']], does: 'Paste an image to send with the prompt' },
      ],
    },
    {
      title: 'A request for permission',
      items: [
        { keys: [['1']], does: 'Allow once' },
        { keys: [['2']], does: 'Allow always, for the rule it offers' },
        { keys: [['3']], does: 'Deny' },
        { keys: [['Esc']], does: 'Back to the prompt' },
      ],
    },
    {
      title: 'Menus and lists',
      items: [
        { keys: [['↑'], ['↓']], does: 'Move in a menu, the slash commands or search results' },
        { keys: [['Enter']], does: 'Choose' },
        { keys: [['Home'], ['End']], does: 'First or last item of a menu' },
      ],
    },
  ];
}

/** Whether a key press belongs to a field being typed in (so "?" types rather than opens the sheet). */
export function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}
