// Tool names in people's words. Claude Code's tools have internal names
// (ExitPlanMode, AskUserQuestion) and MCP tools come as
// mcp__<server>__<tool>; the transcript shows what a person would call them.

const LABELS: Record<string, string> = {
  ExitPlanMode: 'Plan',
  AskUserQuestion: 'Question',
  TodoWrite: 'To-do list',
  Task: 'Subagent',
  Agent: 'Subagent',
  WebFetch: 'Fetch web page',
  WebSearch: 'Web search',
  NotebookEdit: 'Edit notebook',
  NotebookRead: 'Read notebook',
  MultiEdit: 'Edit',
  BashOutput: 'Command output',
  KillShell: 'Stop command',
  KillBash: 'Stop command',
  ListMcpResourcesTool: 'List MCP resources',
  ReadMcpResourceTool: 'Read MCP resource',
  SlashCommand: 'Command',
  Skill: 'Skill',
};

/** Konsole's own MCP tools, by their tool name. */
const KONSOLE_TOOLS: Record<string, string> = {
  kontask_create: 'Kontask',
  kontask_list: 'List kontasks',
  kontask_update: 'Update kontask',
};

/** The name a person reads for a tool: "Plan", "Question", "query (database)". */
export function toolLabel(name: string): string {
  if (LABELS[name]) return LABELS[name];
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  if (mcp) {
    const [, server, tool] = mcp;
    if (server === 'konsole' && KONSOLE_TOOLS[tool]) return KONSOLE_TOOLS[tool];
    const words = tool.replace(/[_-]+/g, ' ').trim();
    return `${words.charAt(0).toUpperCase()}${words.slice(1)} (${server.replace(/[_-]+/g, ' ')})`;
  }
  return name;
}

/** A one-line summary of a tool call's input, for its collapsed row. */
export function toolSummary(name: string, input: any): string {
  const i = input ?? {};
  if (name === 'AskUserQuestion' && Array.isArray(i.questions)) return i.questions.map((q: any) => q?.question ?? '').filter(Boolean).join(' · ');
  if (name === 'ExitPlanMode' && typeof i.plan === 'string') return i.plan.split('\n').find((l: string) => l.trim())?.replace(/^#+\s*/, '') ?? '';
  if ((name === 'Task' || name === 'Agent') && typeof i.description === 'string') return i.description;
  const v = i.command ?? i.file_path ?? i.notebook_path ?? i.path ?? i.pattern ?? i.url ?? i.query ?? i.description ?? i.title ?? '';
  return typeof v === 'string' ? v : '';
}

/** Claude Code's markers around what a slash command printed; the text between is shown. */
const LOCAL_OUTPUT = /^\s*<local-command-(stdout|stderr)>([\s\S]*?)<\/local-command-\1>\s*$/;
const CAVEAT = /^\s*<local-command-caveat>[\s\S]*<\/local-command-caveat>\s*$/;
const COMMAND = /<command-name>([\s\S]*?)<\/command-name>/;
const ARGS = /<command-args>([\s\S]*?)<\/command-args>/;

/**
 * What a user message that Claude Code wrote itself stands for: the output
 * of a local slash command (/model prints "Set model to ..."), a caveat
 * meant for the model alone (shown as nothing), or the command a person
 * typed. null for a person's own prompt.
 */
export function localCommand(text: string): { kind: 'output'; text: string; error: boolean } | { kind: 'hidden' } | { kind: 'command'; text: string } | null {
  const out = LOCAL_OUTPUT.exec(text);
  // eslint-disable-next-line no-control-regex
  if (out) return { kind: 'output', text: out[2].replace(/\x1b\[[0-9;]*m/g, '').trim(), error: out[1] === 'stderr' };
  if (CAVEAT.test(text)) return { kind: 'hidden' };
  const cmd = COMMAND.exec(text);
  if (cmd && text.trim().startsWith('<command-')) {
    const name = cmd[1].trim();
    const args = ARGS.exec(text)?.[1]?.trim();
    return { kind: 'command', text: `${name.startsWith('/') ? name : '/' + name}${args ? ' ' + args : ''}` };
  }
  return null;
}
