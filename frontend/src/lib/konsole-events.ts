// The types of Konsole's events (KonsoleEvent.type), generated from
// backend/contract with their payloads: each Ev constant there is a key
// here without the Ev (EvSessionCreated is sessionCreated).

export { konsoleEvents } from './generated/contract';
export type { KonsoleEventType } from './generated/contract';
