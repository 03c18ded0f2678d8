import type { Readable } from 'node:stream';
import { ProtocolError } from '@app/protocol';
import {
  ACTIVE_STATUSES,
  ProviderError,
  type HeldLease,
  type ProviderCallOptions,
  type ProviderTask,
  type StoredVideo,
  type VideoJob,
  type VideoProvider,
  type VideoRequest,
  type VideoStatusSink,
  type VideoStatusUpdate,
  type VideoStorage,
} from '../../src/index.js';
import type { JobStore } from '../../src/pipeline-context.js';
import type { JobOutcome, StepName, StepRecord, StepResult } from '../../src/video-job-steps.js';

/** A seeded random source (mulberry32): the same seed, the same run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FINAL = ['succeeded', 'failed', 'cancelled'];

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ProviderError({ code: 'ABORTED', retryable: false, message: 'aborted' }));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(new ProviderError({ code: 'ABORTED', retryable: false, message: 'aborted' }));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How often things go wrong (per call, 0 to 1), and how slow they are. */
export interface Faults {
  /** Store and sink calls that fail before doing anything. */
  dbFail: number;
  /** Store and sink calls that do their write, then lose the reply. */
  dbLost: number;
  /** Longest delay of one store call (ms). */
  dbDelayMs: number;
  /** Provider answers 429 / 503 before creating. */
  createRefused: number;
  /** Provider creates, then the reply is lost (the caller's timeout fires). */
  createLost: number;
  /** Polls that fail with a 5xx. */
  getFail: number;
  /** DELETEs that fail with a 5xx. */
  cancelFail: number;
  /** Downloads that fail; 1 = always. */
  downloadFail: number;
  /** Tasks whose state is one the adapter does not know, for a while. */
  unknownState: number;
  /** Longest delay of one provider call (ms). */
  providerDelayMs: number;
}

/** A node's I/O: paused until `pausedUntil` (a process stopped by the OS, a long GC): its calls land late. */
export class NodeGate {
  pausedUntil = 0;
  async pass(): Promise<void> {
    while (Date.now() < this.pausedUntil) await sleep(this.pausedUntil - Date.now());
  }
}

interface LeaseDoc {
  jobId: string;
  epoch: number;
  owner: string;
  expiresAt: number;
}
interface StepDoc {
  owner: string;
  epoch: number;
  at: Date;
  taskId?: string | null;
  outcome?: string;
}

/** The shared database: inserts with a unique key are atomic; a conditional update is not (FerretDB v1). */
export class MemoryDb {
  readonly jobs = new Map<string, VideoJob>();
  readonly leases = new Map<string, LeaseDoc>();
  readonly active = new Map<string, string>();
  readonly cancels = new Set<string>();
  readonly steps = new Map<string, StepDoc>();
  readonly slots = new Map<number, string>();

  constructor(
    readonly random: () => number,
    readonly faults: Faults,
  ) {}

  /** One call: a delay, maybe a failure before it, the node's pause, the write, maybe a lost reply. */
  async op<T>(gate: NodeGate, apply: () => T, write = true): Promise<T> {
    await sleep(Math.floor(this.random() * this.faults.dbDelayMs));
    if (this.random() < this.faults.dbFail) throw new Error('database unavailable (injected)');
    await gate.pass();
    const result = apply();
    if (write && this.random() < this.faults.dbLost) {
      await sleep(Math.floor(this.random() * this.faults.dbDelayMs));
      throw new Error('database reply lost (injected)');
    }
    return result;
  }

  /** A conditional update as FerretDB v1 runs it: the filter is read, the write lands later. */
  async conditional(gate: NodeGate, matches: () => boolean, apply: () => void): Promise<boolean> {
    await sleep(Math.floor(this.random() * this.faults.dbDelayMs));
    if (this.random() < this.faults.dbFail) throw new Error('database unavailable (injected)');
    const matched = matches();
    await sleep(Math.floor(this.random() * this.faults.dbDelayMs));
    await gate.pass();
    if (matched) apply();
    if (this.random() < this.faults.dbLost) throw new Error('database reply lost (injected)');
    return matched;
  }
}

