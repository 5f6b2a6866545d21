// Kontask events carry at most a preview of a long output (Konsole cuts it
// at 4 KiB and says so with outputTruncated): the whole output is read over
// REST, GET /api/kontasks/{id}, once per kontask. An output never changes
// after creation, so an update of a kontask whose whole output is known
// keeps that output.

import type { Kontask } from './types';

/** The data of a kontask.created or kontask.updated event. */
export interface KontaskEventData {
  kontask: Kontask;
  outputTruncated?: boolean;
  outputBytes?: number;
}

/**
 * mergeKontaskEvent returns the kontask to show for an event and whether
 * its whole output must still be fetched. known is the kontask already
 * held, complete whether that one has its whole output.
 */
export function mergeKontaskEvent(
  known: Kontask | undefined,
  complete: boolean,
  d: KontaskEventData,
): { kontask: Kontask; fetchBody: boolean } {
  if (!d.outputTruncated) return { kontask: d.kontask, fetchBody: false };
  if (known && complete) {
    return { kontask: { ...d.kontask, context: { ...d.kontask.context, output: known.context.output } }, fetchBody: false };
  }
  return { kontask: d.kontask, fetchBody: true };
}

/** The colours a kontask's output is drawn with (the app theme's, lib/theme). */
export interface OutputColors {
  bg: string;
  fg: string;
  muted: string;
  accent: string;
  line: string;
  codeBg: string;
}

/**
 * outputDocument is the document a kontask's agent-written HTML is shown
 * in: a CSP that loads nothing from anywhere (the frame is sandboxed
 * without scripts too), and the app theme's colours as the page's own, so
 * that HTML which sets no colours reads as the app does in either theme.
 * Colours the HTML sets itself are checked after load (ensureReadable).
 */
export function outputDocument(html: string, c: OutputColors, scheme: 'dark' | 'light'): string {
  const style =
    `:root{color-scheme:${scheme}}` +
    `html,body{margin:0;background:${c.bg};color:${c.fg};font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Ubuntu,sans-serif}` +
    `body{padding:12px 14px;overflow-wrap:anywhere}` +
    `a{color:${c.accent}}` +
    `pre,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}` +
    `pre{background:${c.codeBg};padding:8px 10px;border-radius:6px;overflow-x:auto}` +
    `table{border-collapse:collapse}td,th{border:1px solid ${c.line};padding:2px 8px}` +
    `hr{border:none;border-top:1px solid ${c.line}}` +
    `small,figcaption{color:${c.muted}}` +
    `img{max-width:100%}`;
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">` +
    `<style>${style}</style></head><body>${html}</body></html>`
  );
}

/** The MCP tool the agent delivers a kontask with, as Claude Code names it. */
export const KONTASK_TOOL = 'mcp__konsole__kontask_create';

/** Whether a tool call delivers a kontask (Konsole's MCP server, under any server name). */
export function isKontaskTool(name: string): boolean {
  return name === KONTASK_TOOL || /^mcp__.+__kontask_create$/.test(name);
}

/** The id the kontask tool's result names ("Kontask <id> delivered to the user: ..."), or ''. */
export function kontaskIdOfResult(result: string | undefined): string {
  return /^Kontask (\S+) delivered/.exec(result ?? '')?.[1] ?? '';
}

/**
 * The kontask a tool call delivered: the one its result names, else (its
 * result not in yet) the one its session created in that turn with that title.
 */
export function kontaskOfCall(list: Kontask[], call: { result?: string; turnId?: string; input?: any }, sessionId: string): Kontask | undefined {
  const id = kontaskIdOfResult(call.result);
  if (id) return list.find((k) => k.id === id);
  const title = call.input?.title;
  return list.find((k) => k.sessionId === sessionId && !!call.turnId && k.requestId === call.turnId && k.title === title);
}
