import { z } from 'zod';
import { idSchema, workspaceSchema } from '../workspace.js';

/** `workspace.list`: the project's workspaces in order, and the seq they reflect. */
export const workspaceList = {
  type: 'workspace.list',
  data: z.strictObject({ projectId: idSchema }),
  ack: z.strictObject({ workspaces: z.array(workspaceSchema), seq: z.number().int().nonnegative() }),
  examples: {
    valid: [{ projectId: 'p1' }],
    invalid: [{ projectId: '' }, { projectId: 'p1', extra: true }],
  },
} as const;
