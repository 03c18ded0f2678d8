import { z } from 'zod';
import { idSchema, workspaceSchema } from '../workspace.js';

const seq = z.number().int().nonnegative();

/**
 * `subscribe`: start receiving a project's events. With `sinceSeq` the server first replays
 * the stored events after it; without, the ack carries a snapshot.
 */
export const subscribe = {
  type: 'subscribe',
  data: z.strictObject({ projectId: idSchema, sinceSeq: seq.optional(), epoch: z.string().min(1).max(64).optional() }),
  ack: z.union([
    z.strictObject({ epoch: z.string(), seq, replayed: seq }),
    z.strictObject({ epoch: z.string(), seq, snapshot: z.array(workspaceSchema) }),
    z.strictObject({ epoch: z.string(), seq, resync: z.literal(true) }),
  ]),
  examples: {
    valid: [{ projectId: 'p1' }, { projectId: 'p1', sinceSeq: 41, epoch: 'e-7f3a' }],
    invalid: [
      { projectId: 'p1', sinceSeq: -1 },
      { projectId: 'p1', sinceSeq: '3' },
    ],
  },
} as const;
