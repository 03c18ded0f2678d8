import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { Router, type Request, type Response } from 'express';
import { runwayCreateError, runwayCredits } from './runway-rules.js';
import { scenarioOf, type RunwayScenario } from './runway-scenario.js';

/** The only API version Runway's current SDK speaks (`X-Runway-Version`). */
export const RUNWAY_VERSION = '2024-11-06';

/** The MP4 every successful task outputs: about 1 s of H.264 (baseline, yuv420p, faststart), a few KB. */
const SAMPLE_MP4 = readFileSync(new URL('../fixtures/sample.mp4', import.meta.url));

/** How the simulated Runway API behaves. Every timing is configurable so tests run in milliseconds. */
export interface RunwaySimOptions {
  /** Length of each step of a task's life (PENDING, each progress step of RUNNING, THROTTLED twice). Default 1000. */
  stepMs?: number;
  /** Progress steps while RUNNING (progress k / steps). Default 4. */
  runningSteps?: number;
  /** The accepted API key; default: any non-empty bearer token. */
  apiKey?: string;
  /** `Retry-After` (seconds) on a simulated 429. Default 1. */
  retryAfterSec?: number;
}

/** One simulated task. Its state is a function of the time since it was created (no timers to leak). */
interface SimTask {
  id: string;
  createdAt: number;
  scenario: RunwayScenario;
  prompt: string;
  /** The most it costs (Runway's `estimatedCost.credits`); what it costs once it succeeded. */
  credits: number;
  cancelledAt?: number;
  deleted?: boolean;
}

/** What the simulator saw, for tests (`GET /_sim/stats`). */
export interface RunwaySimStats {
  creates: number;
  retrieves: number;
  deletes: number;
  /** Create calls answered with 429 / 5xx, create calls refused 400 by the model rules, and create calls left hanging. */
  refusedCreates: number;
  invalidCreates: number;
  hungRequests: number;
  /** Every create call: when it arrived (epoch ms) and what it was answered (0: never answered). */
  createCalls: { at: number; status: number }[];
  /** Every task; `createdAt` (epoch ms): its states change at fixed steps after it. */
  tasks: { id: string; status: string; scenario: RunwayScenario; prompt: string; createdAt: number }[];
}

type TaskView =
  | { status: 'PENDING' | 'THROTTLED' | 'CANCELLED' }
  | { status: 'RUNNING'; progress: number }
  | { status: 'SUCCEEDED'; output: string[] }
  | { status: 'FAILED'; failure: string; failureCode: string };

