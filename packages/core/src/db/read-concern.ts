import type { Connection } from 'mongoose';

/**
 * The read concern of event reads. Events are written `w: majority`; on a replica set they are also
 * read with read concern `majority`, so no read returns an event that a failover can roll back (and a
 * new primary replace with another event of the same seq). A single server (FerretDB, a standalone
 * mongod) has nothing to roll back: `undefined`, the server's default.
 */
export type EventReadConcern = 'majority' | undefined;

interface TopologyView {
  topology?: { description?: { servers?: Map<string, { setName?: string | null }> } };
}

/**
 * What the driver already knows of the deployment (no command is sent): `majority` once a server it
 * is connected to names a replica set, else none. Undefined while it knows no server yet.
 */
export function eventReadConcernOf(connection: Connection): EventReadConcern | 'unknown' {
  const servers = (connection.getClient() as unknown as TopologyView).topology?.description?.servers;
  if (servers === undefined || servers.size === 0) return 'unknown';
  return readConcernFor([...servers.values()].map((server) => server.setName));
}

/** `majority` when any server names a replica set. */
export function readConcernFor(setNames: readonly (string | null | undefined)[]): EventReadConcern {
  return setNames.some((name) => typeof name === 'string' && name !== '') ? 'majority' : undefined;
}
