// `pnpm --filter @app/bench compression`: our ws-server with permessage-deflate off and on (WS_COMPRESSION),
// the same fan-out each time: `--subscribers` connections (the `ws` client, which offers the extension)
// follow one project while `--updates` workspace updates of `--payload-bytes` of prompt text each go out.
// Reported per delivered event: bytes on the wire (frames as read off TCP by the subscribers) and server
// CPU (user + system from /proc, the server process only), and the server's RSS after the run. One
// payload below the default 1 KiB threshold and one above it by default. Timings are never asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { nowMs, processCpuMs, processMemoryKiB } from './common.js';
import { ROOT, startServer, type ServerHandle } from './processes.js';

interface EmbeddedDbModule {
  startDatabase(options: { dataDir?: string }): Promise<{ uri: string; kind: string; stop(): Promise<void> }>;
  freePort(): Promise<number>;
}

function flag(name: string, fallback: number): number {
  const value = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
  return parsed;
}

const subscribers = flag('subscribers', 100);
const updates = flag('updates', 200);
const inFlight = flag('in-flight', 16);
const payloads = (process.argv.find((arg) => arg.startsWith('--payload-bytes='))?.split('=')[1] ?? '400,4000')
  .split(',')
  .map(Number);
const timeoutMs = flag('timeout-sec', 120) * 1000;

/** Prompt-like text: words drawn (seeded) from a small vocabulary, so it compresses like real prose, not like 'xxxx'. */
function promptText(bytes: number, seed: number): string {
  const words = [
    'a',
    'red',
    'fox',
    'at',
    'dawn',
    'walks',
    'through',
    'the',
    'misty',
    'pine',
    'forest',
    'camera',
    'slowly',
    'pans',
    'left',
    'to',
    'reveal',
    'golden',
    'light',
    'over',
    'snowy',
    'mountains',
    'cinematic',
    'wide',
    'shot',
    '35mm',
    'film',
    'grain',
    'soft',
    'focus',
    'drone',
    'view',
    'of',
    'river',
    'valley',
    'sunset',
    'hues',
    'orange',
    'purple',
    'clouds',
  ];
  let state = seed >>> 0 || 1;
  let text = '';
  while (text.length < bytes) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    text += `${words[(state >>> 16) % words.length]} `;
  }
  return text.slice(0, bytes);
}

function bytesRead(socket: WebSocket): number {
  return (socket as unknown as { _socket: Socket })._socket.bytesRead;
}

interface Row {
  compression: 'off' | 'on';
  payloadBytes: number;
  negotiated: boolean;
  delivered: number;
  expected: number;
  jsonBytesPerEvent: number;
  wireBytesPerEvent: number;
  cpuUsPerEvent: number;
  rssMiB: number;
  seconds: number;
}

