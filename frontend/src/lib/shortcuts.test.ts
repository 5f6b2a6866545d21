import { describe, expect, it } from 'vitest';
import { modKey, shortcuts, typing } from './shortcuts';

describe('the shortcuts sheet', () => {
  it('names the modifier key as the machine does', () => {
    expect(modKey('MacIntel')).toBe('⌘');
    expect(modKey('Linux x86_64')).toBe('Ctrl');
  });
  it('lists the session switcher, the sheet itself, Stop and the prompt keys', () => {
    const all = shortcuts('Ctrl').flatMap((g) => g.items.map((s) => `${s.keys.map((k) => k.join('+')).join(' / ')}: ${s.does}`));
    expect(all).toContain('Ctrl+K: Switch to another session');
    expect(all).toContain('?: Show these shortcuts');
    expect(all.some((s) => s.startsWith('Esc: Stop the running turn'))).toBe(true);
    expect(all).toContain('Shift+Enter: New line');
  });
  it('lets "?" type in a field rather than open the sheet', () => {
    expect(typing({ tagName: 'TEXTAREA' } as any)).toBe(true);
    expect(typing({ tagName: 'INPUT' } as any)).toBe(true);
    expect(typing({ tagName: 'DIV', isContentEditable: true } as any)).toBe(true);
    expect(typing({ tagName: 'BUTTON' } as any)).toBe(false);
    expect(typing(null)).toBe(false);
  });
});
