// The types of Konsole's events (KonsoleEvent.type). backend/konsole/eventlog/events.go
// names the same ones as Ev* constants (EvSessionCreated is sessionCreated
// here): TestKonsoleEventTypesAreTheSameInGoAndTypeScript checks the two
// lists against each other.

export const konsoleEvents = {
  sessionCreated: 'session.created',
  sessionUpdated: 'session.updated',
  turnStarted: 'turn.started',
  textDelta: 'text.delta',
  message: 'message',
  permissionRequest: 'permission.request',
  permissionResolved: 'permission.resolved',
  turnCompleted: 'turn.completed',
  agentExited: 'agent.exited',
  agentInfo: 'agent.info',
  queueUpdated: 'queue.updated',
  kontaskCreated: 'kontask.created',
  kontaskUpdated: 'kontask.updated',
  reset: 'reset',
  heartbeat: 'heartbeat',
  agentUpdated: 'agent.updated',
  permissionRules: 'permission.rules',
  sessionRewound: 'session.rewound',
} as const;

export type KonsoleEventType = (typeof konsoleEvents)[keyof typeof konsoleEvents];
