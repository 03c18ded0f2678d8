import { describe, expect, it } from 'vitest';
import {
  MAX_VIDEO_PROMPT_LENGTH,
  ProtocolError,
  VIDEO_MODELS,
  checkVideoRequest,
  estimatedVideoCredits,
  parseRequestData,
  resolveVideoRequest,
  videoGenerate,
  type VideoRequestFields,
} from '../src/index.js';

function issues(input: VideoRequestFields): { path: string[]; message: string }[] {
  const result = checkVideoRequest(input);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return result.issues;
}

describe('checkVideoRequest: the model catalogue at the door', () => {
  it('fills each model its own defaults (not 5 s for every model)', () => {
    expect(resolveVideoRequest({ prompt: 'fox' })).toEqual({
      model: 'gen4.5',
      ratio: '1280:720',
      duration: 5,
      prompt: 'fox',
    });
    expect(resolveVideoRequest({ prompt: 'fox', model: 'veo3.1' })).toEqual({
      model: 'veo3.1',
      ratio: '1280:720',
      duration: 8,
      prompt: 'fox',
    });
    expect(resolveVideoRequest({ promptImage: 'https://example.com/a.png', seed: 3 })).toEqual({
      model: 'gen4_turbo',
      ratio: '1280:720',
      duration: 5,
      promptImage: 'https://example.com/a.png',
      seed: 3,
    });
  });

  it('refuses text to video without a prompt, or with only white space', () => {
    expect(issues({})).toEqual([{ path: ['prompt'], message: expect.stringContaining('needs a prompt') }]);
    expect(issues({ prompt: ' \n ' })[0]!.path).toEqual(['prompt']);
    expect(issues({ model: 'veo3.1_fast' })[0]!.path).toEqual(['prompt']);
  });

  it('takes veo3.1 image to video without a prompt, but not gen4.5 (its promptText is required)', () => {
    expect(checkVideoRequest({ model: 'veo3.1', promptImage: 'https://example.com/a.png' }).ok).toBe(true);
    expect(issues({ model: 'gen4.5', promptImage: 'https://example.com/a.png' })[0]!.path).toEqual(['prompt']);
  });

  it('names the ratios of the model and mode', () => {
    const [issue] = issues({ prompt: 'fox', model: 'gen4.5', ratio: '960:960' });
    expect(issue).toEqual({
      path: ['ratio'],
      message: 'gen4.5 (text to video) takes ratio 1280:720, 720:1280',
      allowed: ['1280:720', '720:1280'],
    });
    // The same ratio is fine for gen4.5 with an image.
    expect(
      checkVideoRequest({ prompt: 'fox', model: 'gen4.5', ratio: '960:960', promptImage: 'https://e.com/a.png' }).ok,
    ).toBe(true);
  });

  it('names the durations of the model', () => {
    expect(issues({ prompt: 'fox', model: 'veo3.1', duration: 5 })).toEqual([
      { path: ['duration'], message: 'veo3.1 takes duration 4, 6, 8 seconds', allowed: [4, 6, 8] },
    ]);
    expect(issues({ prompt: 'fox', model: 'gen4.5', duration: 1 })[0]!.message).toBe(
      'gen4.5 takes duration 2 to 10 seconds',
    );
  });

  it('refuses a model for a mode it does not offer, naming the ones that do', () => {
    expect(issues({ prompt: 'fox', model: 'gen4_turbo' })).toEqual([
      {
        path: ['promptImage'],
        message:
          'gen4_turbo does not offer text to video (it needs promptImage); models for text to video: gen4.5, veo3.1, veo3.1_fast',
        allowed: expect.any(Array),
      },
    ]);
    expect(issues({ prompt: 'fox', model: 'gen3a_turbo' })[0]!.message).toBe(
      'Unknown model; one of: gen4.5, gen4_turbo, veo3.1, veo3.1_fast',
    );
  });

  it('counts the prompt in UTF-16 code units, as Runway does', () => {
    expect(checkVideoRequest({ prompt: 'x'.repeat(1000) }).ok).toBe(true);
    expect(issues({ prompt: 'x'.repeat(1001) })[0]!.message).toBe(
      'Prompt is 1001 characters; gen4.5 takes at most 1000',
    );
    expect(checkVideoRequest({ prompt: '\u{1f98a}'.repeat(500) }).ok).toBe(true);
    expect(checkVideoRequest({ prompt: '\u{1f98a}'.repeat(501) }).ok).toBe(false);
  });

  it('reports every broken rule at once as one typed INVALID_MESSAGE', () => {
    let thrown: unknown;
    try {
      resolveVideoRequest({ model: 'veo3.1', ratio: '960:960', duration: 5 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProtocolError);
    const error = thrown as ProtocolError;
    expect(error.code).toBe('INVALID_MESSAGE');
    expect((error.details?.['issues'] as { path: string[] }[]).map((i) => i.path[0])).toEqual([
      'ratio',
      'duration',
      'prompt',
    ]);
    expect(error.message).toContain('1280:720, 720:1280, 1080:1920, 1920:1080');
  });

  it('estimates the cost from the price per second and the duration', () => {
    expect(estimatedVideoCredits({ model: 'gen4_turbo', duration: 10 })).toBe(50);
    expect(estimatedVideoCredits({ model: 'veo3.1' })).toBe(320);
    expect(estimatedVideoCredits({ model: 'unknown' })).toBeUndefined();
  });

  it('the wire schema takes only catalogue values, and prompts up to the longest a model takes', () => {
    expect(MAX_VIDEO_PROMPT_LENGTH).toBe(1000);
    expect(parseRequestData('video.generate', { workspaceId: 'w1', prompt: 'fox', model: 'gen3a_turbo' }).ok).toBe(
      false,
    );
    expect(parseRequestData('video.generate', { workspaceId: 'w1', prompt: 'fox', duration: 60 }).ok).toBe(false);
    for (const id of Object.keys(VIDEO_MODELS)) {
      expect(videoGenerate.data.safeParse({ workspaceId: 'w1', model: id }).success).toBe(true);
    }
  });
});
