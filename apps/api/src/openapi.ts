import { ERROR_CODES, PROTOCOL_VERSION, REQUESTS, errorFrameSchema, idSchema, type RequestType } from '@app/protocol';
import { ComponentSchemas, pascalName, zodToJsonSchema, type JsonSchema } from '@app/protocol/artifacts';
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
  /**
   * The success status and what it carries: a request type's ack data (the component `<Type>Result`,
   * or `name`), or a fixed schema (a component when `name` is given).
   */
  success: { status: number; body: RequestType | JsonSchema; name?: string; contentType?: string };
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
    success: { status: 200, body: status(['ok']), name: 'Health' },
    errors: [],
    api: false,
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'Readiness: 200 while the database answers a ping, else 503 (take this node out of rotation)',
    success: { status: 200, body: status(['ready']), name: 'Ready' },
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
    success: { status: 200, body: 'workspace.update', name: 'WorkspaceResult' },
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
    method: 'get',
    path: '/api/workspaces/{id}/videos',
    summary:
      "The workspace's video jobs, newest first (as `video.list`); finished ones until VIDEO_RETENTION_DAYS removes them",
    requestType: 'video.list',
    fromUrl: ['workspaceId'],
    success: { status: 200, body: 'video.list' },
    errors: [...READ_ERRORS, 404].sort(),
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
    success: { status: 200, body: link('ticket'), name: 'WsTicket' },
    errors: [401, 429, 500, 503],
    api: true,
    idempotencyKey: false,
  },
  {
    method: 'get',
    path: '/api/videos/{jobId}/url',
    summary:
      'A signed link to the finished video of a job (`/videos/<jobId>.mp4?expires=…&signature=…`) that plays without a token until it expires (VIDEO_URL_TTL_MS)',
    success: { status: 200, body: link('url'), name: 'SignedVideoUrl' },
    errors: [400, 401, 404, 429, 500, 503],
    api: true,
  },
];

/** Each error status once, as a named response (`components.responses`) the operations reference. */
const ERROR_RESPONSES: Readonly<Record<number, { name: string; description: string }>> = {
  400: { name: 'BadRequest', description: 'INVALID_JSON, INVALID_MESSAGE (details.issues name each problem)' },
  401: { name: 'Unauthorized', description: 'UNAUTHORIZED: missing, invalid or expired token' },
  403: { name: 'Forbidden', description: 'FORBIDDEN: the token does not grant this project' },
  404: { name: 'NotFound', description: 'NOT_FOUND' },
  409: {
    name: 'Conflict',
    description:
      'CONFLICT: expectedVersion is stale, the order is not a permutation, or the workspace already has a video job in progress',
  },
  413: { name: 'PayloadTooLarge', description: 'INVALID_MESSAGE: the body is larger than MAX_MESSAGE_BYTES' },
  415: { name: 'UnsupportedMediaType', description: 'INVALID_MESSAGE: unsupported content encoding or charset' },
  429: { name: 'RateLimited', description: 'RATE_LIMITED: details.retryAfterMs, and Retry-After in seconds' },
  500: { name: 'Internal', description: 'INTERNAL' },
  502: {
    name: 'ProviderError',
    description: "PROVIDER_ERROR: the language model's answer could not be used (prompt.enhance)",
  },
  503: { name: 'Unavailable', description: 'UNAVAILABLE: the database is unreachable or the server is stopping' },
};

/** `prompt.enhance`'s 503: the error handler sets Retry-After on any UNAVAILABLE that carries retryAfterMs, and only its do. */
const UNAVAILABLE_RETRY = {
  name: 'UnavailableRetry',
  description:
    'UNAVAILABLE: the database is unreachable, the server is stopping, or the language model is down, slow, rate-limited or not configured; details.retryAfterMs and Retry-After when a retry can help',
};

const SUCCESS_REASONS: Readonly<Record<number, string>> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };

/** The error body of every failed request (`{ code, message, details? }`): the protocol's error frame less `type` and `id`. */
const errorBody = errorFrameSchema.omit({ type: true, id: true });

/** The body a route takes: the request data's schema less the fields the URL gives (none on GET and DELETE). */
function bodySchema(operation: RestOperation, schemas: ComponentSchemas): JsonSchema | undefined {
  if (operation.requestType === undefined || operation.method === 'get' || operation.method === 'delete') {
    return undefined;
  }
  const data = withoutUrlFields(operation, schemas);
  return schemas.addJson(`${pascalName(operation.requestType)}Body`, data);
}

/** The request data's JSON Schema less the fields the URL gives. */
function withoutUrlFields(operation: RestOperation, schemas: ComponentSchemas): JsonSchema {
  const data = schemas.json(REQUESTS[operation.requestType!].data, 'input');
  const properties = { ...(data['properties'] as Record<string, unknown>) };
  for (const field of operation.fromUrl ?? []) delete properties[field];
  const required = ((data['required'] as string[] | undefined) ?? []).filter((f) => !operation.fromUrl?.includes(f));
  const { required: _all, ...rest } = data;
  return { ...rest, properties, ...(required.length > 0 ? { required } : {}) };
}