function duplicate(): Error {
  return Object.assign(new Error('E11000 duplicate key (injected double)'), { code: 11000 });
}

/** One node's view of the shared database, as the pipeline uses it. */
export class MemoryStore implements JobStore {
  readonly steps: JobStore['steps'];

  constructor(
    private readonly db: MemoryDb,
    readonly nodeId: string,
    private readonly gate: NodeGate,
  ) {
    this.steps = {
      insert: (jobId, step, writer, data = {}) => this.insertStep(jobId, step, writer.epoch, data),
      get: (jobId, step) => this.db.op(this.gate, () => this.stepOf(jobId, step), false),
      takeSlot: (jobId, cap) => this.takeSlot(jobId, cap),
      releaseSlot: (jobId) =>
        this.db.op(this.gate, () => {
          for (const [slot, holder] of this.db.slots) if (holder === jobId) this.db.slots.delete(slot);
        }),
    };
  }

  private stepOf(jobId: string, step: StepName): StepRecord | undefined {
    const doc = this.db.steps.get(`${jobId}:${step}`);
    if (doc === undefined) return undefined;
    const record: StepRecord = { owner: doc.owner, epoch: doc.epoch, at: doc.at };
    if (doc.taskId !== undefined) record.taskId = doc.taskId;
    if (doc.outcome !== undefined) record.outcome = JSON.parse(doc.outcome) as JobOutcome;
    return record;
  }

