import type { VideoJob } from './video-job.js';
import type { VideoStatusSink, VideoStatusUpdate } from './video-status-sink.js';

interface JobSlot {
  lastSentAt: number;
  lastStatus: string | undefined;
  pending: { job: VideoJob; update: VideoStatusUpdate } | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Every record of this job, in order. */
  chain: Promise<void>;
}

export interface StatusThrottleOptions {
  sink: VideoStatusSink;
  /** At most one progress-only update per job per this many ms (VIDEO_STATUS_INTERVAL_MS). */
  intervalMs: number;
  /** Called when the sink rejects (the update is dropped; later ones still go). */
  onError: (error: unknown, job: VideoJob) => void;
  now?: () => number;
}

/**
 * Progress without floods: a change of status, and the final status, always pass at once; updates that
 * only move progress pass at most once per `intervalMs` per job, the latest one winning (a held one is
 * sent when the interval ends, unless a newer update replaced it first).
 */
export class StatusThrottle {
  private readonly slots = new Map<string, JobSlot>();
  private readonly now: () => number;

  constructor(private readonly options: StatusThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves once this update went to the sink, or was held back (progress-only within the interval). */
  record(job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    let slot = this.slots.get(job.id);
    if (slot === undefined) {
      slot = {
        lastSentAt: -Infinity,
        lastStatus: undefined,
        pending: undefined,
        timer: undefined,
        chain: Promise.resolve(),
      };
      this.slots.set(job.id, slot);
    }
    const final = update.status === 'succeeded' || update.status === 'failed' || update.status === 'cancelled';
    const changed = update.status !== slot.lastStatus;
    const due = this.now() - slot.lastSentAt >= this.options.intervalMs;
    if (changed || final || due) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.pending = undefined;
      return this.send(slot, job, update, final);
    }
    slot.pending = { job, update };
    if (slot.timer === undefined) {
      const current = slot;
      current.timer = setTimeout(
        () => {
          current.timer = undefined;
          const pending = current.pending;
          current.pending = undefined;
          if (pending !== undefined) void this.send(current, pending.job, pending.update, false);
        },
        Math.max(0, slot.lastSentAt + this.options.intervalMs - this.now()),
      );
      current.timer.unref();
    }
    return Promise.resolve();
  }

  private send(slot: JobSlot, job: VideoJob, update: VideoStatusUpdate, final: boolean): Promise<void> {
    slot.lastSentAt = this.now();
    slot.lastStatus = update.status;
    slot.chain = slot.chain
      .then(() => this.options.sink.record(job, update))
      .catch((error: unknown) => this.options.onError(error, job));
    const sent = slot.chain;
    if (final) {
      void sent.then(() => {
        if (this.slots.get(job.id) === slot && slot.pending === undefined) this.slots.delete(job.id);
      });
    }
    return sent;
  }

  /** Forgets a job this node no longer polls (another node took it). */
  forget(jobId: string): void {
    const slot = this.slots.get(jobId);
    if (slot !== undefined) clearTimeout(slot.timer);
    this.slots.delete(jobId);
  }

  /** Waits for every update in flight and drops held ones (stopping). */
  async close(): Promise<void> {
    const chains = [...this.slots.values()].map((slot) => {
      clearTimeout(slot.timer);
      return slot.chain;
    });
    this.slots.clear();
    await Promise.all(chains);
  }
}