async function measure(handle: ServerHandle, compression: 'off' | 'on', payloadBytes: number): Promise<Row> {
  const projectId = `compression-${compression}-${payloadBytes}`;
  let received = 0;
  let jsonBytes = 0;
  let onDelivered: (() => void) | undefined;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < subscribers; i += 1) {
    const socket = new WebSocket(handle.url); // offers permessage-deflate (ws's default), as @app/client in Node does
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('{"type":"hello"'))
          return socket.send(JSON.stringify({ type: 'subscribe', id: 's', data: { projectId } }));
        if (text.includes('"id":"s"')) return resolve();
        if (text.startsWith('{"type":"workspace.updated"')) {
          received += 1;
          jsonBytes += data.length;
          if (onDelivered !== undefined && received >= subscribers * updates) onDelivered();
        }
      });
      socket.once('close', () => reject(new Error('subscriber closed')));
    });
    sockets.push(socket);
  }
  const negotiated = sockets.every((socket) => socket.extensions.includes('permessage-deflate'));

  const publisher = new WebSocket(handle.url, { perMessageDeflate: false });
  const replies = new Map<string, (text: string) => void>();
  publisher.on('message', (data: Buffer) => {
    const text = data.toString();
    if (text.startsWith('{"type":"hello"')) return;
    const id = /"id":"([^"]+)"/.exec(text)?.[1];
    if (id !== undefined) replies.get(id)?.(text);
  });
  await new Promise((resolve) => publisher.once('open', resolve));
  const call = (id: string, type: string, data: unknown): Promise<string> =>
    new Promise((resolve) => {
      replies.set(id, resolve);
      publisher.send(JSON.stringify({ type, id, data }));
    });
  const created = await call(`${projectId}-create`, 'workspace.create', { projectId, name: 'bench' });
  const workspaceId = /"workspace":\{"id":"([^"]+)"/.exec(created)?.[1];
  if (workspaceId === undefined) throw new Error(`workspace.create failed: ${created.slice(0, 200)}`);
  let failed = 0;

  const all = new Promise<void>((resolve) => (onDelivered = resolve));
  const bytes0 = sockets.reduce((sum, socket) => sum + bytesRead(socket), 0);
  const cpu0 = processCpuMs(handle.pid) ?? 0;
  const started = nowMs();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < updates) {
      const n = next++;
      const reply = await call(`${projectId}-u${n}`, 'workspace.update', {
        id: workspaceId,
        patch: { data: { prompt: promptText(payloadBytes, n + 1), step: n } },
      });
      if (!reply.startsWith('{"type":"ack"')) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (failed > 0) throw new Error(`${failed} updates failed`);
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  const seconds = (nowMs() - started) / 1000;
  const cpuMs = (processCpuMs(handle.pid) ?? cpu0) - cpu0;
  const wire = sockets.reduce((sum, socket) => sum + bytesRead(socket), 0) - bytes0;
  const rssMiB = (processMemoryKiB(handle.pid)?.rss ?? NaN) / 1024;
  for (const socket of [...sockets, publisher]) socket.terminate();
  return {
    compression,
    payloadBytes,
    negotiated,
    delivered: received,
    expected: subscribers * updates,
    jsonBytesPerEvent: jsonBytes / Math.max(1, received),
    wireBytesPerEvent: wire / Math.max(1, received),
    cpuUsPerEvent: (cpuMs * 1000) / Math.max(1, received),
    rssMiB,
    seconds,
  };
}

const embedded = (await import(pathToFileURL(join(ROOT, 'scripts', 'embedded-db.mjs')).href)) as EmbeddedDbModule;
const dataDir = process.env['MONGODB_URI'] ? undefined : mkdtempSync(join(tmpdir(), 'bench-compression-'));
const db = await embedded.startDatabase(dataDir === undefined ? {} : { dataDir });
const rows: Row[] = [];
const dbNames: string[] = [];
let handle: ServerHandle | undefined;
try {
  for (const compression of ['off', 'on'] as const) {
    process.env['WS_COMPRESSION'] = compression; // inherited by the server process (startServer copies process.env)
    const dbName = `bench_compression_${compression}_${Date.now()}`;
    dbNames.push(dbName);
    handle = await startServer('ours', { port: await embedded.freePort(), mongodbUri: db.uri, dbName });
    for (const payloadBytes of payloads) {
      const row = await measure(handle, compression, payloadBytes);
      rows.push(row);
      process.stdout.write(
        `[compression] ${compression} ${payloadBytes} B: ${row.delivered}/${row.expected} delivered in ${row.seconds.toFixed(1)} s\n`,
      );
    }
    await handle.stop();
    handle = undefined;
  }
} finally {
  await handle?.stop();
  if (db.kind === 'external') {
    // A database of its own server (the embedded one) goes with its directory; on MONGODB_URI drop what this run made.
    const mongoose = (await import('mongoose')).default;
    for (const dbName of dbNames) {
      const connection = mongoose.createConnection(db.uri, { dbName, serverSelectionTimeoutMS: 10_000 });
      await connection
        .asPromise()
        .then(() => connection.dropDatabase())
        .finally(() => connection.close());
    }
  }
  await db.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}

const f = (value: number, digits = 0): string => value.toFixed(digits);
process.stdout.write(
  [
    '',
    `${subscribers} subscribers, ${updates} updates of one workspace (${inFlight} in flight), ws-server defaults for WS_COMPRESSION_*`,
    '',
    '| WS_COMPRESSION | prompt bytes | negotiated | delivered | JSON bytes / event | wire bytes / event | server CPU µs / event | server RSS MiB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.compression} | ${r.payloadBytes} | ${r.negotiated ? 'yes' : 'no'} | ${r.delivered}/${r.expected} | ${f(r.jsonBytesPerEvent)} | ${f(r.wireBytesPerEvent)} | ${f(r.cpuUsPerEvent, 1)} | ${f(r.rssMiB)} |`,
    ),
    '',
  ].join('\n'),
);
