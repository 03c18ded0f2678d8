import { DAY_MS, createBudget, type Config, type Core, type Logger, type Metrics } from '@app/core';
import { CostRecordingProvider } from './cost-recording-provider.js';
import { FileVideoStorage } from './file-video-storage.js';
import {
  runwayProviderFromConfig,
  videoPipelineOptionsFromConfig,
  videoRetentionMsFromConfig,
  videoStorageDirFromConfig,
} from './options-from-config.js';
import { VideoJobCosts } from './video-job-costs.js';
import { VideoJobStore } from './video-job-store.js';
import { videoMetrics } from './video-metrics.js';
import { VideoPipeline } from './video-pipeline.js';
import { VideoRetention } from './video-retention.js';
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
  core: Pick<Core, 'connection' | 'service'> & Partial<Pick<Core, 'budgetStore'>>;
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
  const metrics = options.metrics === undefined ? undefined : videoMetrics(options.metrics.registry);
  // A download cut short by a crash leaves a `.part` file; one older than any download can be is removed.
  const leftovers = await storage.removeLeftovers(config.VIDEO_DOWNLOAD_TIMEOUT_MS * 2).catch(() => 0);
  if (leftovers > 0) options.logger.info(`removed ${leftovers} partial video download(s) left by a previous run`);
  const pipeline = new VideoPipeline({
    ...videoPipelineOptionsFromConfig(config),
    store: jobs,
    // What each task costs is booked on its job and in the metrics as the pipeline polls it.
    provider: new CostRecordingProvider(provider, {
      costs: new VideoJobCosts(jobs.models),
      metrics,
      logger: options.logger.child({ module: 'video' }),
    }),
    storage,
    sink: new WorkspaceStatusSink(options.core.service),
    logger: options.logger.child({ module: 'video' }),
    metrics,
    runJobs: config.VIDEO_PIPELINE === 'on',
  });
  pipeline.start();
  // Finished jobs and their files are removed VIDEO_RETENTION_DAYS after they ended (every node sweeps).
  const retention = new VideoRetention({
    models: jobs.models,
    storage,
    retentionMs: videoRetentionMsFromConfig(config),
    logger: options.logger.child({ module: 'video' }),
  });
  retention.start();
  return {
    requests: new VideoService({
      service: options.core.service,
      pipeline,
      store: jobs,
      dailyBudget: createBudget(
        {
          name: 'video-daily-per-subject',
          points: config.VIDEO_DAILY_LIMIT_PER_SUBJECT,
          durationMs: DAY_MS,
          message: 'You have started as many videos as a day allows; more tomorrow',
        },
        options.core.budgetStore ?? { kind: 'database', connection: options.core.connection },
        { registry: options.metrics?.registry },
      ),
    }),
    videos: { jobs, storage },
    pipeline,
    close: async () => {
      await retention.stop();
      await pipeline.stop({ release: true });
    },
  };
}
