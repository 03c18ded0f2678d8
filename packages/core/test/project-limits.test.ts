// Project caps on the real write path and database: a create past PROJECT_MAX_WORKSPACES or a write past
// PROJECT_MAX_BYTES is refused with PROJECT_LIMIT and stores nothing; the node's state cache holds at most
// STATE_CACHE_MAX_BYTES of projects (the least recently used clean ones go first).
import { ProtocolError } from '@app/protocol';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Core } from '../src/core.js';
import { createTestCore } from '../src/testing.js';

const ctx = { subject: 'limits-test' };
let core: (Core & { dbName: string }) | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

async function refusal(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('project caps', () => {
  it('refuses the workspace past PROJECT_MAX_WORKSPACES and stores nothing', async () => {
    core = await createTestCore(inject('mongodbUri'), undefined, {
      projectLimits: { maxWorkspaces: 3, maxBytes: 64 * 1024 * 1024 },
    });
    for (let i = 0; i < 3; i += 1) await core.service.create({ projectId: 'cap', name: `w${i}` }, ctx);
    const error = await refusal(core.service.create({ projectId: 'cap', name: 'w3' }, ctx));
    expect(error.code).toBe('PROJECT_LIMIT');
    expect(error.details).toMatchObject({ limit: 'workspaces', workspaces: 3, maxWorkspaces: 3 });
    const list = await core.service.list('cap');
    expect(list.workspaces).toHaveLength(3);
    expect(list.seq).toBe(3);
    // another project is not affected
    await core.service.create({ projectId: 'cap-other', name: 'w' }, ctx);
  });

  it('refuses growth past PROJECT_MAX_BYTES, lets the project shrink, then grow again', async () => {
    core = await createTestCore(inject('mongodbUri'), undefined, {
      projectLimits: { maxWorkspaces: 100, maxBytes: 300_000 },
    });
    const big = { text: 'x'.repeat(120_000) };
    const a = await core.service.create({ projectId: 'bytes', name: 'a', data: big }, ctx);
    await core.service.create({ projectId: 'bytes', name: 'b', data: big }, ctx);
    expect((await refusal(core.service.create({ projectId: 'bytes', name: 'c', data: big }, ctx))).code).toBe(
      'PROJECT_LIMIT',
    );
    const id = a.workspace.id;
    expect((await refusal(core.service.update({ id, patch: { data: { text: 'x'.repeat(200_000) } } }, ctx))).code).toBe(
      'PROJECT_LIMIT',
    );
    await core.service.update({ id, patch: { data: { text: 'small' } } }, ctx);
    await core.service.create({ projectId: 'bytes', name: 'c', data: big }, ctx);
    expect((await core.service.list('bytes')).workspaces.map((w) => w.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('state cache', () => {
  it('keeps at most STATE_CACHE_MAX_BYTES of project states', async () => {
    const maxBytes = 1024 * 1024;
    core = await createTestCore(inject('mongodbUri'), undefined, { stateCache: { maxProjects: 1_000, maxBytes } });
    const data = { text: 'x'.repeat(200_000) };
    for (let p = 0; p < 12; p += 1) await core.service.create({ projectId: `cache-${p}`, name: 'w', data }, ctx);
    // Each project is about 200 kB: twelve are 2.4 MB. States whose read model is still unwritten stay,
    // so wait for the read model, then load each project again (a read of each).
    await core.service.flush();
    for (let p = 0; p < 12; p += 1) await core.service.list(`cache-${p}`);
    const states = (core.service as unknown as { states: { bytes: number; projectIds(): Iterable<string> } }).states;
    expect(states.bytes).toBeLessThanOrEqual(maxBytes + 250_000); // the bound, plus the project just loaded
    expect([...states.projectIds()].length).toBeLessThan(12);
  });

  it('counts a state again when it grows after it was loaded, and keeps the bound once states are clean', async () => {
    const maxBytes = 1024 * 1024;
    // The read model is written only at the flush: every state is unwritten (never dropped) when the next
    // one loads, and each grows by its commit after it was counted (empty) at its load.
    core = await createTestCore(inject('mongodbUri'), undefined, {
      stateCache: { maxProjects: 1_000, maxBytes },
      projectionDelayMs: 60_000,
    });
    const data = { text: 'x'.repeat(200_000) };
    for (let p = 0; p < 12; p += 1) await core.service.create({ projectId: `grow-${p}`, name: 'w', data }, ctx);
    const states = (core.service as unknown as { states: { bytes: number; projectIds(): Iterable<string> } }).states;
    expect(states.bytes).toBeGreaterThan(2_000_000); // all unwritten: all kept, and all counted
    await core.service.flush();
    // Reads of projects already held load nothing: the bound is enforced on their use.
    for (let p = 0; p < 12; p += 1) await core.service.list(`grow-${p}`);
    expect(states.bytes).toBeLessThanOrEqual(maxBytes + 250_000);
    expect([...states.projectIds()].length).toBeLessThan(12);
  });
});
