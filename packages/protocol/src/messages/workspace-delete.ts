import { z } from 'zod';
import { idSchema } from '../workspace.js';

/** `workspace.delete`: removes a workspace; later positions move up by one. */
export const workspaceDelete = {
  type: 'workspace.delete',
  data: z.strictObject({ id: idSchema, expectedVersion: z.number().int().positive().optional() }),
  ack: z.strictObject({ id: idSchema }),
  examples: {
    valid: [{ id: 'w1' }, { id: 'w1', expectedVersion: 3 }],
    invalid: [{}, { id: 42 }],
  },
} as const;
