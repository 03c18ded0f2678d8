import type { Config, Core, Logger, Metrics } from '@app/core';
import { FileVideoStorage } from './file-video-storage.js';
import {
  runwayProviderFromConfig,
  videoPipelineOptionsFromConfig,
  videoStorageDirFromConfig,
} from './options-from-config.js';
import { VideoJobStore } from './video-job-store.js';
import { videoMetrics } from './video-metrics.js';
import { VideoPipeline } from './video-pipeline.js';
import type { VideoProvider } from './video-provider.js';
import { VideoService } from './video-service.js';
import { WorkspaceStatusSink } from './workspace-status-sink.js';

/** The video parts of one process: what the apps serve (requests, stored videos) and the pipeline that runs jobs. */
export interface VideoNode {
  /** `video.generate` / `video.cancel` for the ws-server and the REST API. */
  requests: VideoService;
  /** What `GET /videos/<jobId>.mp4` reads. */
  videos: { jobs: VideoJobStore; storage: FileVideoStorage };
  pipeline: VideoPipeline;
  /** Stops polling and gives this node's leases up, so another node continues at once. */
  close(): Promise<void>;
}

export interface VideoNodeOptions {
  core: Pick<Core, 'connection' | 'service'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'registry'> | undefined;
  /** The provider; default the Runway adapter of the settings. */
  provider?: VideoProvider | undefined;
}

/**
 * The video pipeline of a process, from the settings: job store, storage, the Runway adapter, and a
 * sink that writes every status into the project's event log. The pipeline starts polling at once (it
 * takes over jobs whose lease expired, from any node). Undefined without a provider key: video
 * requests are then answered UNAVAILABLE, and stored videos are still served.
 */
export async function startVideoNode(config: Config, options: VideoNodeOptions): Promise<VideoNode | undefined> {
  const provider = options.provider ?? runwayProviderFromConfig(config);
  if (provider === undefined) {
    options.logger.warn('Video generation is off: RUNWAYML_API_SECRET is not set (pnpm start runs a simulator)');
    return undefined;
  }
  const jobs = await VideoJobStore.create(options.core.connection);
  const storage = new FileVideoStorage(videoStorageDirFromConfig(config));
  // A download cut short by a crash leaves a `.part` file; one older than any download can be is removed.
  const leftovers = await storage.removeLeftovers(config.VIDEO_DOWNLOAD_TIMEOUT_MS * 2).catch(() => 0);
  if (leftovers > 0) options.logger.info(`removed ${leftovers} partial video download(s) left by a previous run`);
  const pipeline = new VideoPipeline({
    ...videoPipelineOptionsFromConfig(config),
    store: jobs,
    provider,
    storage,
    sink: new WorkspaceStatusSink(options.core.service),
    logger: options.logger.child({ module: 'video' }),
    metrics: options.metrics === undefined ? undefined : videoMetrics(options.metrics.registry),
    runJobs: config.VIDEO_PIPELINE === 'on',
  });
  pipeline.start();
  return {
    requests: new VideoService({ service: options.core.service, pipeline, store: jobs }),
    videos: { jobs, storage },
    pipeline,
    close: () => pipeline.stop({ release: true }),
  };
}
