import { z } from 'zod';

/** `ping`: answered by a `pong` frame (not an `ack`) carrying the server time. */
export const ping = {
  type: 'ping',
  data: z.strictObject({}).optional(),
  ack: z.strictObject({ ts: z.string().datetime({ offset: true }) }),
  examples: {
    valid: [{}, undefined],
    invalid: [{ a: 1 }],
  },
} as const;
