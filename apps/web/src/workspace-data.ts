/**
 * How a video is made from a workspace's prompt. Kept in the workspace's free-form `data` as `settings`
 * (a type, not an interface, so that it is assignable to a JSON object).
 */
export type VideoSettings = {
  durationSec: number;
  aspectRatio: '16:9' | '9:16' | '1:1';
};

export const DURATIONS_SEC = [5, 10] as const;
export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export const DEFAULT_SETTINGS: VideoSettings = { durationSec: 5, aspectRatio: '16:9' };

/** The parts of a workspace's `data` this page edits, read defensively: `data` is whatever clients stored. */
export interface WorkspaceFields {
  prompt: string;
  settings: VideoSettings;
}

export function readFields(data: Record<string, unknown>): WorkspaceFields {
  const prompt = typeof data['prompt'] === 'string' ? data['prompt'] : '';
  const raw = data['settings'];
  const settings = { ...DEFAULT_SETTINGS };
  if (typeof raw === 'object' && raw !== null) {
    const { durationSec, aspectRatio } = raw as Record<string, unknown>;
    if (typeof durationSec === 'number' && (DURATIONS_SEC as readonly number[]).includes(durationSec)) {
      settings.durationSec = durationSec;
    }
    if ((ASPECT_RATIOS as readonly unknown[]).includes(aspectRatio)) {
      settings.aspectRatio = aspectRatio as VideoSettings['aspectRatio'];
    }
  }
  return { prompt, settings };
}
