import { join } from 'node:path';
import type { Config } from '@app/core';
import { RunwayProvider } from './runway-provider.js';
import type { VideoPipelineOptions } from './video-pipeline.js';

/** The pipeline's timings from the settings (VIDEO_*): the one place that knows both. */
export function videoPipelineOptionsFromConfig(
  config: Pick<
    Config,
    | 'VIDEO_POLL_MS'
    | 'VIDEO_STATUS_INTERVAL_MS'
    | 'VIDEO_LEASE_MS'
    | 'VIDEO_JOB_TIMEOUT_MS'
    | 'VIDEO_DOWNLOAD_TIMEOUT_MS'
    | 'VIDEO_PROVIDER_TIMEOUT_MS'
    | 'VIDEO_MAX_IN_FLIGHT'
    | 'VIDEO_MAX_BYTES'
  >,
): Pick<
  VideoPipelineOptions,
  | 'pollMs'
  | 'statusIntervalMs'
  | 'leaseMs'
  | 'jobTimeoutMs'
  | 'downloadTimeoutMs'
  | 'providerTimeoutMs'
  | 'maxInFlight'
  | 'maxVideoBytes'
> {
  return {
    providerTimeoutMs: config.VIDEO_PROVIDER_TIMEOUT_MS,
    maxInFlight: config.VIDEO_MAX_IN_FLIGHT,
    maxVideoBytes: config.VIDEO_MAX_BYTES,
    pollMs: config.VIDEO_POLL_MS,
    statusIntervalMs: config.VIDEO_STATUS_INTERVAL_MS,
    leaseMs: config.VIDEO_LEASE_MS,
    jobTimeoutMs: config.VIDEO_JOB_TIMEOUT_MS,
    downloadTimeoutMs: config.VIDEO_DOWNLOAD_TIMEOUT_MS,
  };
}

/** Where finished videos are stored: VIDEO_STORAGE_DIR, or `videos` under DATA_DIR. */
export function videoStorageDirFromConfig(config: Pick<Config, 'VIDEO_STORAGE_DIR' | 'DATA_DIR'>): string {
  return config.VIDEO_STORAGE_DIR ?? join(config.DATA_DIR, 'videos');
}

/**
 * The Runway adapter the settings describe (RUNWAYML_API_SECRET, RUNWAYML_BASE_URL, VIDEO_PROVIDER_TIMEOUT_MS);
 * undefined without a key (`pnpm start` then sets both to its simulator's).
 */
export function runwayProviderFromConfig(
  config: Pick<Config, 'RUNWAYML_API_SECRET' | 'RUNWAYML_BASE_URL' | 'VIDEO_PROVIDER_TIMEOUT_MS'>,
): RunwayProvider | undefined {
  if (config.RUNWAYML_API_SECRET === undefined) return undefined;
  return new RunwayProvider({
    apiKey: config.RUNWAYML_API_SECRET,
    baseUrl: config.RUNWAYML_BASE_URL,
    timeoutMs: config.VIDEO_PROVIDER_TIMEOUT_MS,
  });
}

/** VIDEO_RETENTION_DAYS in ms: how long a finished job and its file are kept. */
export function videoRetentionMsFromConfig(config: Pick<Config, 'VIDEO_RETENTION_DAYS'>): number {
  return Math.round(config.VIDEO_RETENTION_DAYS * 86_400_000);
}
