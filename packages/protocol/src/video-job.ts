import { z } from 'zod';
import { idSchema, videoErrorSchema, videoStatusSchema } from './workspace.js';

/** A video job as acks carry it (`video.generate`, `video.cancel`). */
export const videoJobSchema = z.strictObject({
  id: z.string().min(1).max(64),
  workspaceId: idSchema,
  status: videoStatusSchema,
  progress: z.number().min(0).max(1).optional(),
  videoUrl: z.string().optional(),
  error: videoErrorSchema.optional(),
  createdAt: z.string().datetime({ offset: true }),
  /** The most the job can cost, in provider credits (the catalogue's price; Runway's own once the task exists). */
  estimatedCost: z.number().nonnegative().optional(),
  /** What the provider charged, in credits, once the job ended (0 when fully refunded). */
  cost: z.number().nonnegative().optional(),
});
export type VideoJobInfo = z.infer<typeof videoJobSchema>;
