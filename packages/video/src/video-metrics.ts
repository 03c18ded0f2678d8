import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The pipeline's metrics, registered on the process's one registry (served at GET /metrics). */
export interface VideoMetrics {
  /** Jobs that reached each status (queued at submit, then every change). */
  jobs: Counter<'status'>;
  /** Jobs this node polls right now. */
  jobsPolled: Gauge;
  /** Time of each provider call, by operation (create, get, cancel, download). */
  providerLatency: Histogram<'operation'>;
  /** Failed provider calls, by error code. */
  providerErrors: Counter<'code'>;
  /** How late each poll ran after it was due. */
  pollLag: Histogram;
  /** Provider credits the finished jobs cost, by the subject who asked for them. */
  creditsSpent: Counter<'subject'>;
}

const cache = new WeakMap<Registry, VideoMetrics>();

/** The video metrics of a registry (created once per registry). */
export function videoMetrics(registry: Registry): VideoMetrics {
  const found = cache.get(registry);
  if (found !== undefined) return found;
  const registers = [registry];
  const metrics: VideoMetrics = {
    jobs: new Counter({
      name: 'video_jobs_total',
      help: 'Video jobs entering each status',
      labelNames: ['status'],
      registers,
    }),
    jobsPolled: new Gauge({ name: 'video_jobs_polled', help: 'Video jobs this node holds the lease of', registers }),
    providerLatency: new Histogram({
      name: 'video_provider_request_seconds',
      help: 'Video provider call latency, by operation',
      labelNames: ['operation'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    providerErrors: new Counter({
      name: 'video_provider_errors_total',
      help: 'Failed video provider calls, by error code',
      labelNames: ['code'],
      registers,
    }),
    pollLag: new Histogram({
      name: 'video_poll_lag_seconds',
      help: 'How late a video job poll ran after it was due',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    creditsSpent: new Counter({
      name: 'video_credits_spent_total',
      help: 'Provider credits charged for finished video jobs, by the subject who asked for them',
      labelNames: ['subject'],
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
