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
