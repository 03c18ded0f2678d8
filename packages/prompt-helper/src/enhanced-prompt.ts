import { z } from 'zod';
import { MAX_VIDEO_PROMPT_LENGTH } from '@app/protocol';

/**
 * What the model must answer (OpenAI structured output). Every field is required, as strict JSON
 * schemas demand: "no notes" is `null`, never a missing key. Lengths are checked after parsing
 * (refinements do not reach the JSON schema the model sees).
 */
export const enhancedPromptSchema = z.object({
  prompt: z.string().describe('The rewritten prompt for a text-to-video model, in the language of the original.'),
  notes: z
    .string()
    .nullable()
    .describe('One short sentence on what was changed and why, or null when the prompt needed no change.'),
});

export type EnhancedPrompt = z.infer<typeof enhancedPromptSchema>;

/** The instructions of every request; the style, when given, is added to them. */
export function instructionsFor(style: string | undefined): string {
  const lines = [
    'You improve prompts for a text-to-video model.',
    "Keep the subject and intent of the person's prompt. Add concrete visual detail: setting, lighting, camera movement, mood.",
    `Answer with the rewritten prompt (at most ${MAX_VIDEO_PROMPT_LENGTH} characters, what the video model takes) and, in notes, one short sentence on what you changed.`,
  ];
  if (style !== undefined) lines.push(`Write it in this style: ${style}`);
  return lines.join('\n');
}
