// Baseline 2: a Socket.IO v4 server doing the same job: rooms (socket.join), acknowledgement
// callbacks for every request, websocket transport only, one `event` emit per change to the room
// (Socket.IO encodes a room broadcast once, then writes it to each socket).
// No validation, no storage. Run: node --import tsx src/servers/socketio.ts (PORT=0; SIO_RECOVERY_MS=120000
// turns on connection state recovery, used by the resume scenario).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { BaselineStore, listenOptions, type RequestData } from './store.js';

type Ack = (reply: unknown) => void;
type Data = RequestData;

const store = new BaselineStore();
const http = createServer();
/** SIO_RECOVERY_MS: connection state recovery (missed packets kept in memory this long after a drop); unset: off. */
const recoveryMs = Number(process.env['SIO_RECOVERY_MS'] ?? 0);
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  ...(recoveryMs > 0
    ? { connectionStateRecovery: { maxDisconnectionDuration: recoveryMs, skipMiddlewares: true } }
    : {}),
});

io.on('connection', (socket) => {
  socket.on('subscribe', (data: Data, ack: Ack) => {
    const projectId = data.projectId;
    void socket.join(projectId);
    ack({ seq: store.seqOf(projectId), snapshot: store.snapshot(projectId) });
  });
  socket.on('workspace.create', (data: Data, ack: Ack) => {
    const event = store.create(data);
    ack(event.data);
    io.to(event.projectId).emit('event', event);
  });
  socket.on('workspace.update', (data: Data, ack: Ack) => {
    const event = store.update(data);
    if (event === undefined) {
      ack({ error: { code: 'NOT_FOUND', message: 'no such workspace' } });
      return;
    }
    ack(event.data);
    io.to(event.projectId).emit('event', event);
  });
  socket.on('ping', (_data: unknown, ack: Ack) => ack({ ts: new Date().toISOString() }));
});

const { port, host } = listenOptions();
http.listen(port, host, () => {
  process.stdout.write(
    `Socket.IO baseline listening on ws://127.0.0.1:${(http.address() as AddressInfo).port}/socket.io/\n`,
  );
});
const stop = (): void => {
  void io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
