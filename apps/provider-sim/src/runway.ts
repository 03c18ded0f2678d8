import { Router } from 'express';

/** How the simulated Runway API behaves (timings, limits); filled in by the video pipeline's work. */
export interface RunwaySimOptions {}

/** Runway's HTTP API (`/v1/text_to_video`, `/v1/image_to_video`, `/v1/tasks/:id`), mounted under `/runway`. */
export function runwayRoutes(_options: RunwaySimOptions = {}): Router {
  return Router();
}
