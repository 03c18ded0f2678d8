import type { Handler } from './types.js';

// Thin on purpose: the rules, authorisation and ordering live in the service.

export const workspaceCreate: Handler<'workspace.create'> = (data, ctx) => ctx.service.create(data, ctx.mutation);

export const workspaceUpdate: Handler<'workspace.update'> = (data, ctx) => ctx.service.update(data, ctx.mutation);

export const workspaceDelete: Handler<'workspace.delete'> = (data, ctx) => ctx.service.delete(data, ctx.mutation);

export const workspaceReorder: Handler<'workspace.reorder'> = (data, ctx) => ctx.service.reorder(data, ctx.mutation);

export const workspaceList: Handler<'workspace.list'> = (data, ctx) => ctx.service.list(data.projectId, ctx.mutation);
