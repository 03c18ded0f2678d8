/**
 * How a simulated Runway task behaves, chosen per request by a marker in its prompt text, e.g.
 * `a red fox [sim:safety]`. Without a marker: `ok`.
 */
export const RUNWAY_SCENARIOS = [
  /** PENDING -> RUNNING (progress steps) -> SUCCEEDED with one output URL. */
  'ok',
  /** PENDING -> THROTTLED (two steps) -> RUNNING -> SUCCEEDED. */
  'throttled',
  /** Every step ten times longer. */
  'slow',
  /** PENDING -> RUNNING -> FAILED with failureCode SAFETY.INPUT.TEXT (must not be retried). */
  'safety',
  /** PENDING -> RUNNING -> FAILED with failureCode INTERNAL.BAD_OUTPUT.CODE01 (retrying is allowed). */
  'fail',
  /** Create answers 429 with Retry-After (`[sim:429x3]`: the first three creates of this prompt), then as `ok`. */
  '429',
  /** Create answers 502 (`[sim:500x2]`: the first two creates of this prompt), then as `ok`. */
  '500',
  /** Create answers 500, an internal error Runway's retry table does not list (`[sim:internalx2]`), then as `ok`. */
  'internal',
  /** Create is never answered (the caller's timeout must end it). */
  'hang',
  /** Create works, every GET of the task is never answered. */
  'hang-poll',
] as const;
export type RunwayScenario = (typeof RUNWAY_SCENARIOS)[number];

const MARKER = /\[sim:([a-z0-9-]+?)(?:x(\d{1,3}))?\]/;

/** The scenario a prompt asks for, and how many times (for `429` / `500` / `internal`; default 1). */
export function scenarioOf(prompt: string): { scenario: RunwayScenario; times: number } {
  const match = MARKER.exec(prompt);
  const name = match?.[1];
  const scenario = (RUNWAY_SCENARIOS as readonly string[]).includes(name ?? '') ? (name as RunwayScenario) : 'ok';
  return { scenario, times: match?.[2] === undefined ? 1 : Number(match[2]) };
}
