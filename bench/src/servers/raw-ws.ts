// Baseline 1: a minimal raw `ws` server. Rooms are Map<room, Set<socket>>; requests are JSON
// {type, id, data}; subscribe joins a room, create/update ack and broadcast an event-shaped JSON
// message to the room (stringified once, then one ws.send per socket), ping -> pong.
// No validation, no storage, no heartbeat. Run: node --import tsx src/servers/raw-ws.ts (PORT=0).
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { BaselineStore, listenOptions, type RequestData, type BaselineEvent } from './store.js';

interface Request {
  type: string;
  id?: string;
  data?: RequestData;
}

const store = new BaselineStore();
const rooms = new Map<string, Set<WebSocket>>();

function broadcast(event: BaselineEvent): void {
  const room = rooms.get(event.projectId);
  if (room === undefined) return;
  const text = JSON.stringify(event);
  for (const socket of room) socket.send(text);
}

function reply(socket: WebSocket, type: 'ack' | 'pong' | 'error', id: string | undefined, data: unknown): void {
  socket.send(JSON.stringify({ type, id, data }));
}

const wss = new WebSocketServer({ ...listenOptions(), perMessageDeflate: false, clientTracking: false });
wss.on('connection', (socket) => {
  const joined = new Set<string>();
  socket.on('error', () => socket.terminate());
  socket.on('close', () => {
    for (const projectId of joined) {
      const room = rooms.get(projectId);
      room?.delete(socket);
      if (room?.size === 0) rooms.delete(projectId);
    }
  });
  socket.on('message', (raw) => {
    let request: Request;
    try {
      request = JSON.parse(raw.toString()) as Request;
    } catch {
      return;
    }
    const data = request.data ?? ({} as RequestData);
    switch (request.type) {
      case 'subscribe': {
        const projectId = data.projectId;
        let room = rooms.get(projectId);
        if (room === undefined) rooms.set(projectId, (room = new Set()));
        room.add(socket);
        joined.add(projectId);
        reply(socket, 'ack', request.id, { seq: store.seqOf(projectId), snapshot: store.snapshot(projectId) });
        return;
      }
      case 'workspace.create': {
        const event = store.create(data);
        reply(socket, 'ack', request.id, event.data);
        broadcast(event);
        return;
      }
      case 'workspace.update': {
        const event = store.update(data);
        if (event === undefined) {
          socket.send(
            JSON.stringify({ type: 'error', id: request.id, code: 'NOT_FOUND', message: 'no such workspace' }),
          );
          return;
        }
        reply(socket, 'ack', request.id, event.data);
        broadcast(event);
        return;
      }
      case 'ping':
        reply(socket, 'pong', request.id, { ts: new Date().toISOString() });
        return;
      default:
        socket.send(JSON.stringify({ type: 'error', id: request.id, code: 'UNKNOWN_TYPE', message: 'unknown type' }));
    }
  });
  socket.send(JSON.stringify({ type: 'hello', data: { sessionId: randomUUID() } }));
});
wss.on('listening', () => {
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`raw ws baseline listening on ws://127.0.0.1:${port}/\n`);
});
const stop = (): void => {
  wss.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
