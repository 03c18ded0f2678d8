// `pnpm --filter @app/bench worst-case-frame`: the "worst-case frame" line. Our ws-server, one connection
// with authentication off (every frame reaches validation, as any token would), receives `--frames` copies
// of each 1 MiB `workspace.create` shape in turn, one at a time (each answered before the next). Reported
// per shape: server CPU per frame (user + system from /proc, the server process only), its ratio to the
// ordinary 1 MiB workspace frame, the answer, and the server's peak RSS over its RSS before the shape.
// The hand-made shapes are the most expensive ones found; `--generated` more are mixed from the same
// parts by a seeded generator (`--seed`). Timings are never asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { processCpuMs, processMemoryKiB, resetPeakRss } from './common.js';
import { ROOT, startServer, type ServerHandle } from './processes.js';

interface EmbeddedDbModule {
  startDatabase(options: { dataDir?: string }): Promise<{ uri: string; kind: string; stop(): Promise<void> }>;
  freePort(): Promise<number>;
}

function flag(name: string, fallback: number): number {
  const value = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a number >= 0`);
  return parsed;
}

const frames = flag('frames', 20);
const generated = flag('generated', 8);
const seed = flag('seed', 1);
/** The server's default MAX_MESSAGE_BYTES: every frame is as large as the server reads. */
const FRAME_BYTES = 1024 * 1024;

/** A `workspace.create` frame whose `data` is `dataJson`, padded with spaces to exactly FRAME_BYTES. */
function frame(dataJson: string): string {
  const text = `{"type":"workspace.create","id":"f000000","data":{"projectId":"worst","name":"w","data":${dataJson}}}`;
  if (text.length > FRAME_BYTES) throw new Error(`frame of ${text.length} bytes`);
  return text.replace(/}}}$/, `}}${' '.repeat(FRAME_BYTES - text.length)}}`);
}

/** Fills `room` characters with `unit` repeated, joined by `,`. */
function repeat(unit: string, room: number): string {
  return Array.from({ length: Math.max(1, Math.floor(room / (unit.length + 1))) }, () => unit).join(',');
}

const ROOM = FRAME_BYTES - 200;

/** Seeded 32-bit generator (mulberry32). */
function random(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The parts hostile frames are made of: each takes a size and returns JSON text of about that size. */
const PARTS: Record<string, (room: number) => string> = {
  zeros: (room) => `[${repeat('0', room - 2)}]`,
  keys: (room) => {
    let n = 0;
    const keys: string[] = [];
    for (let used = 2; used < room - 16; used += String(n).length + 5) keys.push(`"${(n++).toString(36)}":0`);
    return `{${keys.join(',')}}`;
  },
  nul: (room) => `[${repeat(`"${'x'.repeat(65_000)}\\u0000"`, room - 2)}]`,
  escapes: (room) => `[${repeat(`"${'\\ud800'.repeat(2_000)}"`, room - 2)}]`,
  floats: (room) => `[${repeat('1.2345678901234567e-300', room - 2)}]`,
  emptyArrays: (room) => `[${repeat('[]', room - 2)}]`,
  emptyObjects: (room) => `[${repeat('{}', room - 2)}]`,
  brackets: (room) => {
    const depth = Math.floor((room - 4) / 2);
    return `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  },
};

