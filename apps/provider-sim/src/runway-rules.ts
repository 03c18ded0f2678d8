import { videoModel, videoModelsFor, type VideoInputMode } from '@app/protocol';

/**
 * Runway's own checks of a create body, from the model catalogue of `@app/protocol` (which is taken from
 * the SDK's request types): the 400 message Runway would answer (naming the field), or undefined when the
 * body is one Runway takes. Only the fields this project sends are checked.
 */
export function runwayCreateError(mode: VideoInputMode, body: Record<string, unknown>): string | undefined {
  const { model: modelId, ratio, duration, promptText, promptImage } = body;
  if (typeof modelId !== 'string') return 'model: Required';
  const model = videoModel(modelId);
  const rules = model?.[mode];
  if (model === undefined || rules === undefined) {
    return `model: Invalid enum value. Expected ${videoModelsFor(mode)
      .map((id) => `'${id}'`)
      .join(' | ')}, received '${modelId}'`;
  }
  if (typeof ratio !== 'string') return 'ratio: Required';
  if (!rules.ratios.includes(ratio)) {
    return `ratio: Invalid enum value. Expected ${rules.ratios.map((r) => `'${r}'`).join(' | ')}, received '${ratio}'`;
  }
  if (duration !== undefined && (typeof duration !== 'number' || !model.durations.includes(duration))) {
    return `duration: Invalid value for ${modelId}. Expected one of ${model.durations.join(', ')}`;
  }
  if (promptText === undefined) {
    if (rules.promptRequired) return 'promptText: Required';
  } else if (typeof promptText !== 'string' || promptText.length === 0) {
    return 'promptText: must be a non-empty string';
  } else if (promptText.length > model.promptMaxLength) {
    return `promptText: String must contain at most ${model.promptMaxLength} character(s)`;
  }
  if (mode === 'image' && typeof promptImage !== 'string') return 'promptImage: Required';
  return undefined;
}

/** What a task of this body costs at most, in credits (Runway's `estimatedCost.credits`). */
export function runwayCredits(body: Record<string, unknown>): number {
  const model = typeof body['model'] === 'string' ? videoModel(body['model']) : undefined;
  if (model === undefined) return 0;
  const duration = typeof body['duration'] === 'number' ? body['duration'] : model.defaultDuration;
  return model.creditsPerSecond * duration;
}
