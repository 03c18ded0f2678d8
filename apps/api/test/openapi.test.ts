import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { jsonFileText } from '@app/protocol/artifacts';
import { createApi } from '../src/index.js';
import { OPENAPI_PATH, REST_OPERATIONS, openApiDocument } from '../src/openapi.js';
import { request, startApi, type StartedApi } from './helpers/start-api.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const document = openApiDocument();

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
  match(path: string): unknown;
}

/** `METHOD /path` of every route the Express app serves, mount prefixes included, in OpenAPI's `{param}` form. */
function servedRoutes(app: ReturnType<typeof createApi>): string[] {
  const routes: string[] = [];
  const add = (prefix: string, layer: RouterLayer): void => {
    if (layer.route === undefined) return;
    const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${path}`);
  };
  for (const layer of (app as unknown as { router: { stack: RouterLayer[] } }).router.stack) {
    add('', layer);
    const inner = layer.handle?.stack;
    if (inner === undefined) continue;
    // The API mounts its routers at the root or under /api; a router mounted elsewhere must be added here.
    const prefix = layer.match('/') !== false ? '' : layer.match('/api') !== false ? '/api' : undefined;
    expect(prefix, 'a router mounted at an unknown path').toBeDefined();
    for (const route of inner) add(prefix!, route);
  }
  return routes;
}

describe('docs/openapi.json', () => {
  it('is up to date (run pnpm generate)', () => {
    const onDisk = readFileSync(join(root, OPENAPI_PATH), 'utf8');
    expect(onDisk === jsonFileText(document), `${OPENAPI_PATH} differs from the routes: run pnpm generate`).toBe(true);
  });

  it('is a valid OpenAPI 3.1 document (official parser)', async () => {
    const api = await SwaggerParser.validate(structuredClone(document) as never);
    expect((api as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('lists exactly the routes the app serves', () => {
    const app = createApi({ core: {} as never, logger: silentLogger(), metrics: createMetrics() });
    const listed = REST_OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`);
    expect(servedRoutes(app).sort()).toEqual(listed.sort());
    const inDocument = Object.entries(document['paths'] as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(inDocument.sort()).toEqual(listed.sort());
  });
});

describe('the API answers as the document says', () => {
  let core: Core;
  let api: StartedApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'document', components: document['components'] } as never);
  const cache = new Map<string, ValidateFunction>();

  beforeAll(async () => {
    core = await createTestCore(inject('mongodbUri'));
    api = await startApi({ core, metrics: createMetrics() });
  });
  afterAll(async () => {
    await api?.close();
    await core?.close();
  });

  /** Checks a response against the document: a listed status, and a body valid for it. */
  function expectDocumented(method: string, path: string, res: { status: number; body: unknown; text: string }): void {
    const operation = (document['paths'] as Record<string, Record<string, { responses: Record<string, any> }>>)[path]?.[
      method
    ];
    expect(operation, `${method} ${path} is not in the document`).toBeDefined();
    const listed = operation!.responses[String(res.status)] as { $ref?: string } | undefined;
    const responses = (document['components'] as { responses: Record<string, unknown> }).responses;
    const response = (listed?.$ref === undefined ? listed : responses[listed.$ref.split('/').pop()!]) as any;
    expect(response, `${method} ${path} answered ${res.status}, not listed: ${res.text.slice(0, 200)}`).toBeDefined();
    const [contentType, media] = Object.entries(response.content as Record<string, { schema: object }>)[0]!;
    const key = `${method} ${path} ${res.status}`;
    let check = cache.get(key);
    if (check === undefined) {
      const schema = JSON.parse(
        JSON.stringify(media.schema).replaceAll('"#/components/', '"document#/components/'),
      ) as object;
      check = ajv.compile(schema);
      cache.set(key, check);
    }
    const body = contentType === 'application/json' ? res.body : res.text;
    expect(check(body), `${key}: ${ajv.errorsText(check.errors)}`).toBe(true);
  }

  it('every operation answers with a listed status and a body matching its schema', async () => {
    const p = `openapi-${Date.now()}`;
    const call = async (method: string, path: string, url: string, body?: unknown) => {
      const res = await request(`${api.url}${url}`, { method: method.toUpperCase(), body });
      expectDocumented(method, path, res);
      return res;
    };
    await call('get', '/health', '/health');
    await call('get', '/ready', '/ready');
    await call('get', '/metrics', '/metrics');
    const a = await call('post', '/api/projects/{projectId}/workspaces', `/api/projects/${p}/workspaces`, {
      name: 'A',
      data: { prompt: 'a red fox' },
    });
    expect(a.status).toBe(201);
    const b = await call('post', '/api/projects/{projectId}/workspaces', `/api/projects/${p}/workspaces`, {
      name: 'B',
    });
    const list = await call('get', '/api/projects/{projectId}/workspaces', `/api/projects/${p}/workspaces`);
    expect(list.body.workspaces).toHaveLength(2);
    const id = a.body.workspace.id as string;
    await call('get', '/api/workspaces/{id}', `/api/workspaces/${id}`);
    await call('patch', '/api/workspaces/{id}', `/api/workspaces/${id}`, { patch: { name: 'A2' }, expectedVersion: 1 });
    const stale = await call('patch', '/api/workspaces/{id}', `/api/workspaces/${id}`, {
      patch: { name: 'A3' },
      expectedVersion: 1,
    });
    expect(stale.status).toBe(409);
    await call('put', '/api/projects/{projectId}/order', `/api/projects/${p}/order`, {
      order: [b.body.workspace.id, id],
    });
    const bad = await call('put', '/api/projects/{projectId}/order', `/api/projects/${p}/order`, { order: 'x' });
    expect(bad.status).toBe(400);
    await call('delete', '/api/workspaces/{id}', `/api/workspaces/${id}`);
    const gone = await call('get', '/api/workspaces/{id}', `/api/workspaces/${id}`);
    expect(gone.status).toBe(404);
    // This app has no prompt helper: prompt.enhance answers UNAVAILABLE, after checking its body.
    const unset = await call('post', '/api/prompt/enhance', '/api/prompt/enhance', { prompt: 'a red fox' });
    expect(unset.status).toBe(503);
    const empty = await call('post', '/api/prompt/enhance', '/api/prompt/enhance', { prompt: '' });
    expect(empty.status).toBe(400);
  });
});