  private async insertStep(
    jobId: string,
    step: StepName,
    epoch: number,
    data: { taskId?: string | null; outcome?: JobOutcome },
  ): Promise<StepResult> {
    const doc: StepDoc = { owner: this.nodeId, epoch, at: new Date() };
    if (data.taskId !== undefined) doc.taskId = data.taskId;
    if (data.outcome !== undefined) doc.outcome = JSON.stringify(data.outcome);
    try {
      await this.db.op(this.gate, () => {
        if (this.db.steps.has(`${jobId}:${step}`)) throw duplicate();
        this.db.steps.set(`${jobId}:${step}`, doc);
      });
      return { mine: true, record: this.stepOf(jobId, step)! };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 11000) throw error;
    }
    const stored = await this.db.op(this.gate, () => this.stepOf(jobId, step), false);
    return { mine: stored!.owner === this.nodeId && stored!.epoch === epoch, record: stored! };
  }

  private async takeSlot(jobId: string, cap: number): Promise<boolean> {
    for (let slot = 0; slot < cap; slot += 1) {
      const taken = await this.db.op(this.gate, () => {
        const holder = this.db.slots.get(slot);
        if (holder === jobId) return true;
        if ([...this.db.slots.values()].includes(jobId)) return true;
        if (holder !== undefined) return false;
        this.db.slots.set(slot, jobId);
        return true;
      });
      if (taken) return true;
    }
    return false;
  }

  reserveWorkspace(workspaceId: string, jobId: string): Promise<boolean> {
    return this.db.op(this.gate, () => {
      const current = this.db.active.get(workspaceId);
      if (current === undefined || current === jobId) {
        this.db.active.set(workspaceId, jobId);
        return true;
      }
      const job = this.db.jobs.get(current);
      if (job !== undefined && (ACTIVE_STATUSES as readonly string[]).includes(job.status)) return false;
      this.db.active.set(workspaceId, jobId); // like the store: a marker of an ended (or never written) job is taken over
      return true;
    });
  }

  releaseWorkspace(workspaceId: string, jobId: string): Promise<void> {
    return this.db.op(this.gate, () => {
      if (this.db.active.get(workspaceId) === jobId) this.db.active.delete(workspaceId);
    });
  }

  activeJobId(workspaceId: string): Promise<string | undefined> {
    return this.db.op(this.gate, () => this.db.active.get(workspaceId), false);
  }

  insert(job: VideoJob): Promise<void> {
    return this.db.op(this.gate, () => {
      if (this.db.jobs.has(job.id)) throw duplicate();
      this.db.jobs.set(job.id, structuredClone(job));
    });
  }

  get(jobId: string): Promise<VideoJob | undefined> {
    return this.db.op(
      this.gate,
      () => {
        const job = this.db.jobs.get(jobId);
        return job === undefined ? undefined : structuredClone(job);
      },
      false,
    );
  }

  update(jobId: string, patch: Partial<VideoJob>, epoch?: number): Promise<boolean> {
    return this.db.conditional(
      this.gate,
      () => {
        const job = this.db.jobs.get(jobId);
        if (job === undefined || !(ACTIVE_STATUSES as readonly string[]).includes(job.status)) return false;
        return epoch === undefined || job.leaseEpoch <= epoch;
      },
      () => {
        const job = this.db.jobs.get(jobId)!;
        for (const [key, value] of Object.entries(patch)) {
          if (value === undefined) delete (job as unknown as Record<string, unknown>)[key];
          else (job as unknown as Record<string, unknown>)[key] = value;
        }
        if (epoch !== undefined) job.leaseEpoch = epoch;
        job.updatedAt = new Date();
      },
    );
  }

  activeJobs(afterId?: string, limit = 500): Promise<VideoJob[]> {
    return this.db.op(
      this.gate,
      () =>
        [...this.db.jobs.values()]
          .filter((job) => (ACTIVE_STATUSES as readonly string[]).includes(job.status))
          .filter((job) => afterId === undefined || job.id > afterId)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, limit)
          .map((job) => structuredClone(job)),
      false,
    );
  }

  async claim(job: Pick<VideoJob, 'id' | 'leaseEpoch'>, leaseMs: number, marginMs = 0): Promise<HeldLease | undefined> {
    const current = await this.db.op(
      this.gate,
      () => {
        let epoch = Math.max(1, job.leaseEpoch);
        let found: LeaseDoc | undefined;
        for (;;) {
          const doc = this.db.leases.get(`${job.id}:${epoch}`);
          if (doc === undefined) return found;
          found = { ...doc };
          epoch += 1;
        }
      },
      false,
    );
    const now = Date.now();
    if (current !== undefined && current.expiresAt > now) return undefined;
    const epoch = Math.max(current?.epoch ?? 0, job.leaseEpoch) + 1;
    try {
      await this.db.op(this.gate, () => {
        if (this.db.leases.has(`${job.id}:${epoch}`)) throw duplicate();
        this.db.leases.set(`${job.id}:${epoch}`, {
          jobId: job.id,
          epoch,
          owner: this.nodeId,
          expiresAt: now + leaseMs + marginMs,
        });
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === 11000) return undefined;
      throw error;
    }
    await this.db.conditional(
      this.gate,
      () => (this.db.jobs.get(job.id)?.leaseEpoch ?? Infinity) < epoch,
      () => {
        this.db.jobs.get(job.id)!.leaseEpoch = epoch;
      },
    );
    return { jobId: job.id, epoch, validUntil: now + leaseMs };
  }

  async renew(lease: HeldLease, leaseMs: number, marginMs = 0): Promise<boolean> {
    const sentAt = Date.now();
    if (sentAt >= lease.validUntil) return false;
    const matched = await this.db.conditional(
      this.gate,
      () => this.db.leases.has(`${lease.jobId}:${lease.epoch}`),
      () => {
        const doc = this.db.leases.get(`${lease.jobId}:${lease.epoch}`);
        if (doc !== undefined) doc.expiresAt = sentAt + leaseMs + marginMs;
      },
    );
    if (!matched) {
      lease.validUntil = 0;
      return false;
    }
    if (Date.now() >= lease.validUntil) return false;
    lease.validUntil = sentAt + leaseMs;
    return true;
  }

  async release(lease: HeldLease): Promise<void> {
    lease.validUntil = 0;
    await this.db.op(this.gate, () => {
      const doc = this.db.leases.get(`${lease.jobId}:${lease.epoch}`);
      if (doc !== undefined) doc.expiresAt = 0;
    });
  }

  requestCancel(jobId: string): Promise<void> {
    return this.db.op(this.gate, () => {
      this.db.cancels.add(jobId);
    });
  }

  cancelRequested(jobId: string): Promise<boolean> {
    return this.db.op(this.gate, () => this.db.cancels.has(jobId), false);
  }

  dropLeases(jobId: string): Promise<void> {
    return this.db.op(this.gate, () => {
      for (const [key, doc] of this.db.leases) if (doc.jobId === jobId) this.db.leases.delete(key);
      this.db.cancels.delete(jobId);
    });
  }
}

