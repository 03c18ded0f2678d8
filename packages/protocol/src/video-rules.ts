import { ProtocolError } from './errors.js';
import {
  DEFAULT_VIDEO_MODEL,
  VIDEO_MODEL_IDS,
  videoModel,
  videoModelsFor,
  type VideoInputMode,
  type VideoModelId,
  type VideoModelRules,
} from './video-models.js';

/** The fields of `video.generate` the catalogue rules concern. */
export interface VideoRequestFields {
  prompt?: string | undefined;
  model?: string | undefined;
  ratio?: string | undefined;
  duration?: number | undefined;
  promptImage?: string | undefined;
  seed?: number | undefined;
}

/** A request the catalogue accepts, with the model's defaults filled in: what the provider is sent. */
export interface ResolvedVideoRequest {
  model: VideoModelId;
  ratio: string;
  duration: number;
  prompt?: string;
  promptImage?: string;
  seed?: number;
}

/** One rule a request breaks: the field, and a message naming what is allowed. */
export interface VideoRuleIssue {
  path: [string];
  message: string;
  /** The values the field may take (for a client to offer). */
  allowed?: readonly (string | number)[];
}

export type VideoRuleResult = { ok: true; request: ResolvedVideoRequest } | { ok: false; issues: VideoRuleIssue[] };

const MODE_NAME: Record<VideoInputMode, string> = { text: 'text to video', image: 'image to video' };

/**
 * Checks a `video.generate` request against the model catalogue (model, its input mode, ratio, duration,
 * prompt required and its length) and fills the model's defaults. Every broken rule is reported, each
 * naming the allowed values. Runs wherever the catalogue is read: the server (before any job exists), the
 * provider simulator and the web app.
 */
export function checkVideoRequest(input: VideoRequestFields): VideoRuleResult {
  const mode: VideoInputMode = input.promptImage === undefined ? 'text' : 'image';
  const modelId = input.model ?? DEFAULT_VIDEO_MODEL[mode];
  const model = videoModel(modelId);
  if (model === undefined) {
    return {
      ok: false,
      issues: [
        { path: ['model'], message: `Unknown model; one of: ${VIDEO_MODEL_IDS.join(', ')}`, allowed: VIDEO_MODEL_IDS },
      ],
    };
  }
  const rules = model[mode];
  if (rules === undefined) {
    const offered = videoModelsFor(mode);
    const other: VideoInputMode = mode === 'text' ? 'image' : 'text';
    return {
      ok: false,
      issues: [
        {
          path: [mode === 'text' ? 'promptImage' : 'model'],
          message:
            `${modelId} does not offer ${MODE_NAME[mode]}` +
            (mode === 'text' ? ' (it needs promptImage)' : ' (leave promptImage out)') +
            `; models for ${MODE_NAME[mode]}: ${offered.join(', ')}`,
          allowed: mode === 'text' ? videoModelsFor(other) : offered,
        },
      ],
    };
  }
  const issues: VideoRuleIssue[] = [];
  const ratio = input.ratio ?? rules.ratios[0]!;
  if (!rules.ratios.includes(ratio)) {
    issues.push({
      path: ['ratio'],
      message: `${modelId} (${MODE_NAME[mode]}) takes ratio ${rules.ratios.join(', ')}`,
      allowed: rules.ratios,
    });
  }
  const duration = input.duration ?? model.defaultDuration;
  if (!model.durations.includes(duration)) {
    issues.push({
      path: ['duration'],
      message: `${modelId} takes duration ${durationsText(model)} seconds`,
      allowed: model.durations,
    });
  }
  const prompt = input.prompt;
  if (prompt === undefined ? rules.promptRequired : !/\S/.test(prompt)) {
    issues.push({
      path: ['prompt'],
      message: `${modelId} (${MODE_NAME[mode]}) needs a prompt that is not empty (up to ${model.promptMaxLength} characters)`,
    });
  } else if (prompt !== undefined && prompt.length > model.promptMaxLength) {
    issues.push({
      path: ['prompt'],
      message: `Prompt is ${prompt.length} characters; ${modelId} takes at most ${model.promptMaxLength}`,
    });
  }
  if (issues.length > 0) return { ok: false, issues };
  const request: ResolvedVideoRequest = { model: modelId as VideoModelId, ratio, duration };
  if (prompt !== undefined) request.prompt = prompt;
  if (input.promptImage !== undefined) request.promptImage = input.promptImage;
  if (input.seed !== undefined) request.seed = input.seed;
  return { ok: true, request };
}

/** `2 to 10` for a run of whole seconds, `4, 6, 8` otherwise. */
function durationsText(model: VideoModelRules): string {
  const values = model.durations;
  const first = values[0]!;
  const last = values[values.length - 1]!;
  const contiguous = values.every((value, index) => value === first + index);
  return contiguous && values.length > 2 ? `${first} to ${last}` : values.join(', ');
}

/** The request with defaults filled, or INVALID_MESSAGE naming every broken rule and its allowed values. */
export function resolveVideoRequest(input: VideoRequestFields): ResolvedVideoRequest {
  const result = checkVideoRequest(input);
  if (result.ok) return result.request;
  throw new ProtocolError('INVALID_MESSAGE', result.issues.map((issue) => issue.message).join('; '), {
    details: { issues: result.issues },
  });
}

/** The most a request can cost, in credits (the catalogue's price per second times its duration). */
export function estimatedVideoCredits(request: {
  model?: string | undefined;
  duration?: number | undefined;
}): number | undefined {
  const model = request.model === undefined ? undefined : videoModel(request.model);
  if (model === undefined) return undefined;
  return model.creditsPerSecond * (request.duration ?? model.defaultDuration);
}
