import { DEFAULT_VIDEO_MODEL, videoModel, videoModelsFor, type VideoModelId } from '@app/client';

/**
 * How a video is made from a workspace's prompt. Kept in the workspace's free-form `data` as `settings`
 * (a type, not an interface, so that it is assignable to a JSON object). The choices are the model
 * catalogue's (`VIDEO_MODELS`): only what the chosen model takes for text to video is offered.
 */
export type VideoSettings = {
  model: VideoModelId;
  durationSec: number;
  /** The provider's `width:height`, e.g. `1280:720`. */
  ratio: string;
};

/** The models offered (text to video: the board has no image input). */
export const TEXT_MODELS: readonly VideoModelId[] = videoModelsFor('text');

/** The ratios and lengths the model takes for text to video. */
export function choicesOf(model: VideoModelId): { ratios: readonly string[]; durations: readonly number[] } {
  const rules = videoModel(model)!;
  return { ratios: rules.text?.ratios ?? [], durations: rules.durations };
}

/** `16:9 (1280×720)` for `1280:720`. */
export function ratioLabel(ratio: string): string {
  const [width, height] = ratio.split(':').map(Number) as [number, number];
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const d = gcd(width, height);
  return `${width / d}:${height / d} (${width}×${height})`;
}

/** Settings as a model takes them: a ratio or length the model does not take becomes its default. */
export function settingsFor(model: VideoModelId, wanted: Partial<VideoSettings>): VideoSettings {
  const rules = videoModel(model)!;
  const { ratios, durations } = choicesOf(model);
  return {
    model,
    ratio: wanted.ratio !== undefined && ratios.includes(wanted.ratio) ? wanted.ratio : ratios[0]!,
    durationSec:
      wanted.durationSec !== undefined && durations.includes(wanted.durationSec)
        ? wanted.durationSec
        : rules.defaultDuration,
  };
}

export const DEFAULT_SETTINGS: VideoSettings = settingsFor(DEFAULT_VIDEO_MODEL.text, {});

/** Settings saved before the board offered models: an aspect ratio name instead of the provider's ratio. */
const LEGACY_RATIOS: Record<string, string> = { '16:9': '1280:720', '9:16': '720:1280', '1:1': '960:960' };

/** The parts of a workspace's `data` this page edits, read defensively: `data` is whatever clients stored. */
export interface WorkspaceFields {
  prompt: string;
  settings: VideoSettings;
}

export function readFields(data: Record<string, unknown>): WorkspaceFields {
  const prompt = typeof data['prompt'] === 'string' ? data['prompt'] : '';
  const raw = data['settings'];
  if (typeof raw !== 'object' || raw === null) return { prompt, settings: DEFAULT_SETTINGS };
  const { model, durationSec, ratio, aspectRatio } = raw as Record<string, unknown>;
  const chosen = TEXT_MODELS.find((id) => id === model) ?? DEFAULT_SETTINGS.model;
  const settings = settingsFor(chosen, {
    ...(typeof durationSec === 'number' ? { durationSec } : {}),
    ...(typeof ratio === 'string'
      ? { ratio }
      : typeof aspectRatio === 'string' && LEGACY_RATIOS[aspectRatio] !== undefined
        ? { ratio: LEGACY_RATIOS[aspectRatio] }
        : {}),
  });
  return { prompt, settings };
}
