// Error codes the whole dashboard reacts to, whichever call met them: a
// REST answer or a WebSocket ack.

/** Konsole refuses changes made with a token an agent has seen. */
export const CODE_TOKEN_EXPOSED = 'token_exposed';

type Listener = (code: string) => void;
let listener: Listener | null = null;

/** Sets the one listener (the app state); null removes it. */
export function onErrorCode(l: Listener | null): void {
  listener = l;
}

/** Called by the API client and the console client on every failed answer. */
export function reportErrorCode(code: string | undefined): void {
  if (code) listener?.(code);
}
