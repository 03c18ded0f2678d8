import { CellCounter, CellHistogram, type Metrics } from '@app/core';

/** prompt.enhance's own series, on the process's registry (GET /metrics), for WebSocket and REST callers alike. */
export interface PromptMetrics {
  /** Time from a request to its answer or error, by outcome (`ok` or the error code). */
  latency: CellHistogram;
  /** Failed requests by error code (RATE_LIMITED, UNAVAILABLE, PROVIDER_ERROR, ...). */
  errors: CellCounter;
}

/** Registers the series once per registry (a second call on the same registry throws, as prom-client does). */
export function createPromptMetrics(registry: Metrics['registry']): PromptMetrics {
  const registers = [registry];
  return {
    latency: new CellHistogram({
      name: 'prompt_enhance_duration_seconds',
      help: 'Time to answer prompt.enhance, by outcome (ok or the error code)',
      labelName: 'outcome',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    }),
    errors: new CellCounter({
      name: 'prompt_enhance_errors_total',
      help: 'prompt.enhance requests that failed, by error code',
      labelName: 'code',
      registers,
    }),
  };
}
