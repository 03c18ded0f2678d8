// Sanity check of the two baselines with the official clients (`ws` and `socket.io-client`), and of
// the bench's own thin client against them: subscribe, create, update -> ack + event to the room,
// ping. Run: pnpm --filter @app/bench check-baselines (not part of `pnpm test`).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { BenchClient } from './client.js';
import { sleep } from './common.js';
import { BENCH_DIR } from './processes.js';

function start(entry: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: BENCH_DIR,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (ws:\/\/127\.0\.0\.1:\d+\/)/.exec(chunk.toString());
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code})`)));
  });
}

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
  process.stdout.write(`ok: ${message}\n`);
}

async function withTimeout<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkRaw(url: string): Promise<void> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  const waitFor = async (
    predicate: (m: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 100; i += 1) {
      const found = messages.find(predicate);
      if (found) return found;
      await sleep(20);
    }
    throw new Error(`raw ws: no ${what}`);
  };
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await once(ws, 'open');
  await waitFor((m) => m['type'] === 'hello', 'hello');
  ws.send(JSON.stringify({ type: 'subscribe', id: 's1', data: { projectId: 'p' } }));
  await waitFor((m) => m['id'] === 's1' && m['type'] === 'ack', 'subscribe ack');
  ws.send(JSON.stringify({ type: 'workspace.create', id: 'c1', data: { projectId: 'p', name: 'w' } }));
  const created = (await waitFor((m) => m['id'] === 'c1', 'create ack')) as { data: { workspace: { id: string } } };
  ws.send(
    JSON.stringify({
      type: 'workspace.update',
      id: 'u1',
      data: { id: created.data.workspace.id, patch: { data: { sentAt: 1 } } },
    }),
  );
  await waitFor((m) => m['id'] === 'u1' && m['type'] === 'ack', 'update ack');
  const event = await waitFor((m) => m['type'] === 'workspace.updated', 'workspace.updated event');
  check(event['projectId'] === 'p' && event['seq'] === 2, 'raw ws: update acks and broadcasts an event to the room');
  ws.send(JSON.stringify({ type: 'ping', id: 'p1' }));
  check((await waitFor((m) => m['id'] === 'p1', 'pong'))['type'] === 'pong', 'raw ws: ping -> pong');
  ws.close();
}

async function checkSocketIo(url: string): Promise<void> {
  const socket = io(url, { transports: ['websocket'], reconnection: false });
  await withTimeout(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 'socket.io connect');
  const events: Record<string, unknown>[] = [];
  socket.on('event', (event: Record<string, unknown>) => events.push(event));
  await socket.timeout(5_000).emitWithAck('subscribe', { projectId: 'p' });
  const created = (await socket.timeout(5_000).emitWithAck('workspace.create', { projectId: 'p', name: 'w' })) as {
    workspace: { id: string };
  };
  const updated = (await socket
    .timeout(5_000)
    .emitWithAck('workspace.update', { id: created.workspace.id, patch: { data: { sentAt: 1 } } })) as {
    workspace: { version: number };
  };
  check(updated.workspace.version === 2, 'Socket.IO: update acked through the acknowledgement callback');
  for (let i = 0; i < 100 && !events.some((e) => e['type'] === 'workspace.updated'); i += 1) await sleep(20);
  check(
    events.some((e) => e['type'] === 'workspace.updated' && e['seq'] === 2),
    'Socket.IO: event emitted to the room',
  );
  const pong = (await socket.timeout(5_000).emitWithAck('ping', {})) as { ts: string };
  check(typeof pong.ts === 'string', 'Socket.IO: ping acknowledged');
  socket.close();
}

async function checkThinClient(url: string, kind: 'raw' | 'sio'): Promise<void> {
  let seen = 0;
  const receiver = await BenchClient.connect(url, kind, { timeoutMs: 5_000, sink: () => (seen += 1) });
  await receiver.request('subscribe', { projectId: 'thin' });
  const sender = await BenchClient.connect(url, kind, { timeoutMs: 5_000 });
  const created = (await sender.request('workspace.create', { projectId: 'thin', name: 'w' })) as {
    workspace: { id: string };
  };
  for (let i = 0; i < 10; i += 1)
    await sender.request('workspace.update', { id: created.workspace.id, patch: { data: { sentAt: 1, n: i } } });
  await sender.request('ping', {});
  for (let i = 0; i < 100 && seen < 10; i += 1) await sleep(20);
  check(seen === 10, `bench client (${kind}): 10 updates -> 10 events counted`);
  await Promise.all([receiver.close(), sender.close()]);
}

const raw = await start('src/servers/raw-ws.ts');
const sio = await start('src/servers/socketio.ts');
try {
  await checkRaw(raw.url);
  await checkThinClient(raw.url, 'raw');
  await checkSocketIo(sio.url);
  await checkThinClient(sio.url, 'sio');
  process.stdout.write('baselines ok\n');
} finally {
  raw.child.kill('SIGTERM');
  sio.child.kill('SIGTERM');
}
