import { Router } from 'express';
import type { WorkspaceService } from '@app/core';
import type { JsonLimits } from '@app/protocol';
import { integerQuery, jsonObjectBody, mutationContext, parseData, parseId, readContext } from '../validation.js';

/**
 * REST over the workspace service, mounted under `/api`. Reads and writes take the same path as
 * WebSocket requests (same schemas, same service, same events), so REST writes reach live subscribers.
 */
export function workspacesRouter(service: WorkspaceService, dataLimits: JsonLimits): Router {
  const router = Router();

  router.get('/projects/:projectId/workspaces', async (req, res) => {
    const projectId = parseId('projectId', req.params.projectId);
    res.json(await service.list(projectId, readContext(res)));
  });

  router.post('/projects/:projectId/workspaces', async (req, res) => {
    const projectId = parseId('projectId', req.params.projectId);
    const input = parseData('workspace.create', jsonObjectBody(req), { projectId }, dataLimits);
    res.status(201).json(await service.create(input, mutationContext(req, res)));
  });

  router.put('/projects/:projectId/order', async (req, res) => {
    const projectId = parseId('projectId', req.params.projectId);
    const input = parseData('workspace.reorder', jsonObjectBody(req), { projectId });
    res.json(await service.reorder(input, mutationContext(req, res)));
  });

  router.get('/workspaces/:id', async (req, res) => {
    const id = parseId('id', req.params.id);
    res.json({ workspace: await service.get(id, readContext(res)) });
  });

  router.patch('/workspaces/:id', async (req, res) => {
    const id = parseId('id', req.params.id);
    const input = parseData('workspace.update', jsonObjectBody(req), { id }, dataLimits);
    res.json(await service.update(input, mutationContext(req, res)));
  });

  router.delete('/workspaces/:id', async (req, res) => {
    const id = parseId('id', req.params.id);
    const expectedVersion = integerQuery(req, 'expectedVersion');
    const input = parseData('workspace.delete', expectedVersion === undefined ? {} : { expectedVersion }, { id });
    res.json(await service.delete(input, mutationContext(req, res)));
  });

  return router;
}
