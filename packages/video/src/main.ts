import { createMetrics, runServerProcess } from '@app/core';
import { startVideoNode } from './video-node.js';

// A video worker: the pipeline alone, as its own process (`pnpm --filter @app/video worker`), with the
// server's settings (MONGODB_URI, REDIS_URL, RUNWAYML_*, VIDEO_*). It takes the jobs that servers with
// VIDEO_PIPELINE=off queue, and every job whose lease expired; run it on as many nodes as needed (one
// lease holder polls each job). Its statuses are events of the project's log, published on the bus,
// so every server's subscribers get them. On SIGTERM it gives its leases up for another worker.
await runServerProcess({
  name: 'Video worker',
  async start({ config, logger, core }) {
    const video = await startVideoNode({ ...config, VIDEO_PIPELINE: 'on' }, { core, logger, metrics: createMetrics() });
    if (video === undefined) throw new Error('RUNWAYML_API_SECRET is not set: a video worker needs a provider key');
    return [{ name: 'Video worker', url: `node ${video.pipeline.nodeId}`, close: video.close }];
  },
});
