import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { RUNWAY_VERSION, scenarioOf, startProviderSim, type ProviderSim, type RunwaySimStats } from '../src/index.js';

let sim: ProviderSim;
const headers = {
  authorization: 'Bearer key_test',
  'x-runway-version': RUNWAY_VERSION,
  'content-type': 'application/json',
};

beforeAll(async () => {
  sim = await startProviderSim({ runway: { stepMs: 200, runningSteps: 2, retryAfterSec: 3 } });
});
afterAll(async () => {
  await sim.close();
});

async function create(promptText: string): Promise<Response> {
  return fetch(`${sim.runwayBaseUrl}/v1/text_to_video`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'gen4.5', promptText, ratio: '1280:720', duration: 5 }),
  });
}

async function task(id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${sim.runwayBaseUrl}/v1/tasks/${id}`, { headers })).json()) as Record<string, unknown>;
}

it('refuses calls without a bearer key (401) or without the version header (400), like Runway', async () => {
  const body = JSON.stringify({ model: 'gen4.5', promptText: 'x', ratio: '1280:720' });
  const noKey = await fetch(`${sim.runwayBaseUrl}/v1/text_to_video`, {
    method: 'POST',
    headers: { 'x-runway-version': RUNWAY_VERSION, 'content-type': 'application/json' },
    body,
  });
  expect(noKey.status).toBe(401);
  const noVersion = await fetch(`${sim.runwayBaseUrl}/v1/text_to_video`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body,
  });
  expect(noVersion.status).toBe(400);
  expect(await noVersion.json()).toEqual({ error: expect.stringContaining('X-Runway-Version') });
  const missing = await fetch(`${sim.runwayBaseUrl}/v1/image_to_video`, { method: 'POST', headers, body });
  expect(missing.status).toBe(400);
});

it('walks a task PENDING -> RUNNING (progress 0..1) -> SUCCEEDED with a playable MP4 it serves itself', async () => {
  const slow = await startProviderSim({ runway: { stepMs: 300, runningSteps: 2 } });
  try {
    const base = slow.runwayBaseUrl;
    const created = await fetch(`${base}/v1/text_to_video`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'gen4.5', promptText: 'a fox', ratio: '1280:720', duration: 5 }),
    });
    const { id } = (await created.json()) as { id: string };
    const seen: Record<string, unknown>[] = [];
    const final = await vi.waitFor(
      async () => {
        const current = (await (await fetch(`${base}/v1/tasks/${id}`, { headers })).json()) as Record<string, unknown>;
        seen.push(current);
        if (current['status'] !== 'SUCCEEDED') throw new Error('not yet');
        return current;
      },
      { timeout: 10_000, interval: 20 },
    );
    const order = ['PENDING', 'RUNNING', 'SUCCEEDED'];
    const ranks = seen.map((task) => order.indexOf(task['status'] as string));
    expect(ranks.every((rank) => rank >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks).toContain(0);
    expect(ranks).toContain(1);
    for (const task of seen.filter((t) => t['status'] === 'RUNNING')) {
      expect(task['progress']).toBeGreaterThanOrEqual(0);
      expect(task['progress']).toBeLessThan(1);
    }
    const [url] = final['output'] as string[];
    const video = await fetch(url!);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp'); // an MP4 box header
    expect(bytes.length).toBeLessThan(20_000);
  } finally {
    await slow.close();
  }
});

it('THROTTLED between PENDING and RUNNING; SAFETY fails with its code; DELETE cancels a running task', async () => {
  const throttled = (await (await create('many [sim:throttled]')).json()) as { id: string };
  await vi.waitFor(async () => expect((await task(throttled.id))['status']).toBe('THROTTLED'), { interval: 10 });
  const safety = (await (await create('bad [sim:safety]')).json()) as { id: string };
  await vi.waitFor(async () => expect((await task(safety.id))['status']).toBe('FAILED'), { interval: 10 });
  expect(await task(safety.id)).toMatchObject({ failureCode: 'SAFETY.INPUT.TEXT', failure: expect.any(String) });
  const slow = (await (await create('long [sim:slow]')).json()) as { id: string };
  const deleted = await fetch(`${sim.runwayBaseUrl}/v1/tasks/${slow.id}`, { method: 'DELETE', headers });
  expect(deleted.status).toBe(204);
  expect((await task(slow.id))['status']).toBe('CANCELLED');
});

it('429 with Retry-After and 502 on create for the first N creates of a prompt, then a task', async () => {
  const limited = await create('daily [sim:429x2]');
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('3');
  expect((await create('daily [sim:429x2]')).status).toBe(429);
  expect((await create('daily [sim:429x2]')).status).toBe(200);
  expect((await create('load [sim:500]')).status).toBe(502);
  expect((await create('load [sim:500]')).status).toBe(200);
  const stats = (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
  expect(stats.refusedCreates).toBeGreaterThanOrEqual(3);
});

it('a hung create is never answered until the client gives up', async () => {
  const aborted = await fetch(`${sim.runwayBaseUrl}/v1/text_to_video`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'gen4.5', promptText: 'x [sim:hang]', ratio: '1280:720' }),
    signal: AbortSignal.timeout(200),
  }).catch((error: unknown) => error);
  expect(aborted).toBeInstanceOf(Error);
  expect((aborted as Error).name).toBe('TimeoutError');
});

it('reads scenario markers', () => {
  expect(scenarioOf('plain')).toEqual({ scenario: 'ok', times: 1 });
  expect(scenarioOf('x [sim:429x3]')).toEqual({ scenario: '429', times: 3 });
  expect(scenarioOf('x [sim:hang-poll]')).toEqual({ scenario: 'hang-poll', times: 1 });
  expect(scenarioOf('x [sim:unknown]')).toEqual({ scenario: 'ok', times: 1 });
});