interface SimTask {
  id: string;
  jobId: string;
  createdAt: number;
  queuedMs: number;
  runningMs: number;
  unknownMs: number;
  cancelledAt: number | undefined;
  /** A get answered SUCCEEDED: from then on we know it finished. */
  seenSucceeded: boolean;
}

/** The provider: tasks that run by the clock; records every create and DELETE. */
export class FakeProvider {
  readonly name = 'fake';
  readonly tasks = new Map<string, SimTask>();
  readonly violations: string[] = [];
  /** Called at each task creation (the test measures jobs in flight then). */
  onCreate: () => void = () => {};
  private next = 0;

  constructor(
    private readonly random: () => number,
    private readonly faults: Faults,
  ) {}

  /** One node's client of the provider (its calls wait while the node is paused). */
  client(gate: NodeGate): VideoProvider {
    return {
      name: this.name,
      create: (request, options) => this.create(gate, request, options),
      get: (taskId, options) => this.get(gate, taskId, options),
      cancel: (taskId, options) => this.cancel(gate, taskId, options),
    };
  }

  createsOf(jobId: string): number {
    return [...this.tasks.values()].filter((task) => task.jobId === jobId).length;
  }

  private async delay(gate: NodeGate, signal?: AbortSignal): Promise<void> {
    await sleep(Math.floor(this.random() * this.faults.providerDelayMs), signal);
    await gate.pass();
    if (signal?.aborted) throw new ProviderError({ code: 'ABORTED', retryable: false, message: 'aborted' });
  }

  private stateOf(task: SimTask, now: number): ProviderTask {
    const age = now - task.createdAt;
    if (task.cancelledAt !== undefined && task.cancelledAt < task.createdAt + task.queuedMs + task.runningMs) {
      return { state: 'cancelled' };
    }
    if (age < task.queuedMs) return { state: 'queued' };
    if (age < task.queuedMs + task.unknownMs) return { state: 'mystery' as ProviderTask['state'] };
    if (age < task.queuedMs + task.runningMs)
      return { state: 'running', progress: Math.min(1, age / (task.queuedMs + task.runningMs)) };
    return { state: 'succeeded', outputUrls: [`https://output.invalid/${task.id}.mp4`] };
  }

  private async create(
    gate: NodeGate,
    request: VideoRequest,
    options?: ProviderCallOptions,
  ): Promise<{ taskId: string }> {
    await this.delay(gate, options?.signal);
    if (this.random() < this.faults.createRefused) {
      throw new ProviderError({ code: 'PROVIDER_UNAVAILABLE', retryable: true, message: '503 (injected)' });
    }
    const id = `task-${(this.next += 1)}`;
    this.onCreate();
    this.tasks.set(id, {
      id,
      jobId: request.prompt ?? '',
      createdAt: Date.now(),
      queuedMs: 200 + Math.floor(this.random() * 800),
      runningMs: 500 + Math.floor(this.random() * 2_000),
      unknownMs: this.random() < this.faults.unknownState ? 300 : 0,
      cancelledAt: undefined,
      seenSucceeded: false,
    });
    if (this.random() < this.faults.createLost) {
      await sleep(60_000, options?.signal); // the reply never comes: the caller's timeout ends the call
    }
    return { taskId: id };
  }

