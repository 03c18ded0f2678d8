import { ERROR_CODES, PROTOCOL_VERSION, REQUESTS, errorFrameSchema, type RequestType } from '@app/protocol';
import { zodToJsonSchema, type JsonSchema } from '@app/protocol/artifacts';
import { HTTP_STATUS } from './error-handler.js';
import { IDEMPOTENCY_HEADER } from './validation.js';

/** Where `pnpm generate` writes the document, relative to the repository root. */
export const OPENAPI_PATH = 'docs/openapi.json';

/** One route the API serves, as the OpenAPI document lists it (`path` in OpenAPI's `{param}` form). */
export interface RestOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  /** The request type whose data the route takes (its body: the data less the values the URL gives). */
  requestType?: RequestType;
  /** Fields of the request data that come from the URL, so the body must not carry them. */
  fromUrl?: string[];
  /** The success status and what it carries: a request type's ack data, or a fixed schema. */
  success: { status: number; body: RequestType | JsonSchema; contentType?: string };
  /** Error statuses besides the success (each with the error body of `toHttpError`). */
  errors: number[];
  /** Under /api: authentication (when configured), rate limit, Idempotency-Key on writes. */
  api: boolean;
  /** `false` for a POST under /api that stores nothing, so takes no Idempotency-Key (`prompt.enhance`). */
  idempotencyKey?: false;
}

const READ_ERRORS = [400, 401, 403, 429, 500, 503];
const WRITE_ERRORS = [400, 401, 403, 404, 409, 413, 415, 429, 500, 503];
const status = (values: string[]): JsonSchema => ({
  type: 'object',
  properties: { status: { type: 'string', enum: values } },
  required: ['status'],
  additionalProperties: false,
});

