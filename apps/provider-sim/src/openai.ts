import { Router } from 'express';

/** How the simulated OpenAI API behaves; filled in by the prompt helper's work. */
export interface OpenAiSimOptions {}

/** OpenAI's HTTP API (`/chat/completions`, `/responses`), mounted under `/openai/v1`. */
export function openAiRoutes(_options: OpenAiSimOptions = {}): Router {
  return Router();
}
