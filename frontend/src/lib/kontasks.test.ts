import { describe, expect, it } from 'vitest';
import { mergeKontaskEvent, outputDocument } from './kontasks';
import type { Kontask } from './types';

const kontask = (output: string, status: Kontask['status'] = 'pending'): Kontask => ({
  id: 'k1',
  type: 'general',
  status,
  title: 'Big',
  description: '',
  context: { output, choices: [] },
  createdBy: 'claude',
  createdAt: '',
  updatedAt: '',
  readAt: null,
  requestId: '',
  sessionId: '',
  scope: '',
  tags: [],
  targetUser: '',
});

describe('mergeKontaskEvent', () => {
  it('takes a kontask whose whole output the event carries as it is', () => {
    const r = mergeKontaskEvent(undefined, false, { kontask: kontask('<p>small</p>') });
    expect(r).toEqual({ kontask: kontask('<p>small</p>'), fetchBody: false });
  });

  it('asks for the whole output of a new kontask that came as a preview', () => {
    const r = mergeKontaskEvent(undefined, false, { kontask: kontask('<p>prev'), outputTruncated: true, outputBytes: 900000 });
    expect(r.fetchBody).toBe(true);
    expect(r.kontask.context.output).toBe('<p>prev');
  });

  it('keeps the whole output it has when an update comes as a preview', () => {
    const full = kontask('<p>' + 'x'.repeat(10000) + '</p>');
    const r = mergeKontaskEvent(full, true, { kontask: kontask('<p>xx', 'completed'), outputTruncated: true, outputBytes: 10007 });
    expect(r.fetchBody).toBe(false);
    expect(r.kontask.status).toBe('completed');
    expect(r.kontask.context.output).toBe(full.context.output);
  });

  it('asks again when what it has is only a preview', () => {
    const r = mergeKontaskEvent(kontask('<p>prev'), false, { kontask: kontask('<p>prev', 'completed'), outputTruncated: true });
    expect(r.fetchBody).toBe(true);
  });
});

describe('outputDocument', () => {
  const colors = { bg: '#1c1e23', fg: '#e4e6eb', muted: '#a2a7b3', accent: '#61afef', line: '#33363e', codeBg: '#101114' };

  it('draws the output in the theme colours it is given, under a CSP that loads nothing', () => {
    const doc = outputDocument('<p>hi</p>', colors, 'dark');
    expect(doc).toContain("content=\"default-src 'none';");
    expect(doc).toContain('background:#1c1e23;color:#e4e6eb');
    expect(doc).toContain(':root{color-scheme:dark}');
    expect(doc.endsWith('<body><p>hi</p></body></html>')).toBe(true);
  });
});
