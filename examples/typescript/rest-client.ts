// A REST client typed by openapi-typescript's output (generated/rest.ts) through openapi-fetch: the
// create / update / conflict / list / delete flow a new user of the API would write.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/rest.js';

export type Workspace = components['schemas']['Workspace'];
export type ErrorBody = components['schemas']['Error'];

export interface RestFlowResult {
  created: Workspace;
  updated: Workspace;
  conflict: { status: number; error: ErrorBody };
  invalid: { status: number; error: ErrorBody };
  listed: components['schemas']['WorkspaceListResult'];
  deleted: components['schemas']['WorkspaceDeleteResult'];
  afterDelete: { status: number; error: ErrorBody };
}

export function restClient(baseUrl: string) {
  return createClient<paths>({ baseUrl });
}

function expectData<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

function expectError(
  result: { error?: ErrorBody; response: Response },
  what: string,
): { status: number; error: ErrorBody } {
  if (result.error === undefined) throw new Error(`${what}: expected an error, got ${result.response.status}`);
  return { status: result.response.status, error: result.error };
}

export async function restFlow(baseUrl: string, projectId: string): Promise<RestFlowResult> {
  const client = restClient(baseUrl);
  const params = { path: { projectId } };

  // Free-form `data` with any keys, nested arrays included.
  const { workspace: created } = expectData(
    await client.POST('/api/projects/{projectId}/workspaces', {
      params,
      body: { name: 'Opening shot', data: { prompt: 'a calm sea', shots: [[1, 2], [3]], camera: { lens: 35 } } },
    }),
    'create',
  );
  const { workspace: updated } = expectData(
    await client.PATCH('/api/workspaces/{id}', {
      params: { path: { id: created.id } },
      body: { patch: { name: 'Opening shot, take 2' }, expectedVersion: created.version },
    }),
    'update',
  );
  // The same expectedVersion again is stale now: 409 CONFLICT.
  const conflict = expectError(
    await client.PATCH('/api/workspaces/{id}', {
      params: { path: { id: created.id } },
      body: { patch: { name: 'lost update' }, expectedVersion: created.version },
    }),
    'stale update',
  );
  const invalid = expectError(
    await client.POST('/api/projects/{projectId}/workspaces', { params, body: { name: '' } }),
    'empty name',
  );
  const listed = expectData(await client.GET('/api/projects/{projectId}/workspaces', { params }), 'list');
  const deleted = expectData(
    await client.DELETE('/api/workspaces/{id}', {
      params: { path: { id: created.id }, query: { expectedVersion: updated.version } },
    }),
    'delete',
  );
  const afterDelete = expectError(
    await client.GET('/api/workspaces/{id}', { params: { path: { id: created.id } } }),
    'get after delete',
  );
  return { created, updated, conflict, invalid, listed, deleted, afterDelete };
}