/** `{<field>, expiresAt}`: a credential meant for a URL and when it stops working. */
const link = (field: string): JsonSchema => ({
  type: 'object',
  properties: { [field]: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
  required: [field, 'expiresAt'],
  additionalProperties: false,
});

/** Every route of `createApi`, in the order it mounts them (a test checks this list against the app). */
export const REST_OPERATIONS: readonly RestOperation[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness: 200 while the process runs, whatever the database does',
    success: { status: 200, body: status(['ok']) },
    errors: [],
    api: false,
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'Readiness: 200 while the database answers a ping, else 503 (take this node out of rotation)',
    success: { status: 200, body: status(['ready']) },
    errors: [503],
    api: false,
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (served when the process has metrics; restrict it at the proxy)',
    success: { status: 200, body: { type: 'string' }, contentType: 'text/plain' },
    errors: [],
    api: false,
  },
  {
    method: 'get',
    path: '/api/projects/{projectId}/workspaces',
    summary: "The project's workspaces in order, and the seq they reflect",
    requestType: 'workspace.list',
    fromUrl: ['projectId'],
    success: { status: 200, body: 'workspace.list' },
    errors: READ_ERRORS,
    api: true,
  },
  {
    method: 'post',
    path: '/api/projects/{projectId}/workspaces',
    summary: 'Adds a workspace to a project (as `workspace.create`)',
    requestType: 'workspace.create',
    fromUrl: ['projectId'],
    success: { status: 201, body: 'workspace.create' },
    errors: WRITE_ERRORS,
    api: true,
  },
  {
    method: 'put',
    path: '/api/projects/{projectId}/order',
    summary: "Sets the project's order (as `workspace.reorder`)",
    requestType: 'workspace.reorder',
    fromUrl: ['projectId'],
    success: { status: 200, body: 'workspace.reorder' },
    errors: WRITE_ERRORS,
    api: true,
  },
  {
    method: 'get',
    path: '/api/workspaces/{id}',
    summary: 'One workspace',
    success: { status: 200, body: 'workspace.update' },
    errors: [...READ_ERRORS, 404].sort(),
    api: true,
  },
  {
    method: 'patch',
    path: '/api/workspaces/{id}',
    summary: 'Renames and/or replaces data (as `workspace.update`)',
    requestType: 'workspace.update',
    fromUrl: ['id'],
    success: { status: 200, body: 'workspace.update' },
    errors: WRITE_ERRORS,
    api: true,
  },
  {
    method: 'delete',
    path: '/api/workspaces/{id}',
    summary: 'Removes a workspace (as `workspace.delete`; `expectedVersion` in the query)',
    fromUrl: ['id'],
    success: { status: 200, body: 'workspace.delete' },
    errors: WRITE_ERRORS.filter((code) => code !== 413 && code !== 415),
    api: true,
  },
  {
    method: 'post',
    path: '/api/prompt/enhance',
    summary: 'Rewrites a video prompt with the language model (as `prompt.enhance`); stores nothing',
    requestType: 'prompt.enhance',
    success: { status: 200, body: 'prompt.enhance' },
    errors: [400, 401, 404, 413, 415, 429, 500, 502, 503],
    api: true,
    idempotencyKey: false,
  },
  {
    method: 'post',
    path: '/api/workspaces/{id}/video',
    summary:
      "Starts a video job for the workspace (as `video.generate`); its statuses reach the project's subscribers as `video.status_update` events",
    requestType: 'video.generate',
    fromUrl: ['workspaceId'],
    success: { status: 202, body: 'video.generate' },
    errors: WRITE_ERRORS,
    api: true,
  },
  {
    method: 'delete',
    path: '/api/workspaces/{id}/video',
    summary: "Cancels the workspace's active video job (as `video.cancel`)",
    fromUrl: ['workspaceId'],
    success: { status: 200, body: 'video.cancel' },
    errors: WRITE_ERRORS.filter((code) => code !== 409 && code !== 413 && code !== 415),
    api: true,
  },
  {
    method: 'post',
    path: '/api/ws-ticket',
    summary:
      'A single-use WebSocket ticket for the caller, valid for WS_TICKET_TTL_MS: open the WebSocket with `?ticket=` instead of a token in the URL',
    success: { status: 200, body: link('ticket') },
    errors: [401, 429, 500, 503],
    api: true,
    idempotencyKey: false,
  },
  {
    method: 'get',
    path: '/api/videos/{jobId}/url',
    summary:
      'A signed link to the finished video of a job (`/videos/<jobId>.mp4?expires=…&signature=…`) that plays without a token until it expires (VIDEO_URL_TTL_MS)',
    success: { status: 200, body: link('url') },
    errors: [400, 401, 404, 429, 500, 503],
    api: true,
  },
];

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  400: 'Bad request: INVALID_JSON, INVALID_MESSAGE (details.issues name each problem)',
  401: 'UNAUTHORIZED: missing, invalid or expired token',
  403: 'FORBIDDEN: the token does not grant this project',
  404: 'NOT_FOUND',
  409: 'CONFLICT: expectedVersion is stale, the order is not a permutation, or the workspace already has a video job in progress',
  413: 'INVALID_MESSAGE: the body is larger than MAX_MESSAGE_BYTES',
  415: 'INVALID_MESSAGE: unsupported content encoding or charset',
  429: 'RATE_LIMITED: details.retryAfterMs, and Retry-After in seconds',
  500: 'INTERNAL',
  502: "PROVIDER_ERROR: the language model's answer could not be used (prompt.enhance)",
  503: 'UNAVAILABLE: the database is unreachable, the server is stopping, or (prompt.enhance) the language model is down, slow, rate-limited or not configured; details.retryAfterMs and Retry-After when a retry can help',
};

/** The error body of every failed request (`{ code, message, details? }`), from the protocol's error frame. */
function errorBodySchema(): JsonSchema {
  const frame = zodToJsonSchema(errorFrameSchema, 'output', 'draft-2020-12');
  const { $schema: _dialect, ...schema } = frame;
  const properties = { ...(schema['properties'] as Record<string, unknown>) };
  delete properties['type'];
  delete properties['id'];
  return { ...schema, properties, required: ['code', 'message'] };
}

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** The body a route takes: the request data's schema less the fields the URL gives. */
function bodySchema(operation: RestOperation): JsonSchema | undefined {
  if (operation.requestType === undefined) return undefined;
  const data = withoutDialect(zodToJsonSchema(REQUESTS[operation.requestType].data, 'input'));
  const properties = { ...(data['properties'] as Record<string, unknown>) };
  for (const field of operation.fromUrl ?? []) delete properties[field];
  const required = ((data['required'] as string[] | undefined) ?? []).filter((f) => !operation.fromUrl?.includes(f));
  return { ...data, properties, ...(required.length > 0 ? { required } : {}) };
}

