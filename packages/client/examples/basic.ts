import WebSocket from 'ws'; // Node only: in a browser, leave out the WebSocket option
import { ClientError, ProtocolError, createClient, type ServerEvent, type Workspace } from '@app/client';

/** Applies one event to a project's ordered workspace list. */
function applyEvent(list: Workspace[], event: ServerEvent): Workspace[] {
  switch (event.type) {
    case 'workspace.created':
      return [...list, event.data.workspace].sort((a, b) => a.position - b.position);
    case 'workspace.updated':
      return list.map((w) => (w.id === event.data.workspace.id ? event.data.workspace : w));
    case 'workspace.deleted':
      return list.filter((w) => w.id !== event.data.id);
    case 'workspace.reordered':
      return event.data.order.flatMap((id) => list.filter((w) => w.id === id));
    case 'video.status_update': {
      const { workspaceId, ...video } = event.data; // the workspace's \`video\` is its latest status
      return list.map((w) => (w.id === workspaceId ? { ...w, video } : w));
    }
  }
}

/** Follows project `demo`, makes a few changes, and returns the names the subscription ends up with. */
export async function main(url: string, log: (line: string) => void = console.info): Promise<string[]> {
  const client = createClient({ url, token: process.env['TOKEN'], WebSocket, requestTimeoutMs: 5_000 });
  client.on('state', (state) => log(`connection: ${state}`)); // connecting, open, reconnecting, closed

  let workspaces: Workspace[] = [];
  let seq = 0;
  let waiter: { seq: number; resolve: () => void } | undefined;
  const unsubscribe = client.subscribe('demo', {
    onSnapshot: (list, snapshotSeq) => {
      workspaces = list; // first, and again after a resync
      seq = snapshotSeq;
    },
    onEvent: (event) => {
      workspaces = applyEvent(workspaces, event); // in seq order, exactly once, across reconnects
      seq = event.seq;
      if (waiter !== undefined && seq >= waiter.seq) waiter.resolve();
    },
    onResync: () => log('missed too much: a fresh snapshot follows'),
    onError: (error) => log(`subscription failed: ${error.code}`),
  });

  try {
    // Each mutation carries a UUID id; if the connection drops before the ack it is resent with the same id.
    const intro = await client.createWorkspace({ projectId: 'demo', name: 'Intro' });
    const outro = await client.createWorkspace({ projectId: 'demo', name: 'Outro' });
    await client.updateWorkspace({ id: intro.workspace.id, patch: { name: 'Intro shot' }, expectedVersion: 1 });
    await client.reorderWorkspaces({ projectId: 'demo', order: [outro.workspace.id, intro.workspace.id] });

    try {
      await client.updateWorkspace({ id: intro.workspace.id, patch: { name: 'Stale' }, expectedVersion: 1 });
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'CONFLICT') log('conflict: someone changed it first');
      else if (error instanceof ClientError && error.code === 'TIMEOUT') log('no reply in time: it may have applied');
      else throw error;
    }

    // The list reflects events up to `listed.seq`; wait until the subscription has applied them too.
    const listed = await client.listWorkspaces({ projectId: 'demo' });
    if (seq < listed.seq) await new Promise<void>((resolve) => (waiter = { seq: listed.seq, resolve }));
    const { ts } = await client.ping();
    log(`server time ${ts}, project at seq ${seq}`);
    return workspaces.map((w) => w.name);
  } finally {
    unsubscribe();
    await client.close(); // no timers or sockets left behind
  }
}
