import type { Connection } from 'mongoose';
import { DB_HEARTBEAT_MS } from './connect.js';
import { LoopStallWatch } from './loop-stall.js';

/** Server types that take writes. */
const WRITABLE = new Set(['Standalone', 'RSPrimary', 'Mongos', 'LoadBalancer']);

export interface DatabaseAvailability {
  /** False while the database is known to be unreachable: requests then fail fast with UNAVAILABLE. */
  isAvailable(): boolean;
  stop(): void;
}

/**
 * Whether the database answers, as this node can know it. Mongoose reports a connection as
 * disconnected when the driver lost the server, and also when its last heartbeat is older than
 * two heartbeat intervals. After this process itself was paused, the second says nothing: the
 * heartbeat timer was paused too, and on resume the expired timers run before the I/O callbacks
 * that carry the database's answers. So a stale heartbeat alone is not believed during a stall of
 * this process's event loop or for two heartbeat intervals after it (the next heartbeat answers
 * by then), as long as the driver itself still has a writable server.
 */
export function databaseAvailability(connection: Connection): DatabaseAvailability {
  const stalls = new LoopStallWatch(DB_HEARTBEAT_MS / 2);
  let writable = true;
  const client = connection.getClient();
  client.on('topologyDescriptionChanged', (event) => {
    writable = [...event.newDescription.servers.values()].some((server) => WRITABLE.has(server.type));
  });
  client.on('topologyClosed', () => {
    writable = false;
  });
  return {
    isAvailable() {
      const state = connection.readyState;
      if (state === 1) return true;
      return state === 0 && writable && stalls.stalledWithin(2 * DB_HEARTBEAT_MS);
    },
    stop() {
      stalls.stop();
    },
  };
}
