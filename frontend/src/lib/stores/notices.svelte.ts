// NoticeStore: what the dashboard tells the person outside the views: toasts
// that go away by themselves, and the sentence screen readers announce.

import { createContext } from 'svelte';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error' | 'kontask';
  kontaskId?: string;
}

export class NoticeStore {
  toasts: Toast[] = $state([]);
  /** Read out by the page's live region (a turn's end, Claude's answer, a new kontask). */
  announcement = $state('');
  private seq = 0;

  announce(text: string): void {
    this.announcement = text;
  }

  toast(text: string, tone: Toast['tone'] = 'info', kontaskId?: string): void {
    const t = { id: ++this.seq, text, tone, kontaskId };
    this.toasts.push(t);
    setTimeout(() => this.dismiss(t.id), tone === 'error' ? 10000 : 7000);
  }

  dismiss(id: number): void {
    const i = this.toasts.findIndex((t) => t.id === id);
    if (i >= 0) this.toasts.splice(i, 1);
  }
}

export const [getNotices, setNotices] = createContext<NoticeStore>();