function successSchema(operation: RestOperation): JsonSchema {
  const { body } = operation.success;
  if (typeof body !== 'string') return body;
  // `GET /api/workspaces/{id}` answers `{ workspace }`, the shape of an update's ack.
  return withoutDialect(zodToJsonSchema(REQUESTS[body].ack, 'output'));
}

function parameters(operation: RestOperation): JsonSchema[] {
  const result: JsonSchema[] = [];
  for (const [, name] of operation.path.matchAll(/\{(\w+)\}/g)) {
    result.push({ name, in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } });
  }
  // Only the workspace delete takes a version; cancelling a video job takes none.
  if (operation.method === 'delete' && operation.path === '/api/workspaces/{id}') {
    result.push({ name: 'expectedVersion', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } });
  }
  if (operation.api && operation.method !== 'get' && operation.idempotencyKey !== false) {
    result.push({
      name: IDEMPOTENCY_HEADER,
      in: 'header',
      required: false,
      description: 'Makes the write idempotent: the same key and body apply once, and a repeat gets the first answer',
      schema: { type: 'string', minLength: 1, maxLength: 64 },
    });
  }
  return result;
}

function responses(operation: RestOperation): Record<string, unknown> {
  const { status: code, contentType = 'application/json' } = operation.success;
  const result: Record<string, unknown> = {
    [code]: { description: REASONS[code] ?? 'OK', content: { [contentType]: { schema: successSchema(operation) } } },
  };
  for (const error of operation.errors) {
    const schema =
      operation.path === '/ready' && error === 503 ? status(['unavailable']) : { $ref: '#/components/schemas/Error' };
    const response: Record<string, unknown> = {
      description: REASONS[error] ?? 'Error',
      content: { 'application/json': { schema } },
    };
    if (error === 429) {
      response['headers'] = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } };
    }
    // The error handler sets Retry-After on any UNAVAILABLE that carries retryAfterMs: only prompt.enhance's do.
    if (error === 503 && operation.requestType === 'prompt.enhance') {
      response['headers'] = {
        'Retry-After': { description: 'Seconds to wait, when a retry can help', schema: { type: 'integer' } },
      };
    }
    result[error] = response;
  }
  return result;
}

/** The REST API as an OpenAPI 3.1 document, with bodies and replies from the protocol's zod schemas. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of REST_OPERATIONS) {
    const item: Record<string, unknown> = { summary: operation.summary, operationId: operationId(operation) };
    const params = parameters(operation);
    if (params.length > 0) item['parameters'] = params;
    const body = bodySchema(operation);
    if (body !== undefined) {
      item['requestBody'] = { required: true, content: { 'application/json': { schema: body } } };
    }
    item['responses'] = responses(operation);
    if (!operation.api) item['security'] = [];
    (paths[operation.path] ??= {})[operation.method] = item;
  }
  const id = withoutDialect(zodToJsonSchema(REQUESTS['workspace.list'].data, 'input'));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Workspace realtime REST API',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'Reads and writes over the same service and schemas as the WebSocket protocol (docs/protocol.md); REST writes reach live subscribers. Generated by `pnpm generate`.',
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: '`pnpm start` (PORT)' }],
    security: [{ bearer: [] }, {}],
    paths,
    components: {
      schemas: {
        Id: (id['properties'] as Record<string, unknown>)['projectId'],
        Error: errorBodySchema(),
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Required on /api when AUTH_MODE=jwt; the token names its subject and projects',
        },
      },
    },
    'x-error-codes': Object.fromEntries(
      (Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]).map((code) => [code, HTTP_STATUS[code]]),
    ),
  };
}

function operationId(operation: RestOperation): string {
  const words = operation.path
    .split('/')
    .filter((part) => part !== '' && part !== 'api')
    .map((part) => part.replace(/[{}]/g, ''));
  return [operation.method, ...words].map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}
