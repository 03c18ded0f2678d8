import { z } from 'zod';
import { idSchema, jsonObjectSchema, nameSchema, workspaceSchema } from '../workspace.js';

/** `workspace.update`: renames and/or replaces `data`; `expectedVersion` makes it conditional. */
export const workspaceUpdate = {
  type: 'workspace.update',
  data: z.strictObject({
    id: idSchema,
    patch: z.strictObject({ name: nameSchema.optional(), data: jsonObjectSchema.optional() }),
    expectedVersion: z.number().int().positive().optional(),
  }),
  ack: z.strictObject({ workspace: workspaceSchema }),
  examples: {
    valid: [
      { id: 'w1', patch: { name: 'Renamed' }, expectedVersion: 1 },
      { id: 'w1', patch: { data: { prompt: 'x' } } },
    ],
    invalid: [{ id: 'w1' }, { id: 'w1', patch: { colour: 'red' } }, { id: 'w1', patch: {}, expectedVersion: 0 }],
  },
} as const;
