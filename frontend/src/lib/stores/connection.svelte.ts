// ConnectionStore: the way to the bridge: its address and token, the REST
// client, the console WebSocket and its state, and the prompts the socket
// holds until they are sent. The dashboard fills it as it starts.

import { createContext } from 'svelte';
import type { Api } from '../api';
import type { ConnState, ConsoleClient, QueuedPrompt } from '../console-client';
import type { Connection } from '../platform';

export class ConnectionStore {
  conn: ConnState = $state({ kind: 'idle' });
  /** Prompts the console client holds or failed to send (its queue frames). */
  queue: QueuedPrompt[] = $state([]);
  /** The first sessions and kontasks are loaded. */
  ready = $state(false);
  /** Why the dashboard cannot start at all. */
  fatal: string | null = $state(null);
  /** Running in the desktop window (not a browser on konui serve). */
  desktop = $state(false);

  client!: ConsoleClient;
  api!: Api;
  info!: Connection;
}

export const [getConnection, setConnection] = createContext<ConnectionStore>();