  private async get(gate: NodeGate, taskId: string, options?: ProviderCallOptions): Promise<ProviderTask> {
    await this.delay(gate, options?.signal);
    if (this.random() < this.faults.getFail) {
      throw new ProviderError({ code: 'PROVIDER_UNAVAILABLE', retryable: true, message: '502 (injected)' });
    }
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new ProviderError({ code: 'NOT_FOUND', retryable: false, message: 'no such task' });
    const state = this.stateOf(task, Date.now());
    // Seen only when the answer reaches a caller still waiting (a request delivered after its caller gave up is not).
    if (state.state === 'succeeded' && options?.signal?.aborted !== true) task.seenSucceeded = true;
    return state;
  }

  private async cancel(gate: NodeGate, taskId: string, options?: ProviderCallOptions): Promise<void> {
    await this.delay(gate, options?.signal);
    if (this.random() < this.faults.cancelFail) {
      throw new ProviderError({ code: 'PROVIDER_UNAVAILABLE', retryable: true, message: '500 (injected)' });
    }
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new ProviderError({ code: 'NOT_FOUND', retryable: false, message: 'no such task' });
    if (task.seenSucceeded) this.violations.push(`DELETE of ${taskId} (job ${task.jobId}) after it was seen SUCCEEDED`);
    task.cancelledAt ??= Date.now();
  }

  /** Downloads of finished outputs (a `fetch` double). */
  fetchVideo = async (url: string, init: { signal: AbortSignal }): Promise<Response> => {
    await sleep(Math.floor(this.random() * this.faults.providerDelayMs), init.signal);
    if (this.random() < this.faults.downloadFail) return new Response('gone', { status: 403 });
    return new Response(new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112]), {
      status: 200,
      headers: { 'content-type': 'video/mp4', 'content-length': '8' },
    });
  };
}

/** The project log: the write path's rules for `video.status_update` (planVideoStatus), with injected faults. */
export class FakeLog implements VideoStatusSink {
  /** Per workspace: its current job and status, as the read model has it. */
  readonly video = new Map<string, { jobId: string; status: string }>();
  /** Every stored status per job, in order. */
  readonly stored = new Map<string, string[]>();

  constructor(
    private readonly db: MemoryDb,
    private readonly gate: NodeGate,
  ) {}

  /** Another node's connection to the same log. */
  on(gate: NodeGate): VideoStatusSink {
    return { record: (job, update) => this.write(gate, job, update) };
  }

  record(job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    return this.write(this.gate, job, update);
  }

  private write(gate: NodeGate, job: VideoJob, update: VideoStatusUpdate): Promise<void> {
    return this.db.op(gate, () => {
      const current = this.video.get(job.workspaceId);
      const ended = current === undefined || FINAL.includes(current.status);
      if (current?.jobId === job.id) {
        if (ended) throw new ProtocolError('CONFLICT', `Video job ${job.id} has ended`);
      } else if (update.status !== 'queued') {
        throw new ProtocolError('NOT_FOUND', `Video job ${job.id} is not this workspace's current job`);
      } else if (!ended) {
        throw new ProtocolError('CONFLICT', 'This workspace already has a video job in progress');
      }
      this.video.set(job.workspaceId, { jobId: job.id, status: update.status });
      const list = this.stored.get(job.id) ?? [];
      list.push(update.status);
      this.stored.set(job.id, list);
    });
  }
}

/** Storage in memory: checks size and emptiness like the file storage. */
export class MemoryStorage implements VideoStorage {
  readonly files = new Map<string, number>();

  async put(
    key: string,
    content: Readable | AsyncIterable<Uint8Array>,
    options: { maxBytes?: number } = {},
  ): Promise<StoredVideo> {
    let bytes = 0;
    for await (const chunk of content) bytes += (chunk as Uint8Array).length;
    if (bytes === 0) throw new Error('video is empty');
    if (bytes > (options.maxBytes ?? Infinity)) throw new Error('video too large');
    this.files.set(key, bytes);
    return { bytes, sha256: 'x'.repeat(64) };
  }
  size(key: string): Promise<number | undefined> {
    return Promise.resolve(this.files.get(key));
  }
  open(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  remove(key: string): Promise<void> {
    this.files.delete(key);
    return Promise.resolve();
  }
}
