// The model list of a session's header: what its CLI reports, with the
// session's own model kept in it when the CLI does not list that one.
import { PERMISSION_MODES, type ModelInfo } from './types';

/** The value of the list's last entry, which asks for a model by name. */
export const OTHER_MODEL = '\u0000other';

export interface ModelChoice {
  value: string;
  label: string;
  description?: string;
}

/**
 * The entries of the model list: the CLI's models (its "default" one named
 * as such), the current model when the CLI does not list it (an alias or a
 * full id set elsewhere), and "Other model…". current '' is the CLI's default.
 */
export function modelChoices(reported: ModelInfo[], current: string): ModelChoice[] {
  const out: ModelChoice[] = reported.map((m) => ({ value: m.value, label: m.displayName || m.value, description: m.description }));
  if (!out.some((c) => c.value === current)) {
    out.unshift({ value: current, label: current === '' ? 'Default model' : current });
  }
  out.push({ value: OTHER_MODEL, label: 'Other model…' });
  return out;
}

/** The transcript's line for a model or mode change, or null when neither changed. */
export function changeMarker(
  before: { model?: string; permissionMode?: string } | undefined,
  after: { model?: string; permissionMode?: string },
): string | null {
  if (!before) return null;
  const parts: string[] = [];
  // A model first filled in is the CLI saying which one it started with, not a change.
  if (before.model && after.model && after.model !== before.model) parts.push(`Model changed to ${after.model}`);
  const was = before.permissionMode || 'default';
  const now = after.permissionMode || 'default';
  if (after.permissionMode !== undefined && now !== was) parts.push(`Mode changed to ${modeLabel(now)}`);
  return parts.length ? parts.join(' · ') : null;
}

/** A permission mode as the header's list names it. */
export function modeLabel(mode: string): string {
  return PERMISSION_MODES.find((m) => m.value === mode)?.label ?? mode;
}
