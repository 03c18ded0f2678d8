import { z } from 'zod';
import type { MessageSchema } from './message-schemas.js';

export type JsonSchema = Record<string, unknown>;
export type JsonSchemaTarget = 'draft-2020-12' | 'draft-7';

/**
 * The JSON Schema of one message with zod's own converter. What JSON Schema cannot say is left to the
 * server's zod checks (refinements such as "no NUL", and the limits of workspace `data`); `data`
 * itself, a zod custom type, is described as the JSON object it is.
 */
export function toJsonSchema(message: MessageSchema, target: JsonSchemaTarget = 'draft-2020-12'): JsonSchema {
  return { ...zodToJsonSchema(message.schema, message.io, target), title: message.title };
}

/**
 * zod's converter options the documents share. zod calls custom types unrepresentable; they are all
 * JSON objects with any keys here (`additionalProperties: true`, so generated clients accept any key).
 * With `metadata`, the schemas it names (`{ id }`) become definitions referenced by `$ref`.
 */
export function jsonSchemaOptions(
  io: 'input' | 'output',
  target: JsonSchemaTarget,
  metadata?: z.core.$ZodRegistry<{ id: string }>,
): z.core.ToJSONSchemaParams {
  return {
    target,
    io,
    unrepresentable: 'any',
    ...(metadata === undefined ? {} : { metadata }),
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === 'custom') {
        ctx.jsonSchema.type = 'object';
        ctx.jsonSchema.additionalProperties = true;
      }
    },
  };
}

/** Any zod schema of the protocol as JSON Schema (`io`: as sent, or as received after parsing). */
export function zodToJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  target: JsonSchemaTarget = 'draft-2020-12',
): JsonSchema {
  return z.toJSONSchema(schema, jsonSchemaOptions(io, target)) as JsonSchema;
}
