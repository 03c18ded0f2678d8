import { PROTOCOL_VERSION } from '../constants.js';
import { REQUESTS, REQUEST_TYPES, type RequestType } from '../messages/index.js';
import { ComponentSchemas } from './component-schemas.js';
import type { JsonSchema } from './json-schema.js';
import { messageSchemas, type MessageSchema } from './message-schemas.js';
import { pascalName } from './schema-names.js';

/** Replies that may arrive in `page` frames before their ack (docs/protocol.md#2-envelopes). */
const PAGED_REPLIES: ReadonlySet<RequestType> = new Set<RequestType>(['workspace.list', 'subscribe']);

const CHANNEL = 'socket';
const channelRef = { $ref: `#/channels/${CHANNEL}` };
const messageRef = (name: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${name}` });

/** Where a request and its reply carry what links them (docs/protocol.md#2-envelopes). */
const correlationId = {
  description: 'The request id, echoed by its pages, ack or error',
  location: '$message.payload#/id',
};

/**
 * An AsyncAPI message: its payload a named schema (`WorkspaceCreate`, `VideoStatusUpdate`, ...) in
 * AsyncAPI's default schema format (a superset of JSON Schema draft 07).
 */
function asyncApiMessage(message: MessageSchema, schemas: ComponentSchemas): JsonSchema {
  const name = pascalName(message.name);
  const result: JsonSchema = { name, title: message.title, payload: schemas.add(name, message.schema, message.io) };
  if (message.kind !== 'event' && message.name !== 'hello') result['correlationId'] = correlationId;
  if (message.kind === 'request' && message.requestType !== undefined) {
    const valid = REQUESTS[message.requestType].examples.valid as readonly unknown[];
    result['examples'] = valid.map((data, i) => ({
      name: `example${i + 1}`,
      payload: data === undefined ? { type: message.name, id: 'r1' } : { type: message.name, id: 'r1', data },
    }));
  }
  return result;
}

/**
 * The WebSocket API as an AsyncAPI 3 document: one channel (the socket), an operation the server
 * receives per request type (with its reply, linked by the request `id`), and what the server sends on
 * its own (hello, events). Every payload and shared schema is a named component. Built from the zod
 * schemas, so a new request type, event or field appears here without an edit.
 */
export function asyncApiDocument(): JsonSchema {
  const messages = messageSchemas();
  const schemas = new ComponentSchemas('draft-7');
  const components: Record<string, JsonSchema> = {};
  for (const message of messages) components[message.name] = asyncApiMessage(message, schemas);
  const channelMessages: Record<string, unknown> = {};
  for (const message of messages) channelMessages[message.name] = { $ref: `#/components/messages/${message.name}` };

  const operations: Record<string, unknown> = {};
  for (const type of REQUEST_TYPES) {
    const reply = [messageRef(`${type}.reply`), messageRef('error')];
    if (PAGED_REPLIES.has(type)) reply.push(messageRef('page'));
    operations[type] = {
      action: 'receive',
      channel: channelRef,
      title: `${type} request`,
      messages: [messageRef(type)],
      reply: { channel: channelRef, messages: reply },
    };
  }
  operations['hello'] = {
    action: 'send',
    channel: channelRef,
    title: 'hello, the first frame on every connection',
    messages: [messageRef('hello')],
  };
  operations['events'] = {
    action: 'send',
    channel: channelRef,
    title: 'events of the subscribed projects, in seq order',
    messages: messages.filter((m) => m.kind === 'event').map((m) => messageRef(m.name)),
  };
  operations['errors'] = {
    action: 'send',
    channel: channelRef,
    title: 'errors that answer no request (a frame that could not be read)',
    messages: [messageRef('error')],
  };

  return {
    // 3.0.0, not the latest 3.1.0: the version AsyncAPI's model generator reads (docs/decisions/0013-asyncapi-version.md).
    asyncapi: '3.0.0',
    info: {
      title: 'Workspace realtime protocol',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'JSON text frames over one WebSocket. The contract in prose, with ordering and exactly-once rules: docs/protocol.md. Generated from @app/protocol by `pnpm generate`.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:3001',
        protocol: 'ws',
        pathname: '/',
        description: '`pnpm start` (WS_PORT); a token goes in `Authorization: Bearer` or `?access_token=`',
        security: [
          { $ref: '#/components/securitySchemes/bearer' },
          { $ref: '#/components/securitySchemes/accessToken' },
        ],
      },
    },
    channels: { [CHANNEL]: { address: '/', title: 'The WebSocket', messages: channelMessages } },
    operations,
    components: {
      schemas: schemas.schemas(),
      messages: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        accessToken: { type: 'httpApiKey', name: 'access_token', in: 'query' },
      },
    },
  };
}
