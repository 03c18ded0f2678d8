export { ProviderError, type ProviderErrorInit } from './provider-error.js';
export type {
  CreatedTask,
  ProviderCallOptions,
  ProviderTask,
  ProviderTaskState,
  VideoProvider,
  VideoRequest,
} from './video-provider.js';
export {
  RunwayProvider,
  createErrorOf,
  providerErrorOf,
  runwayBody,
  taskFailure,
  type RunwayProviderOptions,
} from './runway-provider.js';
export { CostRecordingProvider, type CostRecordingOptions } from './cost-recording-provider.js';
export { VideoJobCosts } from './video-job-costs.js';
export { workspaceJobs } from './video-job-history.js';
export {
  ACTIVE_STATUSES,
  FINAL_STATUSES,
  isFinal,
  publicStatus,
  videoUrlOf,
  type StoredJobStatus,
  type VideoJob,
  type VideoJobError,
  type VideoJobStatus,
} from './video-job.js';
export { createVideoModels, type VideoModels, type VideoJobDoc, type VideoLeaseDoc } from './video-job-models.js';
export { VideoJobStore, type HeldLease } from './video-job-store.js';
export type { ByteRange, StoredVideo, VideoStorage } from './video-storage.js';
export { FileVideoStorage } from './file-video-storage.js';
export type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';
export { StatusThrottle, type StatusThrottleOptions } from './status-throttle.js';
export { backoffMs, type BackoffOptions } from './backoff.js';
export { videoMetrics, type VideoMetrics } from './video-metrics.js';
export { VideoPipeline, type VideoPipelineOptions, type VideoSubmission } from './video-pipeline.js';
export {
  runwayProviderFromConfig,
  videoPipelineOptionsFromConfig,
  videoRetentionMsFromConfig,
  videoStorageDirFromConfig,
} from './options-from-config.js';
export { VideoRetention, type VideoRetentionOptions } from './video-retention.js';
export { toStatusEventData, toVideoJobInfo } from './wire-shapes.js';
export { VideoService, jobIdOf, type VideoServiceOptions } from './video-service.js';
export { WorkspaceStatusSink } from './workspace-status-sink.js';
export { startVideoNode, type VideoNode, type VideoNodeOptions } from './video-node.js';
