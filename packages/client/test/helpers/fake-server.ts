import {
  MUTATION_TYPES,
  ProtocolError,
  encodeAck,
  encodeError,
  encodeEvent,
  encodePong,
  parseClientMessage,
  type ClientMessage,
  type ServerEvent,
  type Workspace,
} from '@app/protocol';
import { startStubServer, type StubPeer, type StubServer } from './stub-server.js';

const isMutation = (type: string): boolean => (MUTATION_TYPES as readonly string[]).includes(type);

interface Project {
  epoch: string;
  seq: number;
  workspaces: Workspace[];
  log: ServerEvent[];
  subscribers: Set<StubPeer>;
}

/**
 * A tiny in-memory server speaking the protocol (no auth, no limits), for the README example and
 * end-to-end style client tests. Mutations are idempotent by request id, like the real server.
 */
export async function startFakeServer(): Promise<StubServer & { applied: () => number }> {
  const projects = new Map<string, Project>();
  const replies = new Map<string, string>();
  let applied = 0;
  let nextId = 1;

  const project = (projectId: string): Project => {
    let found = projects.get(projectId);
    if (found === undefined) {
      found = { epoch: 'epoch-1', seq: 0, workspaces: [], log: [], subscribers: new Set() };
      projects.set(projectId, found);
    }
    return found;
  };
  const find = (id: string): [Project, Workspace] => {
    for (const p of projects.values()) {
      const w = p.workspaces.find((candidate) => candidate.id === id);
      if (w !== undefined) return [p, w];
    }
    throw new ProtocolError('NOT_FOUND', `Workspace ${id} not found`);
  };
  const emit = (p: Project, event: Omit<ServerEvent, 'seq'>, requestId: string | undefined): void => {
    p.workspaces.forEach((w, index) => (w.position = index));
    p.seq += 1;
    const full = { ...event, seq: p.seq, origin: { sessionId: 'session-1', requestId } } as ServerEvent;
    p.log.push(full);
    for (const peer of p.subscribers) peer.socket.send(encodeEvent(full));
  };

  const handle = (peer: StubPeer, message: ClientMessage): unknown => {
    const now = new Date().toISOString();
    const { id } = message;
    switch (message.type) {
      case 'ping':
        return undefined;
      case 'workspace.create': {
        const { projectId, name, data = {}, position } = message.data;
        const p = project(projectId);
        const w: Workspace = {
          id: `w${nextId++}`,
          projectId,
          name,
          position: 0,
          version: 1,
          data,
          createdAt: now,
          updatedAt: now,
        };
        p.workspaces.splice(Math.min(position ?? p.workspaces.length, p.workspaces.length), 0, w);
        emit(p, { type: 'workspace.created', projectId, data: { workspace: w } }, id);
        return { workspace: w };
      }
      case 'workspace.update': {
        const [p, w] = find(message.data.id);
        if (message.data.expectedVersion !== undefined && message.data.expectedVersion !== w.version) {
          throw new ProtocolError('CONFLICT', 'Version is stale', { details: { workspace: w } });
        }
        Object.assign(w, message.data.patch, { version: w.version + 1, updatedAt: now });
        emit(p, { type: 'workspace.updated', projectId: w.projectId, data: { workspace: w } }, id);
        return { workspace: w };
      }
      case 'workspace.delete': {
        const [p, w] = find(message.data.id);
        p.workspaces.splice(p.workspaces.indexOf(w), 1);
        emit(p, { type: 'workspace.deleted', projectId: w.projectId, data: { id: w.id } }, id);
        return { id: w.id };
      }
      case 'workspace.reorder': {
        const p = project(message.data.projectId);
        const { order } = message.data;
        p.workspaces = order.map((wid) => find(wid)[1]);
        emit(p, { type: 'workspace.reordered', projectId: message.data.projectId, data: { order } }, id);
        return { order };
      }
      case 'video.generate':
      case 'video.cancel': {
        // A job that goes straight to queued (generate) or cancelled (cancel): enough to test the client's side.
        const [p, w] = find(message.data.workspaceId);
        const status = message.type === 'video.generate' ? 'queued' : 'cancelled';
        const jobId = message.type === 'video.generate' ? `j${nextId++}` : (w.video?.jobId ?? 'none');
        w.video = { jobId, status };
        emit(
          p,
          { type: 'video.status_update', projectId: w.projectId, data: { workspaceId: w.id, jobId, status } },
          id,
        );
        return { job: { id: jobId, workspaceId: w.id, status, createdAt: now } };
      }
      case 'video.list':
        find(message.data.workspaceId);
        return { jobs: [] };
      case 'workspace.list': {
        const p = project(message.data.projectId);
        return { workspaces: p.workspaces, seq: p.seq };
      }
      case 'subscribe': {
        const { projectId, sinceSeq, epoch } = message.data;
        const p = project(projectId);
        p.subscribers.add(peer);
        void peer.closed.then(() => p.subscribers.delete(peer));
        if (sinceSeq === undefined) return { epoch: p.epoch, seq: p.seq, snapshot: p.workspaces };
        if (epoch !== p.epoch || sinceSeq > p.seq) return { epoch: p.epoch, seq: p.seq, resync: true };
        const missed = p.log.filter((e) => e.seq > sinceSeq);
        for (const event of missed) peer.socket.send(encodeEvent(event));
        return { epoch: p.epoch, seq: p.seq, replayed: missed.length };
      }
      case 'unsubscribe':
        project(message.data.projectId).subscribers.delete(peer);
        return {};
      case 'prompt.enhance':
        return { prompt: `${message.data.prompt}, in soft light` };
    }
  };

  const server = await startStubServer({
    onPeer: (peer) =>
      peer.socket.on('message', (raw) => {
        const parsed = parseClientMessage(String(raw));
        if (!parsed.ok) return peer.socket.send(encodeError(parsed.error, parsed.id));
        const { type, id } = parsed.value;
        const repeated = id === undefined ? undefined : replies.get(id);
        if (repeated !== undefined && isMutation(type)) return peer.socket.send(repeated);
        try {
          const result = handle(peer, parsed.value);
          if (type === 'ping') return peer.socket.send(encodePong(new Date().toISOString(), id));
          const reply = encodeAck(result, id);
          if (isMutation(type)) {
            applied += 1;
            if (id !== undefined) replies.set(id, reply);
          }
          peer.socket.send(reply);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          peer.socket.send(encodeError(error, id));
        }
      }),
  });
  return Object.assign(server, { applied: () => applied });
}
