import { VIDEO_MODELS, checkVideoRequest, type VideoModelId } from '@app/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RUNWAY_VERSION, startProviderSim, type ProviderSim, type RunwaySimStats } from '../src/index.js';

// The simulator answers 400 like Runway for everything the model catalogue forbids, so a request the
// server would let through to a real Runway and see refused fails in tests too.
let sim: ProviderSim;
const headers = {
  authorization: 'Bearer key_test',
  'x-runway-version': RUNWAY_VERSION,
  'content-type': 'application/json',
};
const IMAGE = 'data:image/png;base64,iVBORw0KGgo=';

beforeAll(async () => {
  sim = await startProviderSim({ runway: { stepMs: 50, runningSteps: 1 } });
});
afterAll(async () => {
  await sim.close();
});

async function create(path: 'text_to_video' | 'image_to_video', body: Record<string, unknown>) {
  const response = await fetch(`${sim.runwayBaseUrl}/v1/${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Runway simulator: 400 for what the model catalogue forbids', () => {
  it.each([
    [
      'an unknown model',
      'text_to_video',
      { model: 'gen3a_turbo', promptText: 'fox', ratio: '1280:768', duration: 5 },
      'model',
    ],
    [
      'gen4_turbo without an image',
      'text_to_video',
      { model: 'gen4_turbo', promptText: 'fox', ratio: '1280:720' },
      'model',
    ],
    [
      'a ratio of another model',
      'text_to_video',
      { model: 'gen4.5', promptText: 'fox', ratio: '1920:1080', duration: 5 },
      'ratio',
    ],
    ['no ratio', 'text_to_video', { model: 'gen4.5', promptText: 'fox', duration: 5 }, 'ratio'],
    [
      '5 s for Veo',
      'text_to_video',
      { model: 'veo3.1', promptText: 'fox', ratio: '1280:720', duration: 5 },
      'duration',
    ],
    [
      '11 s for gen4.5',
      'text_to_video',
      { model: 'gen4.5', promptText: 'fox', ratio: '1280:720', duration: 11 },
      'duration',
    ],
    ['text to video without promptText', 'text_to_video', { model: 'veo3.1_fast', ratio: '1280:720' }, 'promptText'],
    [
      'an empty promptText',
      'text_to_video',
      { model: 'gen4.5', promptText: '', ratio: '1280:720', duration: 5 },
      'promptText',
    ],
    [
      '1,001 characters',
      'text_to_video',
      { model: 'gen4.5', promptText: 'x'.repeat(1001), ratio: '1280:720', duration: 5 },
      'promptText',
    ],
    [
      'gen4.5 image to video without promptText',
      'image_to_video',
      { model: 'gen4.5', promptImage: IMAGE, ratio: '960:960', duration: 5 },
      'promptText',
    ],
    ['image to video without the image', 'image_to_video', { model: 'gen4_turbo', ratio: '960:960' }, 'promptImage'],
  ] as const)('%s', async (_name, path, body, field) => {
    const before = (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
    const answer = await create(path, body);
    expect(answer.status).toBe(400);
    expect(String(answer.body['error'])).toMatch(new RegExp(`^${field}: `));
    const after = (await (await fetch(`${sim.runwayBaseUrl}/_sim/stats`)).json()) as RunwaySimStats;
    expect(after.creates).toBe(before.creates);
    expect(after.invalidCreates).toBe(before.invalidCreates + 1);
  });

  it('takes every request the catalogue takes, with the defaults the server fills, and answers estimatedCost', async () => {
    for (const id of Object.keys(VIDEO_MODELS) as VideoModelId[]) {
      for (const promptImage of [undefined, IMAGE]) {
        const checked = checkVideoRequest({ model: id, prompt: 'a fox', promptImage });
        if (!checked.ok) continue; // gen4_turbo has no text to video
        const { model, ratio, duration } = checked.request;
        const path = promptImage === undefined ? 'text_to_video' : 'image_to_video';
        const answer = await create(path, { model, ratio, duration, promptText: 'a fox', promptImage });
        expect(answer.status, `${id} ${path}`).toBe(200);
        expect(answer.body['estimatedCost']).toEqual({ credits: VIDEO_MODELS[id].creditsPerSecond * duration });
      }
    }
  });

  it('a task carries estimatedCost while unfinished and cost once finished (0 when it failed)', async () => {
    const ok = await create('text_to_video', { model: 'gen4.5', promptText: 'fox', ratio: '1280:720', duration: 4 });
    const failed = await create('text_to_video', {
      model: 'gen4.5',
      promptText: 'fox [sim:safety]',
      ratio: '1280:720',
      duration: 4,
    });
    const get = async (id: unknown) =>
      (await (await fetch(`${sim.runwayBaseUrl}/v1/tasks/${String(id)}`, { headers })).json()) as Record<
        string,
        unknown
      >;
    // Unfinished: the estimate, no cost yet (a simulator whose tasks stay PENDING for a minute).
    const slow = await startProviderSim({ runway: { stepMs: 60_000 } });
    try {
      const body = JSON.stringify({ model: 'gen4.5', promptText: 'fox', ratio: '1280:720', duration: 4 });
      const created = (await (
        await fetch(`${slow.runwayBaseUrl}/v1/text_to_video`, { method: 'POST', headers, body })
      ).json()) as { id: string };
      const pending = (await (
        await fetch(`${slow.runwayBaseUrl}/v1/tasks/${created.id}`, { headers })
      ).json()) as Record<string, unknown>;
      expect(pending).toMatchObject({ status: 'PENDING', estimatedCost: { credits: 48 } });
      expect(pending).not.toHaveProperty('cost');
    } finally {
      await slow.close();
    }
    await vi.waitFor(async () => expect(await get(ok.body['id'])).toMatchObject({ status: 'SUCCEEDED' }));
    expect(await get(ok.body['id'])).toMatchObject({ status: 'SUCCEEDED', cost: { credits: 48 } });
    await vi.waitFor(async () => expect(await get(failed.body['id'])).toMatchObject({ status: 'FAILED' }));
    expect(await get(failed.body['id'])).toMatchObject({ status: 'FAILED', cost: { credits: 0 } });
  });

  it('[sim:internal] answers 500, which Runway does not list as retryable', async () => {
    const answer = await create('text_to_video', {
      model: 'gen4.5',
      promptText: 'fox [sim:internal]',
      ratio: '1280:720',
      duration: 5,
    });
    expect(answer.status).toBe(500);
  });
});