function successSchema(operation: RestOperation, schemas: ComponentSchemas): JsonSchema {
  const { body, name } = operation.success;
  if (typeof body !== 'string') return name === undefined ? body : schemas.addJson(name, body);
  return schemas.add(name ?? `${pascalName(body)}Result`, REQUESTS[body].ack, 'output');
}

function parameters(operation: RestOperation, schemas: ComponentSchemas): JsonSchema[] {
  const result: JsonSchema[] = [];
  for (const [, name] of operation.path.matchAll(/\{(\w+)\}/g)) {
    result.push({ name, in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } });
  }
  // A GET or DELETE that takes request data takes what the URL path does not give in the query.
  if (operation.requestType !== undefined && (operation.method === 'get' || operation.method === 'delete')) {
    const data = withoutUrlFields(operation, schemas);
    const required = new Set((data['required'] as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries(data['properties'] as Record<string, JsonSchema>)) {
      result.push({ name, in: 'query', required: required.has(name), schema });
    }
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

function responses(operation: RestOperation, schemas: ComponentSchemas): Record<string, unknown> {
  const { status: code, contentType = 'application/json' } = operation.success;
  const result: Record<string, unknown> = {
    [code]: {
      description: SUCCESS_REASONS[code] ?? 'OK',
      content: { [contentType]: { schema: successSchema(operation, schemas) } },
    },
  };
  for (const error of operation.errors) {
    if (operation.path === '/ready' && error === 503) {
      const schema = schemas.addJson('NotReady', status(['unavailable']));
      result[error] = { description: 'Not ready', content: { 'application/json': { schema } } };
    } else if (error === 503 && operation.requestType === 'prompt.enhance') {
      result[error] = { $ref: `#/components/responses/${UNAVAILABLE_RETRY.name}` };
    } else {
      result[error] = { $ref: `#/components/responses/${errorResponse(error).name}` };
    }
  }
  return result;
}

function errorResponse(status: number): { name: string; description: string } {
  const response = ERROR_RESPONSES[status];
  if (response === undefined) throw new Error(`No error response is described for status ${status}`);
  return response;
}

/** `components.responses`: every error status an operation lists, each an `Error` body. */
function errorResponses(): Record<string, unknown> {
  const body = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  const retryAfter = (description: string) => ({ 'Retry-After': { description, schema: { type: 'integer' } } });
  const used = [...new Set(REST_OPERATIONS.flatMap((op) => op.errors))].sort();
  const result: Record<string, unknown> = {};
  for (const status of used) {
    if (status === 503 && REST_OPERATIONS.every((op) => !op.errors.includes(503) || op.path === '/ready')) continue;
    const { name, description } = errorResponse(status);
    result[name] = {
      description,
      content: body,
      ...(status === 429 ? { headers: retryAfter('Seconds to wait') } : {}),
    };
  }
  if (REST_OPERATIONS.some((op) => op.requestType === 'prompt.enhance' && op.errors.includes(503))) {
    result[UNAVAILABLE_RETRY.name] = {
      description: UNAVAILABLE_RETRY.description,
      content: body,
      headers: retryAfter('Seconds to wait, when a retry can help'),
    };
  }
  return result;
}

/** The error codes, with the HTTP status each answers with. */
function errorCodeDescription(): string {
  const codes = (Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]).map(
    (code) => `${code} (${HTTP_STATUS[code]})`,
  );
  return `The error codes of docs/protocol.md#6-errors, each with the HTTP status it answers with: ${codes.join(', ')}`;
}

/** The REST API as an OpenAPI 3.1 document, with bodies and replies from the protocol's zod schemas. */
export function openApiDocument(): JsonSchema {
  const schemas = new ComponentSchemas('draft-2020-12');
  const { $schema: _dialect, ...id } = zodToJsonSchema(idSchema, 'input');
  schemas.addJson('Id', id);
  schemas.add('Error', errorBody, 'output');
  schemas.annotate('ErrorCode', { description: errorCodeDescription() });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of REST_OPERATIONS) {
    const item: Record<string, unknown> = { summary: operation.summary, operationId: operationId(operation) };
    const params = parameters(operation, schemas);
    if (params.length > 0) item['parameters'] = params;
    const body = bodySchema(operation, schemas);
    if (body !== undefined) {
      item['requestBody'] = { required: true, content: { 'application/json': { schema: body } } };
    }
    item['responses'] = responses(operation, schemas);
    if (!operation.api) item['security'] = [];
    (paths[operation.path] ??= {})[operation.method] = item;
  }
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
      schemas: schemas.schemas(),
      responses: errorResponses(),
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
