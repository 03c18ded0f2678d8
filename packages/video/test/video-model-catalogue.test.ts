import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ImageToVideoCreateParams } from '@runwayml/sdk/resources/image-to-video';
import type { TextToVideoCreateParams } from '@runwayml/sdk/resources/text-to-video';
import { VIDEO_MODELS, type VideoModelId } from '@app/protocol';

// The catalogue of @app/protocol against the request types of the installed @runwayml/sdk. The type
// assertions are checked by `tsc` (`pnpm typecheck`): an SDK upgrade that changes a model's ratios,
// durations, input modes or required prompt fails the build. The runtime part reads the rules the
// types hold only as text (integer ranges, prompt lengths) from the SDK's declaration files.

type Catalogue = typeof VIDEO_MODELS;
type TextParams<M> = Extract<TextToVideoCreateParams, { model: M }>;
type ImageParams<M> = Extract<ImageToVideoCreateParams, { model: M }>;
type Ratios<M extends VideoModelId, Mode extends 'text' | 'image'> =
  Catalogue[M] extends Record<Mode, { ratios: readonly (infer R)[] }> ? R : never;
type Durations<M extends VideoModelId> = Catalogue[M]['durations'][number];
type PromptRequired<M extends VideoModelId, Mode extends 'text' | 'image'> =
  Catalogue[M] extends Record<Mode, { promptRequired: infer P }> ? P : never;
type IsRequired<T, K extends keyof T> = object extends Pick<T, K> ? false : true;
type ModelsWith<Mode extends 'text' | 'image'> = {
  [M in VideoModelId]: Catalogue[M] extends Record<Mode, unknown> ? M : never;
}[VideoModelId];

