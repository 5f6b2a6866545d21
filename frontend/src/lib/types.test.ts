import { describe, expect, it } from 'vitest';
import { agentProblem, agentSource, agentUsable } from './types';

describe('the Claude Code CLI as the dashboard shows it', () => {
  it('counts a CLI as usable only with a path and no problem', () => {
    expect(agentUsable({ path: '/usr/bin/claude', version: '2.1.328', minVersion: '2.0.0' })).toBe(true);
    expect(agentUsable({ minVersion: '2.0.0', code: 'agent_not_found', error: 'not found' })).toBe(false);
    expect(agentUsable({ path: '/old/claude', version: '1.0.44', minVersion: '2.0.0', code: 'agent_too_old', error: 'too old' })).toBe(false);
  });

  it('treats an unknown agent (an older Konsole) as nothing to warn about', () => {
    expect(agentUsable(null)).toBe(true);
  });

  it('heads each problem with what is wrong', () => {
    expect(agentProblem({ minVersion: '2.0.0', code: 'agent_too_old', version: '1.0.44' })).toBe('Claude Code 1.0.44 is too old for Konui (2.0.0 or newer is needed)');
    expect(agentProblem({ minVersion: '2.0.0', code: 'agent_not_runnable' })).toBe('Claude Code was found but does not run');
    expect(agentProblem({ minVersion: '2.0.0', code: 'agent_not_found' })).toBe('Claude Code was not found');
  });
});

describe('agentSource', () => {
  it('says where the CLI came from in words, not the wire value', () => {
    expect(agentSource('configured')).toBe('the path set in Settings or with --claude');
    expect(agentSource('PATH')).toBe('found on PATH');
    expect(agentSource('~/.local/bin')).toBe('found in ~/.local/bin');
    expect(agentSource('repository')).toBe("the checkout's pinned CLI");
  });
});
