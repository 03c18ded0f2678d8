import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from '@asyncapi/parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { REQUESTS, REQUEST_TYPES, eventDataSchemas, isRequestType, type RequestType } from '../src/index.js';
import { SCHEMA_DIR, asyncApiDocument, protocolArtifactFiles } from '../src/artifacts/index.js';

const EVENT_TYPES = Object.keys(eventDataSchemas);
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const generated = protocolArtifactFiles();
const schemaFiles = [...generated.keys()].filter((path) => path.startsWith(`${SCHEMA_DIR}/`));
const docExamples = [...readFileSync(join(root, 'docs/protocol.md'), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1]!) as { type: string; [key: string]: unknown },
);

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validators = new Map(
  schemaFiles.map((path) => [
    path.slice(SCHEMA_DIR.length + 1, -'.json'.length),
    ajv.compile(JSON.parse(generated.get(path)!) as object),
  ]),
);

function validate(name: string, frame: unknown): string {
  const check = validators.get(name);
  if (check === undefined) return `no schema ${name}`;
  return check(frame) ? 'valid' : ajv.errorsText(check.errors);
}

describe('generated documents', () => {
  it.each([...generated.keys()])('%s is up to date (run pnpm generate)', (path) => {
    const onDisk = readFileSync(join(root, path), 'utf8');
    expect(onDisk === generated.get(path), `${path} differs from the schemas: run pnpm generate`).toBe(true);
  });

  it(`${SCHEMA_DIR} holds no schema of a message that no longer exists (run pnpm generate)`, () => {
    const onDisk = readdirSync(join(root, SCHEMA_DIR)).map((name) => `${SCHEMA_DIR}/${name}`);
    expect(onDisk.sort()).toEqual(schemaFiles.sort());
  });

  it('has a schema for every request, its reply and every event', () => {
    for (const type of REQUEST_TYPES) {
      expect(validators.has(type), type).toBe(true);
      expect(validators.has(`${type}.reply`), type).toBe(true);
    }
    for (const type of EVENT_TYPES) expect(validators.has(type), type).toBe(true);
  });
});

describe('JSON Schemas (ajv, draft 2020-12)', () => {
  it.each(docExamples.map((frame, i) => [i + 1, frame.type, frame] as const))(
    'docs/protocol.md example %i (%s) is valid',
    (_i, type, frame) => {
      if (type === 'ack') {
        expect(validate('ack', frame)).toBe('valid');
        const replies = REQUEST_TYPES.filter((t) => t !== 'ping').map((t) => validate(`${t}.reply`, frame));
        expect(replies, 'no request type has this ack').toContain('valid');
      } else if (type === 'pong') {
        expect(validate('pong', frame)).toBe('valid');
        expect(validate('ping.reply', frame)).toBe('valid');
      } else {
        expect(validate(type, frame)).toBe('valid');
      }
    },
  );

  it('takes every valid example of every request type as a frame', () => {
    for (const type of REQUEST_TYPES) {
      for (const data of REQUESTS[type].examples.valid as readonly unknown[]) {
        const frame = data === undefined ? { type, id: 'r1' } : { type, id: 'r1', data };
        expect(validate(type, frame), JSON.stringify(frame)).toBe('valid');
      }
    }
  });

  it('refuses frames with an unknown key, a wrong type or a missing field', () => {
    for (const type of REQUEST_TYPES) {
      const data = (REQUESTS[type].examples.valid as readonly unknown[])[0];
      expect(validate(type, { type, id: 'r1', data, extra: 1 })).not.toBe('valid');
      expect(validate(type, { type: 'other', id: 'r1', data })).not.toBe('valid');
      expect(validate(type, { type, id: '', data })).not.toBe('valid');
    }
    expect(validate('workspace.create', { type: 'workspace.create', data: { projectId: 'p1' } })).not.toBe('valid');
    expect(
      validate('hello', { type: 'hello', data: { protocol: 2, sessionId: 's', heartbeatMs: 1, maxMessageBytes: 1 } }),
    ).not.toBe('valid');
    expect(validate('error', { type: 'error', code: 'NOPE', message: 'x' })).not.toBe('valid');
    expect(
      validate('workspace.deleted', { type: 'workspace.deleted', projectId: 'p', seq: 0, data: { id: 'w' } }),
    ).not.toBe('valid');
  });
});

