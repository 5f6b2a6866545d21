import { describe, expect, it } from 'vitest';
import { localCommand, toolLabel, toolSummary } from './tool-names';

describe('tool names in people words', () => {
  it('names the internal tools as a person would', () => {
    expect(toolLabel('ExitPlanMode')).toBe('Plan');
    expect(toolLabel('AskUserQuestion')).toBe('Question');
    expect(toolLabel('mcp__konsole__kontask_create')).toBe('Kontask');
    expect(toolLabel('mcp__github__create_pull_request')).toBe('Create pull request (github)');
    expect(toolLabel('Bash')).toBe('Bash');
  });

  it('sums up a question by its text and a plan by its first line', () => {
    expect(toolSummary('AskUserQuestion', { questions: [{ question: 'Which colour?' }] })).toBe('Which colour?');
    expect(toolSummary('ExitPlanMode', { plan: '\n# Tidy the project\n1. x' })).toBe('Tidy the project');
    expect(toolSummary('Bash', { command: 'ls' })).toBe('ls');
  });

  it("reads Claude Code's own user messages: a command's output, a caveat, the command typed", () => {
    expect(localCommand('<local-command-stdout>Set model to \x1b[1mhaiku\x1b[22m</local-command-stdout>')).toEqual({ kind: 'output', text: 'Set model to haiku', error: false });
    expect(localCommand('<local-command-caveat>Caveat: ignore</local-command-caveat>')).toEqual({ kind: 'hidden' });
    expect(localCommand('<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args>haiku</command-args>')).toEqual({ kind: 'command', text: '/model haiku' });
    expect(localCommand('Please explain <local-command-stdout> tags')).toBeNull();
  });
});
