import { z } from 'zod';
import { idSchema, jsonObjectSchema, nameSchema, workspaceSchema } from '../workspace.js';

/** `workspace.create`: adds a workspace to a project, at `position` (default: the end). */
export const workspaceCreate = {
  type: 'workspace.create',
  data: z.strictObject({
    projectId: idSchema,
    name: nameSchema,
    data: jsonObjectSchema.optional(),
    position: z.number().int().nonnegative().optional(),
  }),
  ack: z.strictObject({ workspace: workspaceSchema }),
  examples: {
    valid: [
      { projectId: 'p1', name: 'Intro shot', data: { prompt: 'a red fox at dawn' } },
      { projectId: 'p1', name: 'B', position: 0 },
    ],
    invalid: [
      { projectId: 'p1' },
      { projectId: { $ne: null }, name: 'x' },
      { projectId: 'p1', name: 'x', data: { $set: 1 } },
    ],
  },
} as const;
