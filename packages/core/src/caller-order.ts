import { ProtocolError } from '@app/protocol';
import type { ReadContext } from './caller-context.js';
import { workspaceNotFound } from './refusals.js';

/**
 * Resolves the project in the caller's turn (its `sequencer`), authorizes the caller for it, enqueues
 * `enqueue` on it, then lets the caller's next request in without waiting for this one to finish:
 * one caller's requests enter the per-project queues in the order they arrived.
 */
export async function inCallerOrder<T>(
  ctx: ReadContext,
  findProject: () => Promise<string> | string,
  enqueue: (projectId: string) => Promise<T>,
): Promise<T> {
  if (ctx.sequencer === undefined) {
    const projectId = await findProject();
    ctx.authorize?.(projectId);
    return enqueue(projectId);
  }
  const turn = ctx.sequencer.turn();
  let queued: Promise<T>;
  try {
    await turn.ready;
    const projectId = await findProject();
    ctx.authorize?.(projectId);
    queued = enqueue(projectId);
  } finally {
    turn.release();
  }
  return queued;
}

/**
 * For requests that name a workspace by id: a workspace in a project the caller may not use is
 * answered exactly as one that does not exist (NOT_FOUND), so its id tells the caller nothing.
 */
export function hidingOtherProjects<TContext extends ReadContext>(ctx: TContext, id: string): TContext {
  const { authorize } = ctx;
  if (authorize === undefined) return ctx;
  return {
    ...ctx,
    authorize(projectId: string) {
      try {
        authorize(projectId);
      } catch (error) {
        if (error instanceof ProtocolError && error.code === 'FORBIDDEN') throw workspaceNotFound(id);
        throw error;
      }
    },
  };
}
