import { ProtocolError, createClient, type Client } from '@app/client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';

let server: TestServer;
let client: Client;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'));
  client = createClient({ url: server.url, WebSocket });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a rejection');
}

describe('@app/client request round trips against the real server', () => {
  it('every request type resolves with its typed ack data', async () => {
    const p = 'e2e-req';
    const a = await client.createWorkspace({ projectId: p, name: 'A', data: { prompt: 'fox' } });
    expect(a.workspace).toMatchObject({ projectId: p, name: 'A', version: 1, position: 0 });
    const b = await client.createWorkspace({ projectId: p, name: 'B' });
    const updated = await client.updateWorkspace({ id: a.workspace.id, patch: { name: 'A2' }, expectedVersion: 1 });
    expect(updated.workspace.version).toBe(2);
    expect(await client.reorderWorkspaces({ projectId: p, order: [b.workspace.id, a.workspace.id] })).toEqual({
      order: [b.workspace.id, a.workspace.id],
    });
    const list = await client.listWorkspaces({ projectId: p });
    expect(list.workspaces.map((w) => w.name)).toEqual(['B', 'A2']);
    expect(await client.deleteWorkspace({ id: b.workspace.id })).toEqual({ id: b.workspace.id });
    expect((await client.ping()).ts).toMatch(/Z$/);
    expect(await client.request('unsubscribe', { projectId: p })).toEqual({});
  });

  it('errors reject with the protocol code, message and details', async () => {
    const p = 'e2e-err';
    const { workspace } = await client.createWorkspace({ projectId: p, name: 'A' });
    await client.updateWorkspace({ id: workspace.id, patch: { name: 'B' } });
    const conflict = await rejection(
      client.updateWorkspace({ id: workspace.id, patch: { name: 'C' }, expectedVersion: 1 }),
    );
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.details).toMatchObject({ workspace: { version: 2 } });
    expect((await rejection(client.deleteWorkspace({ id: 'missing' }))).code).toBe('NOT_FOUND');
    const reorder = await rejection(client.reorderWorkspaces({ projectId: p, order: [] }));
    expect(reorder.code).toBe('CONFLICT');
    expect(reorder.details).toEqual({ order: [workspace.id] });
    const invalid = await rejection(client.request('workspace.create', { projectId: 'bad id!', name: 'x' }));
    expect(invalid.code).toBe('INVALID_MESSAGE');
    const paths = (invalid.details as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path.join('.'));
    expect(
      paths.some((path) => path.endsWith('projectId')),
      paths.join(),
    ).toBe(true);
  });
});
