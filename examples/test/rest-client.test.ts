import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restFlow } from '../typescript/rest-client.js';
import { startRealServer, type RealServer } from './helpers.js';

describe('REST client generated from docs/openapi.json (openapi-typescript + openapi-fetch)', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer(inject('mongodbUri'));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates, updates, gets 409 on a stale version, lists and deletes against a real server', async () => {
    const projectId = `rest-${Date.now()}`;
    const result = await restFlow(server.httpUrl, projectId);
    expect(result.created).toMatchObject({
      projectId,
      name: 'Opening shot',
      version: 1,
      data: { prompt: 'a calm sea', shots: [[1, 2], [3]], camera: { lens: 35 } },
    });
    expect(result.updated).toMatchObject({ id: result.created.id, name: 'Opening shot, take 2', version: 2 });
    expect(result.conflict).toMatchObject({ status: 409, error: { code: 'CONFLICT' } });
    expect(result.invalid).toMatchObject({ status: 400, error: { code: 'INVALID_MESSAGE' } });
    expect(result.listed.workspaces.map((w) => [w.id, w.version])).toEqual([[result.created.id, 2]]);
    expect(result.deleted).toBeDefined();
    expect(result.afterDelete).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
    // The server's own state agrees with what the client saw.
    const stored = await server.core.service.list(projectId);
    expect(stored.workspaces).toEqual([]);
  });
});