function error(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

/**
 * Runway's HTTP API (`POST /v1/text_to_video`, `POST /v1/image_to_video`, `GET` / `DELETE /v1/tasks/:id`),
 * mounted under `/runway`, with the same headers and task states. The scenario of a task is chosen by a
 * marker in its prompt (`[sim:safety]`, see runway-scenario.ts and the app's README). Outputs are served
 * by the simulator itself under `/_sim/outputs/<taskId>.mp4`, without authentication like Runway's CDN URLs.
 */
export function runwayRoutes(options: RunwaySimOptions = {}): Router {
  const stepMs = options.stepMs ?? 1_000;
  const runningSteps = options.runningSteps ?? 4;
  const retryAfterSec = options.retryAfterSec ?? 1;
  const tasks = new Map<string, SimTask>();
  /** Create calls seen per prompt text, so `[sim:429x2]` refuses the first two and accepts the third. */
  const createsByPrompt = new Map<string, number>();
  const stats = { creates: 0, retrieves: 0, deletes: 0, refusedCreates: 0, invalidCreates: 0, hungRequests: 0 };
  const createCalls: RunwaySimStats['createCalls'] = [];
  const router = Router();

  const view = (task: SimTask, req: Request): TaskView => {
    const step = task.scenario === 'slow' ? stepMs * 10 : stepMs;
    // Only a task that had not ended can be cancelled (see DELETE), so a cancelled one stays CANCELLED.
    if (task.cancelledAt !== undefined) return { status: 'CANCELLED' };
    let elapsed = Date.now() - task.createdAt;
    const phases: [number, 'PENDING' | 'THROTTLED'][] = [[step, 'PENDING']];
    if (task.scenario === 'throttled') phases.push([2 * step, 'THROTTLED']);
    for (const [length, status] of phases) {
      if (elapsed < length) return { status };
      elapsed -= length;
    }
    const steps = task.scenario === 'safety' || task.scenario === 'fail' ? 1 : runningSteps;
    if (elapsed < steps * step) return { status: 'RUNNING', progress: Math.floor(elapsed / step) / steps };
    if (task.scenario === 'safety') {
      return {
        status: 'FAILED',
        failure: 'The input text was flagged by content moderation.',
        failureCode: 'SAFETY.INPUT.TEXT',
      };
    }
    if (task.scenario === 'fail') {
      return {
        status: 'FAILED',
        failure: 'The output did not pass quality checks.',
        failureCode: 'INTERNAL.BAD_OUTPUT.CODE01',
      };
    }
    return {
      status: 'SUCCEEDED',
      output: [`${req.protocol}://${req.get('host')}${req.baseUrl}/_sim/outputs/${task.id}.mp4`],
    };
  };

  // Output files and the test hook first: no API headers needed, like Runway's signed output URLs.
  router.get('/_sim/outputs/:file', (req, res) => {
    const match = /^([0-9a-f-]{36})\.mp4$/.exec(req.params.file);
    if (match === null || !tasks.has(match[1]!)) return error(res, 404, 'Not found');
    res.type('video/mp4').send(SAMPLE_MP4);
  });
  router.get('/_sim/stats', (req, res) => {
    const body: RunwaySimStats = {
      ...stats,
      createCalls,
      tasks: [...tasks.values()].map((task) => ({
        id: task.id,
        status: task.deleted === true ? 'DELETED' : view(task, req).status,
        scenario: task.scenario,
        prompt: task.prompt,
        createdAt: task.createdAt,
      })),
    };
    res.json(body);
  });

  // Every API call needs both headers, as Runway's API does (401 without a key, 400 without a version).
  router.use('/v1', (req, res, next) => {
    const auth = req.get('authorization') ?? '';
    const key = /^Bearer (\S+)$/.exec(auth)?.[1];
    if (key === undefined || (options.apiKey !== undefined && key !== options.apiKey)) {
      return error(res, 401, 'Invalid API key. Check that the Authorization header holds a valid key.');
    }
    const version = req.get('x-runway-version');
    if (version === undefined) return error(res, 400, 'The X-Runway-Version header is required.');
    if (version !== RUNWAY_VERSION) return error(res, 400, `Unsupported X-Runway-Version: ${version}`);
    next();
  });
  router.use('/v1', express.json({ limit: '6mb' }));

  const create = (kind: 'text' | 'image') => (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const promptText = body['promptText'];
    // Everything the model catalogue forbids is a 400 naming the field, as Runway answers.
    const refused = runwayCreateError(kind, body);
    if (refused !== undefined) {
      stats.invalidCreates += 1;
      return error(res, 400, refused);
    }
    const prompt = typeof promptText === 'string' ? promptText : '';
    const { scenario, times } = scenarioOf(prompt);
    const seen = (createsByPrompt.get(prompt) ?? 0) + 1;
    createsByPrompt.set(prompt, seen);
    const call = { at: Date.now(), status: 0 };
    createCalls.push(call);
    if (scenario === 'hang') {
      stats.hungRequests += 1;
      return; // never answered: the caller's timeout has to end it
    }
    if ((scenario === '429' || scenario === '500' || scenario === 'internal') && seen <= times) {
      stats.refusedCreates += 1;
      call.status = scenario === '429' ? 429 : scenario === '500' ? 502 : 500;
      if (scenario === 'internal') return error(res, 500, 'An internal error occurred.');
      if (scenario === '429') {
        res.set('Retry-After', String(retryAfterSec));
        return error(res, 429, 'You have exceeded the daily generation limit of your tier.');
      }
      return error(res, 502, 'The service is shedding load; retry later.');
    }
    stats.creates += 1;
    call.status = 200;
    const task: SimTask = { id: randomUUID(), createdAt: Date.now(), scenario, prompt, credits: runwayCredits(body) };
    tasks.set(task.id, task);
    res.json({ id: task.id, estimatedCost: { credits: task.credits } });
  };
  router.post('/v1/text_to_video', create('text'));
  router.post('/v1/image_to_video', create('image'));

  router.get('/v1/tasks/:id', (req, res) => {
    stats.retrieves += 1;
    const task = tasks.get(req.params.id);
    if (task === undefined || task.deleted === true) return error(res, 404, 'Task not found');
    if (task.scenario === 'hang-poll') {
      stats.hungRequests += 1;
      return;
    }
    const shown = view(task, req);
    // Unfinished tasks carry the estimate, finished ones the cost: the credits when it succeeded, 0 (refunded) otherwise.
    const credits =
      shown.status === 'PENDING' || shown.status === 'THROTTLED' || shown.status === 'RUNNING'
        ? { estimatedCost: { credits: task.credits } }
        : { cost: { credits: shown.status === 'SUCCEEDED' ? task.credits : 0 } };
    res.json({ id: task.id, createdAt: new Date(task.createdAt).toISOString(), ...shown, ...credits });
  });

  router.delete('/v1/tasks/:id', (req, res) => {
    stats.deletes += 1;
    const task = tasks.get(req.params.id);
    if (task === undefined || task.deleted === true) return error(res, 404, 'Task not found');
    const status = view(task, req).status;
    // Running, pending or throttled tasks are cancelled; others are deleted and cannot be fetched again.
    if (status === 'PENDING' || status === 'THROTTLED' || status === 'RUNNING') task.cancelledAt = Date.now();
    else task.deleted = true;
    res.status(204).end();
  });

  router.use('/v1', (_req, res) => error(res, 404, 'Not found'));
  return router;
}