/** Nests `inner` `depth` levels deep in objects. */
function deep(inner: string, depth: number): string {
  return `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

function generatedShape(next: () => number): string {
  const names = Object.keys(PARTS);
  const count = 1 + Math.floor(next() * 4);
  const pieces: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = names[Math.floor(next() * names.length)]!;
    const depth = Math.floor(next() * 31);
    const room = Math.floor(ROOM / count) - depth * 6 - 16;
    pieces.push(`"p${i}":${deep(PARTS[name]!(room), depth)}`);
  }
  return `{${pieces.join(',')}}`;
}

/** Ordinary workspace data: scene objects with prompt text, settings and a few numbers. */
function ordinary(room: number): string {
  const scenes: string[] = [];
  let used = 20;
  for (let i = 0; used < room - 400; i += 1) {
    const scene = JSON.stringify({
      id: `scene-${i}`,
      prompt: 'a red fox walks through the misty pine forest at dawn, camera slowly pans left to reveal golden light',
      settings: { duration: 5, ratio: '16:9', seed: i, motion: 0.4 },
      tags: ['forest', 'dawn'],
    });
    scenes.push(scene);
    used += scene.length + 1;
  }
  return `{"scenes":[${scenes.join(',')}]}`;
}

const shapes: { name: string; text: string }[] = [
  // about as much ordinary data as the server accepts (10,000 values), in a frame padded to 1 MiB: written, acked
  { name: 'ordinary 1 MiB workspace frame', text: frame(ordinary(200_000)) },
  { name: 'ordinary 1 MiB workspace frame, refused (data over 256 KiB)', text: frame(ordinary(ROOM)) },
  { name: '30 deep, 500,000 zeros (issue 22)', text: frame(deep(PARTS['zeros']!(ROOM - 300), 30)) },
  ...Object.entries(PARTS).map(([name, part]) => ({ name, text: frame(part(ROOM)) })),
  { name: '31 deep, many keys', text: frame(deep(PARTS['keys']!(ROOM - 300), 31)) },
];
const next = random(seed);
for (let i = 0; i < generated; i += 1)
  shapes.push({ name: `generated ${seed}.${i}`, text: frame(generatedShape(next)) });

let sent = 0;

interface Row {
  name: string;
  answer: string;
  cpuMsPerFrame: number;
  peakGrowthMiB: number;
}

async function measure(handle: ServerHandle, name: string, text: string): Promise<Row> {
  const socket = new WebSocket(handle.url, { perMessageDeflate: false, maxPayload: 4 * FRAME_BYTES });
  socket.on('error', () => {});
  let onReply: ((reply: string) => void) | undefined;
  let onClose: ((code: number) => void) | undefined;
  socket.on('message', (data: Buffer) => {
    const reply = data.toString();
    if (!reply.startsWith('{"type":"hello"')) onReply?.(reply);
  });
  socket.on('close', (code: number) => onClose?.(code));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('close', () => reject(new Error('closed before open')));
  });
  const send = (): Promise<string> =>
    new Promise((resolve, reject) => {
      onReply = resolve;
      onClose = (code) => reject(new Error(`closed ${code}`));
      sent += 1; // a request id of its own per frame (a repeated id would be answered from the idempotency record)
      socket.send(text.replace('"id":"f000000"', `"id":"f${String(sent).padStart(6, '0')}"`));
    });
  await send(); // warm up
  const rss0 = processMemoryKiB(handle.pid)?.rss ?? NaN;
  resetPeakRss(handle.pid);
  const cpu0 = processCpuMs(handle.pid) ?? 0;
  let answer = '';
  for (let i = 0; i < frames; i += 1) answer = await send();
  const cpuMs = (processCpuMs(handle.pid) ?? cpu0) - cpu0;
  const peak = processMemoryKiB(handle.pid)?.peak ?? NaN;
  socket.terminate();
  const code = /"code":"([A-Z_]+)"/.exec(answer)?.[1];
  const message = /"message":"([^"]{0,60})/.exec(answer)?.[1];
  return {
    name,
    answer: code === undefined ? answer.slice(0, 20) : `${code}: ${message ?? ''}`,
    cpuMsPerFrame: cpuMs / frames,
    peakGrowthMiB: (peak - rss0) / 1024,
  };
}

const embedded = (await import(pathToFileURL(join(ROOT, 'scripts', 'embedded-db.mjs')).href)) as EmbeddedDbModule;
const dataDir = process.env['MONGODB_URI'] ? undefined : mkdtempSync(join(tmpdir(), 'bench-worst-frame-'));
const db = await embedded.startDatabase(dataDir === undefined ? {} : { dataDir });
const rows: Row[] = [];
let handle: ServerHandle | undefined;
try {
  handle = await startServer('ours', {
    port: await embedded.freePort(),
    mongodbUri: db.uri,
    dbName: `bench_worst_frame_${Date.now()}`,
  });
  for (const { name, text } of shapes) {
    const row = await measure(handle, name, text);
    rows.push(row);
    process.stdout.write(`[worst-case frame] ${name}: ${row.cpuMsPerFrame.toFixed(1)} ms/frame, ${row.answer}\n`);
  }
} finally {
  await handle?.stop();
  await db.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}

const base = rows[0]!.cpuMsPerFrame;
const worst = rows.slice(1).reduce((a, b) => (b.cpuMsPerFrame > a.cpuMsPerFrame ? b : a));
process.stdout.write(
  [
    '',
    `worst-case frame: ${frames} frames of ${FRAME_BYTES} bytes per shape, one at a time on one connection (seed ${seed})`,
    '',
    '| shape | answer | server CPU ms / frame | x ordinary | peak RSS growth MiB |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.answer} | ${r.cpuMsPerFrame.toFixed(1)} | ${(r.cpuMsPerFrame / base).toFixed(2)} | ${r.peakGrowthMiB.toFixed(1)} |`,
    ),
    '',
    `worst-case frame: ${worst.name}, ${(worst.cpuMsPerFrame / base).toFixed(2)}x the ordinary frame (target <= 5x)`,
    '',
  ].join('\n'),
);
