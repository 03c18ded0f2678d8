import type { EventDoc, Models } from './db/models.js';

/** Append-only, per-project event log with seq as `_id` suffix: a seq can never be stored twice. */
export class EventLog {
  constructor(private readonly models: Models) {}

  static eventId(projectId: string, seq: number): string {
    return `${projectId}:${seq}`;
  }

  static requestKey(subject: string, requestId: string): string {
    return JSON.stringify([subject, requestId]);
  }

  /** Stores an event; throws E11000 when its seq or idempotency key is taken. Resolves once durable. */
  async append(event: EventDoc): Promise<void> {
    await this.models.Event.collection.insertOne(event as never, { writeConcern: { w: 'majority', j: true } });
  }

  async findByKey(key: string): Promise<EventDoc | null> {
    return this.models.Event.findOne({ key }).lean<EventDoc>().exec();
  }

  /** Events with seq in (afterSeq, uptoSeq], in order; at most `limit`. */
  async readAfter(projectId: string, afterSeq: number, limit: number, uptoSeq?: number): Promise<EventDoc[]> {
    const seq = uptoSeq === undefined ? { $gt: afterSeq } : { $gt: afterSeq, $lte: uptoSeq };
    return this.models.Event.find({ projectId, seq }).sort({ seq: 1 }).limit(limit).lean<EventDoc[]>().exec();
  }

  async latestSeq(projectId: string): Promise<number> {
    const last = await this.models.Event.findOne({ projectId }).sort({ seq: -1 }).select({ seq: 1 }).lean<Pick<EventDoc, 'seq'>>().exec();
    return last?.seq ?? 0;
  }

  /** Ids of projects that have events (used by the start-up repair). */
  async projectIds(): Promise<string[]> {
    return (await this.models.Event.distinct('projectId').exec()) as string[];
  }
}
