/**
 * The video models `video.generate` offers, with the rules Runway applies to each: taken from the request
 * types of `@runwayml/sdk` (`resources/text-to-video.d.ts`, `resources/image-to-video.d.ts`), which Runway
 * generates from its API definition. A test of `@app/video` compares this table with those types, so an
 * SDK upgrade that changes a model's rules fails the build. Plain data: the server, the provider
 * simulator and the web app all read it.
 *
 * Only models whose ratios and durations the SDK states exactly are offered. Where the SDK gives no
 * default, the default is ours (named in `defaultDuration`) and always sent, so the provider never picks.
 */

/** How a request gives its input: text only, or a first-frame image (with optional text). */
export type VideoInputMode = 'text' | 'image';

/** What one model takes for one input mode. */
export interface VideoModeRules {
  /** `width:height` values the provider takes, the first one the default. */
  readonly ratios: readonly string[];
  /** Whether `prompt` must be given (a non-empty text). */
  readonly promptRequired: boolean;
}

/** One model of the catalogue. */
export interface VideoModelRules {
  /** Name to show. */
  readonly label: string;
  /** Text to video (`POST /v1/text_to_video`), when the model offers it. */
  readonly text?: VideoModeRules;
  /** Image to video (`POST /v1/image_to_video`), when the model offers it. */
  readonly image?: VideoModeRules;
  /** Whole seconds the model takes. */
  readonly durations: readonly number[];
  /** Seconds sent when the request names none. */
  readonly defaultDuration: number;
  /** Longest `prompt`, in UTF-16 code units (JavaScript `length`), as Runway counts. */
  readonly promptMaxLength: number;
  /**
   * Credits per second of video, from Runway's price list (1 credit = USD 0.01): the most a request can
   * cost, shown before the job runs. Runway's own figure for a created task replaces it.
   */
  readonly creditsPerSecond: number;
}

const GEN4_RATIOS = ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'] as const;
const VEO_RATIOS = ['1280:720', '720:1280', '1080:1920', '1920:1080'] as const;
const TWO_TO_TEN = [2, 3, 4, 5, 6, 7, 8, 9, 10] as const;

/**
 * The catalogue. Sources (SDK 4.20.1): `gen4.5` takes `duration` "an integer from 2 to 10" and a
 * non-empty `promptText` in both modes, with two ratios for text and six for an image; `gen4_turbo` is
 * image to video only (its `duration` is typed `number`; 2 to 10 is Runway's API reference); `veo3.1`
 * and `veo3.1_fast` take `duration` 4, 6 or 8 (8, Veo's native length, is our default) and need
 * `promptText` for text to video only. Every `promptText` is "up to 1000 characters (measured in UTF-16
 * code units)".
 */
export const VIDEO_MODELS = {
  'gen4.5': {
    label: 'Gen-4.5',
    text: { ratios: ['1280:720', '720:1280'], promptRequired: true },
    image: { ratios: GEN4_RATIOS, promptRequired: true },
    durations: TWO_TO_TEN,
    defaultDuration: 5,
    promptMaxLength: 1000,
    creditsPerSecond: 12,
  },
  gen4_turbo: {
    label: 'Gen-4 Turbo',
    image: { ratios: GEN4_RATIOS, promptRequired: false },
    durations: TWO_TO_TEN,
    defaultDuration: 5,
    promptMaxLength: 1000,
    creditsPerSecond: 5,
  },
  'veo3.1': {
    label: 'Veo 3.1',
    text: { ratios: VEO_RATIOS, promptRequired: true },
    image: { ratios: VEO_RATIOS, promptRequired: false },
    durations: [4, 6, 8],
    defaultDuration: 8,
    promptMaxLength: 1000,
    creditsPerSecond: 40,
  },
  'veo3.1_fast': {
    label: 'Veo 3.1 Fast',
    text: { ratios: VEO_RATIOS, promptRequired: true },
    image: { ratios: VEO_RATIOS, promptRequired: false },
    durations: [4, 6, 8],
    defaultDuration: 8,
    promptMaxLength: 1000,
    creditsPerSecond: 15,
  },
} as const satisfies Record<string, VideoModelRules>;

export type VideoModelId = keyof typeof VIDEO_MODELS;

/** The model ids, in the catalogue's order. */
export const VIDEO_MODEL_IDS = Object.keys(VIDEO_MODELS) as [VideoModelId, ...VideoModelId[]];

/** The model used when a request names none, per input mode. */
export const DEFAULT_VIDEO_MODEL = { text: 'gen4.5', image: 'gen4_turbo' } as const satisfies Record<
  VideoInputMode,
  VideoModelId
>;

/** Every ratio of every model (what the wire schema takes before the per-model check). */
export const VIDEO_RATIOS: readonly string[] = [
  ...new Set(
    Object.values(VIDEO_MODELS).flatMap((model: VideoModelRules) => [
      ...(model.text?.ratios ?? []),
      ...(model.image?.ratios ?? []),
    ]),
  ),
];

/** Longest prompt any model takes: what `video.generate` and `prompt.enhance` allow (1,000 for Runway). */
export const MAX_VIDEO_PROMPT_LENGTH = Math.max(
  ...Object.values(VIDEO_MODELS).map((model: VideoModelRules) => model.promptMaxLength),
);

/** Shortest and longest duration of any model. */
export const VIDEO_DURATION_RANGE = {
  min: Math.min(...Object.values(VIDEO_MODELS).flatMap((model: VideoModelRules) => model.durations)),
  max: Math.max(...Object.values(VIDEO_MODELS).flatMap((model: VideoModelRules) => model.durations)),
} as const;

/** A model's rules, or undefined for a name the catalogue does not hold. */
export function videoModel(id: string): VideoModelRules | undefined {
  return Object.hasOwn(VIDEO_MODELS, id) ? (VIDEO_MODELS as Record<string, VideoModelRules>)[id] : undefined;
}

/** The models that offer an input mode. */
export function videoModelsFor(mode: VideoInputMode): VideoModelId[] {
  return VIDEO_MODEL_IDS.filter((id) => (VIDEO_MODELS as Record<string, VideoModelRules>)[id]![mode] !== undefined);
}
