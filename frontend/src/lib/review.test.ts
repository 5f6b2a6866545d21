import { describe, expect, it } from 'vitest';
import { commitMessage, reviewPrompt, changeLabel, pullRequest, webUrl, wholeLines } from './review';

describe('review', () => {
  it('shows a diff Konsole cut at its budget up to its last whole line, and an uncut one whole', () => {
    expect(wholeLines({ path: 'a', diff: '+one\n+tw', truncated: true })).toBe('+one\n');
    expect(wholeLines({ path: 'a', diff: '+tw', truncated: true })).toBe('');
    expect(wholeLines({ path: 'a', diff: '+one\n+two', truncated: false })).toBe('+one\n+two');
  });

  it('writes one prompt that cites path:line and quotes each line, in file and line order', () => {
    const text = reviewPrompt([
      { path: 'src/b.ts', line: 9, side: 'new', code: 'return x;', body: 'Check for null first. ' },
      { path: 'a.txt', line: 2, side: 'new', code: 'TWO by A', body: 'Keep it lower case.' },
      { path: 'a.txt', line: 1, side: 'old', code: 'one', body: 'Why was this removed?' },
    ]);
    expect(text).toBe(
      'Please address these review comments on your changes:\n\n' +
        'a.txt:1 (removed line)\n> one\nWhy was this removed?\n\n' +
        'a.txt:2\n> TWO by A\nKeep it lower case.\n\n' +
        'src/b.ts:9\n> return x;\nCheck for null first.',
    );
  });

  it('suggests a commit message from the title and the last prompt', () => {
    expect(commitMessage('Fix the parser', '  make it handle tabs ')).toBe('Fix the parser\n\nmake it handle tabs');
    expect(commitMessage('', '')).toBe('Changes from a Konui session');
  });

  it('cuts a long title and prompt between characters, never inside an emoji', () => {
    const msg = commitMessage('x' + '😀'.repeat(100), '🎉'.repeat(3000));
    const [subject, , body] = msg.split('\n');
    expect(subject).toBe('x' + '😀'.repeat(71));
    expect(body).toBe('🎉'.repeat(2000));
  });

  it('labels binary files without line counts', () => {
    expect(changeLabel({ path: 'x', status: 'added', additions: 0, deletions: 0, binary: true })).toBe('binary');
    expect(changeLabel({ path: 'x', status: 'modified', additions: 3, deletions: 1, binary: false })).toBe('+3 −1');
  });

  it('offers a pull request titled by the first line of the commit message, its rest as the body', () => {
    expect(pullRequest('Fix the parser\n\nmake it handle tabs\nand spaces\n')).toEqual({ title: 'Fix the parser', body: 'make it handle tabs\nand spaces' });
    expect(pullRequest('  Only a subject  ')).toEqual({ title: 'Only a subject', body: '' });
    expect(pullRequest(commitMessage('', ''))).toEqual({ title: 'Changes from a Konui session', body: '' });
  });

  it('links only web addresses', () => {
    expect(webUrl('https://github.com/acme/widgets/pull/7')).toBe('https://github.com/acme/widgets/pull/7');
    expect(webUrl('javascript:alert(1)')).toBeNull();
    expect(webUrl('not a url')).toBeNull();
  });
});
