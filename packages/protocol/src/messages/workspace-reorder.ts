import { z } from 'zod';
import { idSchema } from '../workspace.js';

/** `workspace.reorder`: sets the project's order; `order` must be a permutation of its workspace ids. */
export const workspaceReorder = {
  type: 'workspace.reorder',
  data: z.strictObject({ projectId: idSchema, order: z.array(idSchema).max(10_000) }),
  ack: z.strictObject({ order: z.array(idSchema) }),
  examples: {
    valid: [{ projectId: 'p1', order: ['w2', 'w1'] }],
    invalid: [{ projectId: 'p1' }, { projectId: 'p1', order: 'w1,w2' }],
  },
} as const;