describe('docs/openapi.json: what a client generator needs', () => {
  const components = document['components'] as {
    schemas: Record<string, Record<string, unknown>>;
    responses: Record<string, { content: Record<string, { schema: unknown }> }>;
  };
  const operations = Object.entries(
    document['paths'] as Record<string, Record<string, Record<string, unknown>>>,
  ).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));

  it('has no request body on a GET or DELETE', () => {
    for (const { path, method, operation } of operations) {
      if (method === 'get' || method === 'delete')
        expect(operation['requestBody'], `${method} ${path}`).toBeUndefined();
    }
  });

  it('names every JSON body and reply: a $ref to a titled component', () => {
    for (const { path, method, operation } of operations) {
      const body = operation['requestBody'] as { content: Record<string, { schema: { $ref?: string } }> } | undefined;
      const replies = Object.values(operation['responses'] as Record<string, Record<string, any>>).filter(
        (r) => r['$ref'] === undefined,
      );
      const schemas = [
        ...(body === undefined ? [] : [body.content['application/json']!.schema]),
        ...replies.map((r) => r['content']['application/json']?.schema).filter((s) => s !== undefined),
      ] as { $ref?: string }[];
      for (const schema of schemas) {
        expect(schema.$ref, `${method} ${path}`).toMatch(/^#\/components\/schemas\//);
        const name = schema.$ref!.split('/').pop()!;
        expect(components.schemas[name]?.['title'], name).toBe(name);
      }
    }
  });

  it('describes the error shape and codes once and references them', () => {
    for (const { path, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation['responses'] as Record<string, Record<string, any>>)) {
        if (Number(status) < 400 || path === '/ready') continue;
        expect(response['$ref'], `${method} ${path} ${status}`).toMatch(/^#\/components\/responses\//);
      }
    }
    for (const response of Object.values(components.responses)) {
      expect(response.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    const error = components.schemas['Error']!['properties'] as Record<string, unknown>;
    expect(error['code']).toEqual({ $ref: '#/components/schemas/ErrorCode' });
    expect(components.schemas['ErrorCode']!['enum']).toEqual(Object.keys(document['x-error-codes'] as object));
  });

  it('types free-form JSON objects (workspace data) as taking any key', () => {
    const freeForm: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema['type'] === 'object' && schema['properties'] === undefined) {
        freeForm.push(at);
        expect(schema['additionalProperties'], at).not.toBe(false);
        expect(schema['additionalProperties'], at).toBeDefined();
      }
      for (const [key, inner] of Object.entries(schema)) walk(inner, `${at}/${key}`);
    };
    walk(components.schemas, 'schemas');
    expect(freeForm).toContain('schemas/JsonObject');
    expect(freeForm).toContain('schemas/Workspace/properties/data');
  });
});
