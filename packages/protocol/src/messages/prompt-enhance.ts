import { z } from 'zod';
import { MAX_PROMPT_LENGTH, MAX_STYLE_LENGTH } from '../constants.js';
import { MAX_VIDEO_PROMPT_LENGTH } from '../video-models.js';
import { LONE_SURROGATE, idSchema } from '../workspace.js';

/**
 * Free text of 1 to `maxLength` characters that is not only white space, without NUL or lone surrogates.
 * "Not only white space" is a pattern (`\S` is what `trim` keeps), so the compiled schemas of
 * `@app/protocol/lite` check it too; NUL and lone surrogates are their `x-text` keyword (PROMPT_TEXT_SCHEMAS).
 */
function textSchema(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .regex(/\S/, 'must not be empty')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be Unicode text (no lone surrogate)');
}

const promptText = textSchema(MAX_PROMPT_LENGTH);
const styleText = textSchema(MAX_STYLE_LENGTH);

/** The text fields of `prompt.enhance`, for the compiled schemas to mark `x-text` (as `nameSchema`). */
export const PROMPT_TEXT_SCHEMAS: readonly z.ZodType[] = [promptText, styleText];

/**
 * `prompt.enhance`: a language model rewrites a video prompt (optionally in a `style`). With
 * `workspaceId`, the caller must have access to that workspace. Changes nothing stored.
 */
export const promptEnhance = {
  type: 'prompt.enhance',
  data: z.strictObject({
    prompt: promptText,
    workspaceId: idSchema.optional(),
    style: styleText.optional(),
  }),
  /** The answer's prompt is one `video.generate` takes: at most `MAX_VIDEO_PROMPT_LENGTH` (1,000) characters. */
  ack: z.strictObject({ prompt: z.string().min(1).max(MAX_VIDEO_PROMPT_LENGTH), notes: z.string().optional() }),
  examples: {
    valid: [{ prompt: 'a red fox at dawn' }, { prompt: 'a red fox at dawn', workspaceId: 'w1', style: 'cinematic' }],
    invalid: [
      {},
      { prompt: '' },
      { prompt: '   ' },
      { prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) },
      { prompt: 'fox', style: '' },
      { prompt: 'fox', workspaceId: 'bad id!' },
      { prompt: 'fox', temperature: 2 },
    ],
  },
} as const;