describe('the model catalogue matches @runwayml/sdk request types', () => {
  it('offers each model only for the endpoints the SDK types have it on', () => {
    expectTypeOf<ModelsWith<'text'>>().toExtend<TextToVideoCreateParams['model']>();
    expectTypeOf<ModelsWith<'image'>>().toExtend<ImageToVideoCreateParams['model']>();
    expectTypeOf<ModelsWith<'text'>>().toEqualTypeOf<'gen4.5' | 'veo3.1' | 'veo3.1_fast'>();
    expectTypeOf<ModelsWith<'image'>>().toEqualTypeOf<VideoModelId>();
    // gen4_turbo takes an image: Runway has no text-to-video variant of it.
    expectTypeOf<'gen4_turbo'>().not.toExtend<TextToVideoCreateParams['model']>();
  });

  it('has exactly the ratios of each model and endpoint', () => {
    expectTypeOf<Ratios<'gen4.5', 'text'>>().toEqualTypeOf<TextParams<'gen4.5'>['ratio']>();
    expectTypeOf<Ratios<'gen4.5', 'image'>>().toEqualTypeOf<ImageParams<'gen4.5'>['ratio']>();
    expectTypeOf<Ratios<'gen4_turbo', 'image'>>().toEqualTypeOf<ImageParams<'gen4_turbo'>['ratio']>();
    expectTypeOf<Ratios<'veo3.1', 'text'>>().toEqualTypeOf<TextParams<'veo3.1'>['ratio']>();
    expectTypeOf<Ratios<'veo3.1', 'image'>>().toEqualTypeOf<ImageParams<'veo3.1'>['ratio']>();
    expectTypeOf<Ratios<'veo3.1_fast', 'text'>>().toEqualTypeOf<TextParams<'veo3.1_fast'>['ratio']>();
    expectTypeOf<Ratios<'veo3.1_fast', 'image'>>().toEqualTypeOf<ImageParams<'veo3.1_fast'>['ratio']>();
  });

  it('has the durations the types enumerate, and only numbers where they say number', () => {
    expectTypeOf<Durations<'veo3.1'>>().toEqualTypeOf<NonNullable<TextParams<'veo3.1'>['duration']>>();
    expectTypeOf<Durations<'veo3.1'>>().toEqualTypeOf<NonNullable<ImageParams<'veo3.1'>['duration']>>();
    expectTypeOf<Durations<'veo3.1_fast'>>().toEqualTypeOf<NonNullable<TextParams<'veo3.1_fast'>['duration']>>();
    expectTypeOf<Durations<'veo3.1_fast'>>().toEqualTypeOf<NonNullable<ImageParams<'veo3.1_fast'>['duration']>>();
    expectTypeOf<Durations<'gen4.5'>>().toExtend<TextParams<'gen4.5'>['duration']>();
    expectTypeOf<Durations<'gen4.5'>>().toExtend<ImageParams<'gen4.5'>['duration']>();
    expectTypeOf<Durations<'gen4_turbo'>>().toExtend<NonNullable<ImageParams<'gen4_turbo'>['duration']>>();
    // gen4.5 has no default duration at Runway (the field is required): ours is always sent.
    expectTypeOf<IsRequired<TextParams<'gen4.5'>, 'duration'>>().toEqualTypeOf<true>();
  });

  it('requires a prompt exactly where the types do', () => {
    expectTypeOf<PromptRequired<'gen4.5', 'text'>>().toEqualTypeOf<IsRequired<TextParams<'gen4.5'>, 'promptText'>>();
    expectTypeOf<PromptRequired<'gen4.5', 'image'>>().toEqualTypeOf<IsRequired<ImageParams<'gen4.5'>, 'promptText'>>();
    expectTypeOf<PromptRequired<'gen4_turbo', 'image'>>().toEqualTypeOf<
      IsRequired<ImageParams<'gen4_turbo'>, 'promptText'>
    >();
    expectTypeOf<PromptRequired<'veo3.1', 'text'>>().toEqualTypeOf<IsRequired<TextParams<'veo3.1'>, 'promptText'>>();
    expectTypeOf<PromptRequired<'veo3.1', 'image'>>().toEqualTypeOf<IsRequired<ImageParams<'veo3.1'>, 'promptText'>>();
    expectTypeOf<PromptRequired<'veo3.1_fast', 'text'>>().toEqualTypeOf<
      IsRequired<TextParams<'veo3.1_fast'>, 'promptText'>
    >();
    expectTypeOf<PromptRequired<'veo3.1_fast', 'image'>>().toEqualTypeOf<
      IsRequired<ImageParams<'veo3.1_fast'>, 'promptText'>
    >();
  });

  // What the types say only in their comments: the SDK's declaration files, read as text.
  const sdkDir = dirname(createRequire(import.meta.url).resolve('@runwayml/sdk'));
  const blocks = (file: string): Map<string, string> => {
    const text = readFileSync(join(sdkDir, 'resources', file), 'utf8');
    const found = new Map<string, string>();
    for (const block of text.split(/\n {4}interface /)) {
      const model = /\n {8}model: '([^']+)';/.exec(block)?.[1];
      if (model !== undefined) found.set(model, block);
    }
    return found;
  };
  /** The doc comment right above a field's declaration, as one line. */
  const docOf = (block: string, field: string): string => {
    const lines = block.split('\n');
    const at = lines.findIndex((line) => new RegExp(`^ {8}${field}\\??:`).test(line));
    if (at < 0) return '';
    let start = at - 1;
    while (start > 0 && !lines[start]!.includes('/**')) start -= 1;
    return lines
      .slice(start, at)
      .map((line) => line.replace(/^\s*(\/\*\*|\*\/|\*)\s?/, ''))
      .join(' ')
      .replace(/\s+/g, ' ');
  };
  const files = { text: blocks('text-to-video.d.ts'), image: blocks('image-to-video.d.ts') };

  it.each(Object.keys(VIDEO_MODELS) as VideoModelId[])('%s: prompt length and duration range', (id) => {
    const model = VIDEO_MODELS[id];
    for (const mode of ['text', 'image'] as const) {
      const block = files[mode].get(id);
      expect(block !== undefined, `${id} on ${mode} to video`).toBe(mode in model);
      if (block === undefined) continue;
      expect(docOf(block, 'promptText'), `${id} ${mode} promptText`).toContain(
        `up to ${model.promptMaxLength} characters (measured in UTF-16 code units)`,
      );
      const range = /Must be an integer from (\d+) to (\d+)\./.exec(docOf(block, 'duration'));
      if (range !== null) {
        const [min, max] = [Number(range[1]), Number(range[2])];
        expect(model.durations).toEqual(Array.from({ length: max - min + 1 }, (_, i) => min + i));
      }
    }
    expect(model.durations).toContain(model.defaultDuration);
  });
});
