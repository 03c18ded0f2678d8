import { createCore, type Core } from '@app/core';
import { silentLogger } from '@app/core/testing';
import { checkJsonObject, type JsonValue } from '@app/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BurstClient } from '../helpers/burst-client.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import type { Frame } from '../helpers/test-peer.js';

// Property-based: arbitrary JSON within the limits, sent as create and update requests in bursts
// that mix valid and invalid ones, through a real server on the real database.

let server: TestServer;
/** Another node on the same database: it knows only what is stored. */
let reader: Core;
let run = 0;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { limits: { rateBurst: 10_000, ratePerSec: 10_000 } });
  reader = await createCore({ mongodbUri: inject('mongodbUri'), dbName: server.dbName, logger: silentLogger() });
});
afterAll(async () => {
  await reader.close();
  await server.close();
});

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const text = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('a', '\ud83e\udd8a', '"', '\\', '\n')), maxLength: 6 }),
  )
  .map((s) => s.replaceAll('\u0000', ''));
const key = fc
  .oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      '0',
      '10',
      'keyframes',
      '\ud800',
    ),
    text,
  )
  .filter((k) => checkJsonObject({ [k]: null }) === undefined); // keys the server stores
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 53),
    2 ** 31,
    -0,
    1e-300,
    0.1,
  ),
);
/** Arrays nested `depth` deep around a value: `[[[x]]]`. */
const nested = (depth: number, inner: JsonValue): JsonValue => (depth === 0 ? inner : nested(depth - 1, [inner]));
const { value } = fc.letrec<{ value: JsonValue; array: JsonValue[]; object: Record<string, JsonValue> }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 5, depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    tie('array'),
    tie('object'),
    fc.constantFrom<JsonValue>([], [[]], [[], [[]]], {}, [{}]),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  // Object.fromEntries defines own properties, so "__proto__" is a plain key, as JSON.parse makes it.
  object: fc
    .array(fc.tuple(key, tie('value')), { maxLength: 4 })
    .map((entries) => Object.fromEntries(entries) as Record<string, JsonValue>),
}));
/** Workspace `data` within the limits: an object, sometimes with arrays nested up to the deepest level allowed. */
const data = fc
  .tuple(fc.array(fc.tuple(key, value), { maxLength: 5 }), fc.option(fc.integer({ min: 1, max: 31 })))
  .map(
    ([entries, depth]) =>
      Object.fromEntries(depth === null ? entries : [...entries, ['deep', nested(depth, 'bottom')]]) as Record<
        string,
        JsonValue
      >,
  );
/** Data the protocol refuses, and where it says the fault is (relative to `data`). */
type Bad = { data: unknown; path: (string | number)[] };
const BAD_DATA: Bad[] = [
  { data: { ok: [[1]], $set: 1 }, path: ['$set'] },
  { data: { 'a.b': [[]] }, path: ['a.b'] },
  { data: { s: 'x\u0000y' }, path: ['s'] },
  { data: { deep: nested(32, 1) }, path: ['deep', ...Array.from({ length: 31 }, () => 0)] },
];
const badData = fc.constantFrom(...BAD_DATA);

type Op =
  | { kind: 'create'; data: Record<string, JsonValue> }
  | { kind: 'update'; data: Record<string, JsonValue>; name: string }
  | { kind: 'bad-create'; data: unknown; path: (string | number)[] }
  | { kind: 'bad-update'; data: unknown; path: (string | number)[] };
const op: fc.Arbitrary<Op> = fc.oneof(
  data.map((d) => ({ kind: 'create' as const, data: d })),
  fc
    .tuple(
      data,
      text.filter((s) => s.length > 0 && !/\p{Cs}/u.test(s)),
    )
    .map(([d, name]) => ({ kind: 'update' as const, data: d, name })),
  badData.map((b) => ({ kind: 'bad-create' as const, ...b })),
  badData.map((b) => ({ kind: 'bad-update' as const, ...b })),
);

/** JSON text, the form the wire carries (so -0 is 0): equal texts mean deep-equal values, own `__proto__` keys included. */
const json = (v: unknown): string => JSON.stringify(v);

