import { z } from 'zod';
import { idSchema } from '../workspace.js';

/** `unsubscribe`: stop receiving a project's events. */
export const unsubscribe = {
  type: 'unsubscribe',
  data: z.strictObject({ projectId: idSchema }),
  ack: z.strictObject({}),
  examples: {
    valid: [{ projectId: 'p1' }],
    invalid: [{}],
  },
} as const;
