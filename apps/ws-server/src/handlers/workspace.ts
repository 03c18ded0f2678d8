import type { Handler } from './types.js';

export const workspaceCreate: Handler<'workspace.create'> = (data, ctx) => ctx.core.service.create(data, ctx.mutation);

export const workspaceUpdate: Handler<'workspace.update'> = (data, ctx) => ctx.core.service.update(data, ctx.mutation);

export const workspaceDelete: Handler<'workspace.delete'> = (data, ctx) => ctx.core.service.delete(data, ctx.mutation);

export const workspaceReorder: Handler<'workspace.reorder'> = (data, ctx) =>
  ctx.core.service.reorder(data, ctx.mutation);

export const workspaceList: Handler<'workspace.list'> = (data, ctx) =>
  ctx.core.service.list(data.projectId, ctx.mutation);
