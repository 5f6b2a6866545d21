// The sentence of an error, for a toast or a form.

import { ApiError } from './api';

/** The sentence to show for a failed call: the bridge's or Konsole's own, else the error as text. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
