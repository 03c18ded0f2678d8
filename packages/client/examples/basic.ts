import WebSocket from 'ws'; // Node only: in a browser, leave out the WebSocket option
import { ClientError, ProtocolError, createClient, type ProjectSnapshot, type ProjectStore } from '@app/client';

/** Resolves once the project's snapshot satisfies `test` (the store calls its listeners after each change). */
function until(project: ProjectStore, test: (snapshot: ProjectSnapshot) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (test(project.getSnapshot())) return resolve();
    const stop = project.subscribe(() => {
      if (!test(project.getSnapshot())) return;
      stop();
      resolve();
    });
  });
}

/** Follows project `demo`, makes a few changes, and returns the names the project ends up with. */
export async function main(url: string, log: (line: string) => void = console.info): Promise<string[]> {
  const client = createClient({ url, token: process.env['TOKEN'], WebSocket, requestTimeoutMs: 5_000 });
  client.on('state', (state) => log(`connection: ${state}`)); // connecting, open, reconnecting, closed

  // The live store: the ordered workspaces from a snapshot, then every event once and in seq order (across
  // reconnects, reloaded after a resync), with this client's changes shown at once and rolled back if refused.
  // In React: `const [project, store] = useProject('demo')` from '@app/client/react'.
  const project = client.project('demo');

  try {
    // Each change carries a UUID id; if the connection drops before the ack it is resent with the same id.
    const intro = await project.create({ name: 'Intro' });
    const outro = await project.create({ name: 'Outro' });
    await project.update(intro.id, { name: 'Intro shot' }); // expects the version this client has seen
    await project.reorder([outro.id, intro.id]);

    const seen = project.expectedVersion(outro.id); // e.g. when a person starts editing its name
    await client.updateWorkspace({ id: outro.id, patch: { name: 'Credits' } }); // someone else writes meanwhile
    try {
      await project.update(outro.id, { name: 'Stale' }, { expectedVersion: seen });
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'CONFLICT') log('conflict: someone changed it first');
      else if (error instanceof ClientError && error.code === 'TIMEOUT') log('no reply in time: it may have applied');
      else throw error;
    }
    // A refused change is rolled back and kept in `failures` (for the UI) until dismissed.
    for (const failure of project.getSnapshot().failures) project.dismiss(failure.id);

    // Acked changes stay "pending" until their events arrive; then the list is the server's.
    await until(project, (snapshot) => snapshot.pendingIds.size === 0);
    const { ts } = await client.ping();
    const { seq, workspaces } = project.getSnapshot();
    log(`server time ${ts}, project at seq ${seq}`);
    return workspaces.map((w) => w.name);
  } finally {
    project.close();
    await client.close(); // no timers or sockets left behind
  }
}
