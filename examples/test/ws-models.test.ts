import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { wsFlow } from '../typescript/ws-flow.js';
import { startRealServer, type RealServer } from './helpers.js';

describe('TypeScript models generated from docs/asyncapi.json (modelina) typing a raw WebSocket flow', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer(inject('mongodbUri'));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('subscribes, creates a workspace, and receives its event and its ack from a real server', async () => {
    const projectId = `models-${Date.now()}`;
    const result = await wsFlow(server.wsUrl, projectId);
    expect(result.hello.data.protocol).toBe(1);
    expect(result.subscribed.snapshot).toEqual([]);
    expect(result.order.sort()).toEqual(['ack', 'event']);
    expect(result.event).toMatchObject({ type: 'workspace.created', projectId, seq: result.subscribed.seq + 1 });
    expect(result.event.data.workspace).toEqual(result.ack.data.workspace);
    expect(result.ack.data.workspace).toMatchObject({
      projectId,
      name: 'Typed by modelina',
      version: 1,
      data: { prompt: 'a calm sea', tags: ['sea', 'calm'] },
    });
    const stored = await server.core.service.list(projectId);
    expect(stored.workspaces).toEqual([result.ack.data.workspace]);
    expect(stored.seq).toBe(result.event.seq);
  });
});