describe('any JSON within the limits is stored and comes back equal; one request never fails another', () => {
  it('keyframes as nested arrays, written in one go with plain creates and a refused create: each answered on its own', async () => {
    const projectId = 'keyframes';
    const client = await BurstClient.connect(server.url);
    try {
      const frames = [
        { type: 'workspace.create', id: 'kf-1', data: { projectId, name: 'plain' } },
        {
          type: 'workspace.create',
          id: 'kf-2',
          data: {
            projectId,
            name: 'keyframes',
            data: {
              keyframes: [
                [0, 1],
                [2, 3],
              ],
              empty: [[]],
            },
          },
        },
        { type: 'workspace.create', id: 'kf-3', data: { projectId, name: 'bad', data: { $set: [[1]] } } },
        { type: 'workspace.create', id: 'kf-4', data: { projectId, name: 'plain too' } },
      ];
      client.send(frames);
      const replies = await client.replies(frames.map((f) => f.id));
      expect(replies.map((r) => r.type)).toEqual(['ack', 'ack', 'error', 'ack']);
      expect(replies[1]!['data']).toMatchObject({
        workspace: {
          data: {
            keyframes: [
              [0, 1],
              [2, 3],
            ],
            empty: [[]],
          },
        },
      });
      expect(replies[2]).toMatchObject({
        code: 'INVALID_MESSAGE',
        details: { issues: [{ path: ['data', 'data', '$set'] }] },
      });
      await server.core.service.flush();
      expect(await reader.service.list(projectId)).toMatchObject({
        seq: 3,
        workspaces: [
          { name: 'plain' },
          {
            name: 'keyframes',
            data: {
              keyframes: [
                [0, 1],
                [2, 3],
              ],
            },
          },
          { name: 'plain too' },
        ],
      });
    } finally {
      await client.close();
    }
  });

  it('bursts of creates and updates with arbitrary data, mixing valid and invalid ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        const projectId = `anyjson-${(run += 1)}`;
        const client = await BurstClient.connect(server.url);
        try {
          client.send([
            { type: 'subscribe', id: 'sub', data: { projectId } },
            { type: 'workspace.create', id: `${projectId}-base`, data: { projectId, name: 'base' } },
          ]);
          const [, base] = await client.replies(['sub', `${projectId}-base`]);
          expect(base!.type, json(base)).toBe('ack');
          const baseId = (base!['data'] as { workspace: Frame }).workspace['id'];
          const frames = ops.map((o, i) => {
            const id = `${projectId}-${i}`;
            if (o.kind === 'create' || o.kind === 'bad-create')
              return { type: 'workspace.create', id, data: { projectId, name: `w${i}`, data: o.data } };
            return {
              type: 'workspace.update',
              id,
              data: { id: baseId, patch: o.kind === 'update' ? { name: o.name, data: o.data } : { data: o.data } },
            };
          });
          client.send(frames);
          const replies = await client.replies(frames.map((f) => f.id));

          let version = 1;
          let seq = 1;
          const acked: Frame[] = [];
          for (const [i, o] of ops.entries()) {
            const reply = replies[i]!;
            if (o.kind === 'bad-create' || o.kind === 'bad-update') {
              const prefix = o.kind === 'bad-create' ? ['data', 'data'] : ['data', 'patch', 'data'];
              expect(reply).toMatchObject({
                type: 'error',
                code: 'INVALID_MESSAGE',
                details: { issues: [{ path: [...prefix, ...o.path] }] },
              });
              continue;
            }
            expect(reply.type, json(reply)).toBe('ack');
            const workspace = (reply['data'] as { workspace: Frame }).workspace;
            expect(json(workspace['data'])).toBe(json(o.data));
            if (o.kind === 'update') {
              version += 1;
              expect(workspace).toMatchObject({ id: baseId, name: o.name, version });
            }
            seq += 1;
            acked.push(workspace);
          }
          // Events: one per ack, in order, carrying what was acked.
          await client.until((all) => all.filter((f) => f['projectId'] === projectId).length === seq);
          const events = client.frames.filter((f) => f['projectId'] === projectId);
          expect(events.map((e) => e['seq'])).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
          expect(events.slice(1).map((e) => json((e['data'] as { workspace: Frame }).workspace))).toEqual(
            acked.map(json),
          );

          // List and snapshot on this node; replay, list and get on a node that reads the stored forms.
          const current = new Map<unknown, Frame>();
          for (const e of events) {
            const w = (e['data'] as { workspace: Frame }).workspace;
            current.set(w['id'], w);
          }
          const sameData = (workspaces: { id: string; data: unknown }[]): void => {
            for (const w of workspaces) expect(json(w.data)).toBe(json(current.get(w.id)!['data']));
            expect(workspaces.length).toBe(current.size);
          };
          client.send([
            { type: 'workspace.list', id: 'list', data: { projectId } },
            { type: 'subscribe', id: 'snap', data: { projectId } },
          ]);
          const [list, snap] = await client.replies(['list', 'snap']);
          sameData((list!['data'] as { workspaces: { id: string; data: unknown }[] }).workspaces);
          sameData((snap!['data'] as { snapshot: { id: string; data: unknown }[] }).snapshot);

          await server.core.service.flush();
          const stored = await reader.service.list(projectId);
          expect(stored.seq).toBe(seq);
          sameData(stored.workspaces);
          for (const id of current.keys())
            expect(json((await reader.service.get(id as string)).data)).toBe(json(current.get(id)!['data']));
          const replay = await reader.service.replay(projectId, 0);
          expect((await reader.service.eventsBetween(projectId, 0, replay.seq)).map((e) => json(e))).toEqual(
            events.map((e) => json(e)),
          );
        } finally {
          await client.close();
        }
      }),
      { numRuns: 40 },
    );
    expect(server.logs.filter((l) => / (error|warn): /.test(l))).toEqual([]);
  }, 60_000);
});
