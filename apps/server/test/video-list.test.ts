import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import { startVideoStack, type VideoStack } from './helpers/video-stack.js';

// A workspace's earlier videos stay listed (video.list over WebSocket, GET /api/workspaces/:id/videos)
// until retention removes them; a request the model catalogue forbids never becomes one of them.
let stack: VideoStack;
beforeAll(async () => {
  stack = await startVideoStack(inject('mongodbUri'));
});
afterAll(async () => {
  await stack?.close();
});

it('lists the workspace jobs newest first over WebSocket and REST alike, with cost; refused requests are not jobs', async () => {
  const client = stack.client();
  const { workspace } = await client.createWorkspace({ projectId: 'video-list', name: 'History' });
  const refused = await client
    .generateVideo({ workspaceId: workspace.id, prompt: 'fox', model: 'veo3.1', duration: 5 })
    .catch((error: unknown) => error);
  expect(refused).toMatchObject({ code: 'INVALID_MESSAGE', message: 'veo3.1 takes duration 4, 6, 8 seconds' });
  const restRefused = await fetch(`${stack.httpUrl}/api/workspaces/${workspace.id}/video`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'fox', model: 'gen4.5', ratio: '1920:1080' }),
  });
  expect(restRefused.status).toBe(400);
  expect(await restRefused.json()).toMatchObject({
    code: 'INVALID_MESSAGE',
    details: { issues: [{ path: ['ratio'], allowed: ['1280:720', '720:1280'] }] },
  });

  const ids: string[] = [];
  for (const prompt of ['first fox', 'second fox']) {
    const { job } = await client.generateVideo({ workspaceId: workspace.id, prompt, duration: 2 });
    ids.push(job.id);
    await vi.waitFor(async () => expect((await stack.core.service.get(workspace.id)).video?.status).toBe('succeeded'), {
      timeout: 15_000,
    });
  }
  const { jobs } = await client.listVideos({ workspaceId: workspace.id });
  expect(jobs.map((job) => job.id)).toEqual([...ids].reverse());
  expect(jobs[0]).toMatchObject({ status: 'succeeded', videoUrl: `/videos/${ids[1]}.mp4`, cost: 24 });
  const rest = await fetch(`${stack.httpUrl}/api/workspaces/${workspace.id}/videos`);
  expect(rest.status).toBe(200);
  expect(await rest.json()).toEqual({ jobs });
  const unknown = await fetch(`${stack.httpUrl}/api/workspaces/nope/videos`);
  expect(unknown.status).toBe(404);
});
