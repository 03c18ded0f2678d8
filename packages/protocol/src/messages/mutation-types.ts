/** Request types that change stored data: idempotent by request id, resent by the client after a drop. */
export const MUTATION_TYPES = [
  'workspace.create',
  'workspace.update',
  'workspace.delete',
  'workspace.reorder',
  'video.generate',
  'video.cancel',
] as const;
export type MutationType = (typeof MUTATION_TYPES)[number];
