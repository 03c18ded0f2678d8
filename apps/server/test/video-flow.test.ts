import type { ServerEvent, Workspace } from '@app/client';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startVideoStack, statusesOf, type VideoStack } from './helpers/video-stack.js';

let stack: VideoStack;

beforeAll(async () => {
  stack = await startVideoStack(inject('mongodbUri'));
});

afterAll(async () => {
  await stack?.close();
});

/** Subscribes a new client to a project and keeps every event it is given, and the snapshot's workspaces. */
async function subscriber(projectId: string) {
  const client = stack.client();
  const events: ServerEvent[] = [];
  let snapshot: Workspace[] = [];
  await new Promise<void>((resolve, reject) => {
    client.subscribe(projectId, {
      onSnapshot: (workspaces) => {
        snapshot = workspaces;
        resolve();
      },
      onEvent: (event) => events.push(event),
      onError: reject,
    });
  });
  return { client, events, snapshot: () => snapshot };
}

const FINAL = ['succeeded', 'failed', 'cancelled'];

function finished(events: readonly ServerEvent[], jobId: string): boolean {
  return statusesOf(events, jobId).some((status) => FINAL.includes(status));
}

describe('video flow through the real server', () => {
  it('generate from a client: two subscribers see every status in order, the workspace shows the result, the file plays with a Range request', async () => {
    const projectId = 'video-flow';
    const a = await subscriber(projectId);
    const b = await subscriber(projectId);
    const { workspace } = await a.client.createWorkspace({ projectId, name: 'Fox' });

    const { job } = await a.client.generateVideo(
      { workspaceId: workspace.id, prompt: 'a red fox at dawn' },
      { id: 'gen-1' },
    );
    expect(job).toMatchObject({ workspaceId: workspace.id, status: 'queued' });
    // The acceptance is an event the other tab sees at once, not only the ack.
    await vi.waitFor(() => expect(statusesOf(b.events, job.id)[0]).toBe('queued'));
    // One active job per workspace; the same request id again answers with the same job.
    await expect(a.client.generateVideo({ workspaceId: workspace.id, prompt: 'another' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(
      (await a.client.generateVideo({ workspaceId: workspace.id, prompt: 'a red fox at dawn' }, { id: 'gen-1' })).job
        .id,
    ).toBe(job.id);

    await vi.waitFor(() => expect(finished(a.events, job.id) && finished(b.events, job.id)).toBe(true), {
      timeout: 15_000,
    });
    for (const { events } of [a, b]) {
      const statuses = statusesOf(events, job.id);
      expect(statuses[0]).toBe('queued');
      expect(statuses).toContain('running');
      expect(statuses.at(-1)).toBe('succeeded');
      expect(statuses.indexOf('running')).toBeGreaterThan(0);
      const seqs = events.map((event) => event.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y)); // in seq order, none twice
      const progress = events.flatMap((event) =>
        event.type === 'video.status_update' && event.data.status === 'running' ? [event.data.progress ?? 0] : [],
      );
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
    }
    // Both subscribers got the very same events.
    expect(b.events.filter((event) => event.type === 'video.status_update')).toEqual(
      a.events.filter((event) => event.type === 'video.status_update'),
    );
    const last = a.events.filter((event) => event.type === 'video.status_update').at(-1);
    const videoUrl = `/videos/${job.id}.mp4`;
    expect(last?.data).toEqual({
      workspaceId: workspace.id,
      jobId: job.id,
      status: 'succeeded',
      progress: 1,
      videoUrl,
    });
    expect(JSON.stringify(a.events)).not.toContain(stack.sim.url); // never the provider's expiring URL

    // The workspace's `video` is the latest status, in reads and in a new subscriber's snapshot.
    const listed = await a.client.listWorkspaces({ projectId });
    expect(listed.workspaces[0]?.video).toEqual({ jobId: job.id, status: 'succeeded', progress: 1, videoUrl });
    expect(listed.workspaces[0]?.version).toBe(1); // statuses are not edits
    const late = await subscriber(projectId);
    expect(late.snapshot()[0]?.video?.status).toBe('succeeded');

    const whole = await fetch(`${stack.httpUrl}${videoUrl}`);
    expect(whole.status).toBe(200);
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp'); // an MP4
    const part = await fetch(`${stack.httpUrl}${videoUrl}`, { headers: { Range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);

    const stats = await stack.stats();
    expect(stats.tasks.filter((task) => task.prompt === 'a red fox at dawn')).toHaveLength(1); // one provider task
  });

  it('cancel from a client reaches the provider, and every subscriber sees the job cancelled', async () => {
    const projectId = 'video-cancel';
    const a = await subscriber(projectId);
    const b = await subscriber(projectId);
    const { workspace } = await a.client.createWorkspace({ projectId, name: 'Slow' });
    const prompt = 'a slow river [sim:slow]';
    const { job } = await a.client.generateVideo({ workspaceId: workspace.id, prompt });
    // Once the provider has the task (its id stored), the cancel must go to the provider.
    await vi.waitFor(async () => expect((await stack.video.videos.jobs.get(job.id))?.taskId).toBeDefined(), {
      timeout: 10_000,
    });
    const cancelled = await b.client.cancelVideo({ workspaceId: workspace.id }, { id: 'cancel-1' });
    expect(cancelled.job.id).toBe(job.id);
    await vi.waitFor(() => expect(statusesOf(a.events, job.id).at(-1)).toBe('cancelled'), { timeout: 10_000 });
    await vi.waitFor(() => expect(statusesOf(b.events, job.id).at(-1)).toBe('cancelled'));
    const task = (await stack.stats()).tasks.find((candidate) => candidate.prompt === prompt);
    expect(task?.status).toBe('CANCELLED');
    // Cancelling again (a retry, or another tab) answers with the cancelled job; the workspace is free again.
    expect((await a.client.cancelVideo({ workspaceId: workspace.id })).job).toMatchObject({
      id: job.id,
      status: 'cancelled',
    });
    const next = await a.client.generateVideo({ workspaceId: workspace.id, prompt: 'again' });
    expect(next.job.id).not.toBe(job.id);
    await vi.waitFor(() => expect(finished(a.events, next.job.id)).toBe(true), { timeout: 15_000 });
  });

  it('a subscriber that loses its connection mid-job resumes with every status once, in order', async () => {
    const projectId = 'video-resume';
    const a = await subscriber(projectId);
    const { workspace } = await a.client.createWorkspace({ projectId, name: 'Resume' });
    const { job } = await a.client.generateVideo({ workspaceId: workspace.id, prompt: 'resume me' });
    await vi.waitFor(() => expect(statusesOf(a.events, job.id)).toContain('running'), { timeout: 10_000 });
    for (const connection of stack.ws.connections) connection.socket.terminate(); // every connection drops at once
    await vi.waitFor(() => expect(finished(a.events, job.id)).toBe(true), { timeout: 15_000 });
    const seqs = a.events.map((event) => event.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i)); // no gap, none twice
    const stored = await stack.core.service.eventsBetween(projectId, 0);
    expect(statusesOf(a.events, job.id)).toEqual(statusesOf(stored, job.id));
    expect(statusesOf(stored, job.id).at(-1)).toBe('succeeded');
  });

  it('REST: POST starts a job (idempotent by Idempotency-Key), DELETE cancels it; bad input gets typed errors', async () => {
    const projectId = 'video-rest';
    const a = await subscriber(projectId);
    const { workspace } = await a.client.createWorkspace({ projectId, name: 'Rest' });
    const url = `${stack.httpUrl}/api/workspaces/${workspace.id}/video`;
    const post = (body: unknown, key?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'Idempotency-Key': key }) },
        body: JSON.stringify(body),
      });
    const first = await post({ prompt: 'rest fox [sim:slow]' }, 'rest-1');
    expect(first.status).toBe(202);
    const { job } = (await first.json()) as { job: { id: string; status: string } };
    expect(job.status).toBe('queued');
    const again = await post({ prompt: 'rest fox [sim:slow]' }, 'rest-1');
    expect(again.status).toBe(202);
    expect(((await again.json()) as { job: { id: string } }).job.id).toBe(job.id);
    const busy = await post({ prompt: 'other' });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { code: string }).code).toBe('CONFLICT');
    const bad = await post({ prompt: 'x', duration: 0 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_MESSAGE');
    const unknown = await fetch(`${stack.httpUrl}/api/workspaces/nope/video`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);

    const cancelled = await fetch(url, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { job: { id: string } }).job.id).toBe(job.id);
    await vi.waitFor(() => expect(statusesOf(a.events, job.id).at(-1)).toBe('cancelled'), { timeout: 10_000 });
    // The server is healthy after all of it.
    expect((await fetch(`${stack.httpUrl}/health`)).status).toBe(200);
  });
});
