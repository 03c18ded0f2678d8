import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer, type Frame } from '../helpers/test-peer.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

let server: TestServer;
const P = 'fuzz-target';
let workspaceId: string;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), {
    maxMessageBytes: 256 * 1024,
    limits: { ratePerSec: 100_000, rateBurst: 100_000 },
  });
  const peer = await TestPeer.connect(server.url);
  workspaceId = (
    await peer.ok<{ workspace: Frame }>('workspace.create', { projectId: P, name: 'target', data: { keep: 1 } })
  ).workspace['id'] as string;
  await peer.close();
});
afterAll(async () => {
  await server.close();
});

/** A deterministic PRNG, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_VALUES: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  'a.b',
  '$set',
  'x'.repeat(70_000),
  -1,
  1.5,
  null,
  [],
  [[[[[]]]]],
  { __proto__: { polluted: true } },
  '\u0000',
  '\ud800',
  true,
];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', '$set', '$inc', 'a.b', 'nul\u0000', 'extra'];
/** Keys refused inside workspace `data` (prototype-named keys are plain data there, ADR 0004). */
const HOSTILE_DATA_KEYS = ['$set', '$inc', 'a.b', 'nul\u0000'];

/** One frame that is guaranteed to be refused: a valid request with exactly one hostile change, or raw junk. */
function hostileFrame(rand: () => number): string | Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const valid = (): Record<string, unknown> =>
    pick([
      {
        type: 'workspace.update',
        id: `f${Math.floor(rand() * 1e6)}`,
        data: { id: workspaceId, patch: { name: 'pwned', data: { a: 1 } } },
      },
      { type: 'workspace.create', id: `f${Math.floor(rand() * 1e6)}`, data: { projectId: P, name: 'pwned' } },
      { type: 'workspace.delete', id: `f${Math.floor(rand() * 1e6)}`, data: { id: workspaceId } },
      { type: 'workspace.reorder', id: `f${Math.floor(rand() * 1e6)}`, data: { projectId: P, order: [workspaceId] } },
    ]);
  const frame = valid();
  const plain = JSON.stringify(frame);
  const text = mutate(frame, rand, pick);
  // A replacement that found nothing to replace would leave a valid request: add a hostile envelope key instead.
  if (typeof text === 'string' && text === plain)
    return plain.replace('{', `{${JSON.stringify(pick(HOSTILE_KEYS))}:1,`);
  return text;
}

function mutate(
  frame: Record<string, unknown>,
  rand: () => number,
  pick: <T>(items: readonly T[]) => T,
): string | Buffer {
  const kind = Math.floor(rand() * 9);
  const data = frame['data'] as Record<string, unknown>;
  switch (kind) {
    case 0: // a hostile value in a field that reaches a query
      if ('id' in data)
        data['id'] = pick(HOSTILE_VALUES.filter((v) => typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)));
      else data['projectId'] = pick(HOSTILE_VALUES.filter((v) => typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)));
      return JSON.stringify(frame);
    case 1: {
      // a hostile key somewhere in data
      const target = (data['patch'] as Record<string, unknown> | undefined)?.['data'] ?? data;
      const text = JSON.stringify({ ...frame, data: { ...data } });
      const key = pick(HOSTILE_KEYS);
      if (target === data)
        return text.replace(
          '"data":{',
          `"data":{${JSON.stringify(key)}:${JSON.stringify(pick(HOSTILE_VALUES)) ?? 'null'},`,
        );
      return JSON.stringify(frame).replace('"data":{"a":1}', `"data":{${JSON.stringify(pick(HOSTILE_DATA_KEYS))}:1}`);
    }
    case 2: // truncated JSON
      return JSON.stringify(frame).slice(0, Math.floor(rand() * 40));
    case 3: {
      // deep nesting in data
      const depth = 40 + Math.floor(rand() * 2_000);
      return JSON.stringify(frame).replace('"data":{"a":1}', `"data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    }
    case 4: // wrong types at the top level
      return JSON.stringify({
        ...frame,
        type: pick([42, null, ['workspace.update'], { a: 1 }, 'workspace.drop', '__proto__']),
      });
    case 5: // unknown envelope keys, including prototype keys as raw text
      return JSON.stringify(frame).replace('{', `{${JSON.stringify(pick(HOSTILE_KEYS))}:{"isAdmin":true},`);
    case 6: // non-object JSON
      return pick(['[]', 'null', '42', '"x"', 'true', '[{"type":"ping"}]']);
    case 7: // binary frame (closes with 1003)
      return Buffer.from(JSON.stringify(frame));
    default: // huge strings
      return JSON.stringify({ ...frame, id: 'i'.repeat(65 + Math.floor(rand() * 1_000)) });
  }
}

describe('fuzz: several thousand hostile frames on many connections', () => {
  it('leaves the process alive, memory near baseline, stored data unchanged, nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const eventsBefore = await server.core.models.Event.countDocuments();
    const listBefore = await server.core.service.list(P);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rand = prng(20261127);
    const frames = 4_000;
    const connections = 20;
    let sent = 0;
    let closes = 0;
    const worker = async (): Promise<void> => {
      let peer = await TestPeer.connect(server.url);
      while (sent < frames) {
        sent += 1;
        const frame = hostileFrame(rand);
        if (peer.socket.readyState !== peer.socket.OPEN) {
          closes += 1;
          const code = (await peer.closed).code;
          expect([1003, 1009, 1007], `close ${code}`).toContain(code);
          peer = await TestPeer.connect(server.url);
        }
        const reply = peer.nextNew((f) => f.type === 'error' || f.type === 'ack');
        if (Buffer.isBuffer(frame)) peer.sendRaw(frame, { binary: true });
        else peer.sendRaw(frame);
        const outcome = await Promise.race([reply, peer.closed]);
        if ('type' in outcome) {
          expect(outcome.type, typeof frame === 'string' ? frame.slice(0, 200) : 'binary').toBe('error');
          expect(['INVALID_JSON', 'INVALID_MESSAGE', 'UNKNOWN_TYPE']).toContain(outcome['code']);
        }
      }
      await peer.close();
    };
    await Promise.all(Array.from({ length: connections }, worker));
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);

    expect(unhandled).toEqual([]);
    expect(closes).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await server.core.models.Event.countDocuments()).toBe(eventsBefore);
    expect(await server.core.service.list(P)).toEqual(listBefore);
    const probe = await TestPeer.connect(server.url);
    expect(await probe.ok('ping')).toHaveProperty('ts');
    await probe.close();
    expect(server.logs.filter((l) => / error: /.test(l))).toEqual([]);
    gc();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);
});