describe('AsyncAPI document (official parser)', () => {
  // CPU-bound, no race: the parser runs its Spectral rules over every resolved $ref (3-5 s on a loaded
  // 2-core machine, 7.9 s seen at load average 19), past vitest's default 5 s.
  it('parses without errors or warnings, with an operation per request type and its reply', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(join(root, 'docs/asyncapi.json'), 'utf8'));
    const problems = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const operations = new Map(
      document!
        .operations()
        .all()
        .map((op) => [op.id(), op]),
    );
    for (const type of REQUEST_TYPES) {
      const operation = operations.get(type);
      expect(operation?.action(), type).toBe('receive');
      const replies = operation
        ?.reply()
        ?.messages()
        .all()
        .map((m) => m.id());
      expect(replies, type).toContain(`${type}.reply`);
      expect(replies, type).toContain('error');
    }
    const events = operations
      .get('events')
      ?.messages()
      .all()
      .map((m) => m.id());
    expect(events?.sort()).toEqual([...EVENT_TYPES].sort());
  }, 30_000);

  it('has message examples (the request examples) that are valid frames', () => {
    const messages = (
      asyncApiDocument()['components'] as { messages: Record<string, { examples?: { payload: unknown }[] }> }
    ).messages;
    let count = 0;
    for (const [name, message] of Object.entries(messages)) {
      for (const example of message.examples ?? []) {
        expect(isRequestType(name)).toBe(true);
        expect(validate(name as RequestType, example.payload)).toBe('valid');
        count += 1;
      }
    }
    expect(count).toBeGreaterThanOrEqual(REQUEST_TYPES.length);
  });
});

/** Paths of the object, enum and union schemas nested inline (not a `$ref` to a named component). */
function anonymousParts(schema: unknown, path: string, root = true): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  if (Array.isArray(schema)) return schema.flatMap((item, i) => anonymousParts(item, `${path}/${i}`, false));
  const node = schema as Record<string, unknown>;
  const named =
    node['properties'] !== undefined ||
    node['anyOf'] !== undefined ||
    node['oneOf'] !== undefined ||
    (Array.isArray(node['enum']) && node['enum'].length > 1);
  const here = !root && named ? [path] : [];
  return [
    ...here,
    ...Object.entries(node).flatMap(([key, inner]) =>
      key === 'properties' && typeof inner === 'object' && inner !== null
        ? Object.entries(inner).flatMap(([name, p]) => anonymousParts(p, `${path}/properties/${name}`, false))
        : anonymousParts(inner, `${path}/${key}`, false),
    ),
  ];
}

describe('AsyncAPI document: names a model generator can use', () => {
  const document = asyncApiDocument() as {
    components: { schemas: Record<string, Record<string, unknown>>; messages: Record<string, { payload: unknown }> };
  };

  it('gives every message payload the protocol name of its message (WorkspaceCreate, VideoStatusUpdate, ...)', () => {
    const expected = (name: string) =>
      name
        .split(/[._]/)
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join('');
    for (const [name, message] of Object.entries(document.components.messages)) {
      const schemaName = name === 'error' ? 'ErrorFrame' : expected(name);
      expect(message.payload, name).toEqual({ $ref: `#/components/schemas/${schemaName}` });
      expect(document.components.schemas[schemaName]?.['title'], name).toBe(schemaName);
    }
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        'WorkspaceCreate',
        'Workspace',
        'VideoStatusUpdate',
        'Video',
        'VideoStatus',
        'JsonObject',
      ]),
    );
  });

  it('nests no object, enum or union without a name', () => {
    const anonymous = Object.entries(document.components.schemas).flatMap(([name, schema]) =>
      anonymousParts(schema, name),
    );
    expect(anonymous).toEqual([]);
  });

  it('types free-form JSON objects (workspace data) as taking any key', () => {
    expect(document.components.schemas['JsonObject']).toMatchObject({ type: 'object', additionalProperties: true });
    const workspace = document.components.schemas['Workspace']!['properties'] as Record<string, unknown>;
    expect(workspace['data']).toMatchObject({ type: 'object', additionalProperties: true });
  });

  it('links each request to its reply by the request id', () => {
    const messages = asyncApiDocument()['components'] as { messages: Record<string, { correlationId?: unknown }> };
    for (const type of REQUEST_TYPES) {
      expect(messages.messages[type]?.correlationId, type).toMatchObject({ location: '$message.payload#/id' });
      expect(messages.messages[`${type}.reply`]?.correlationId, type).toMatchObject({
        location: '$message.payload#/id',
      });
    }
  });
});
