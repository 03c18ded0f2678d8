import type { ServerEvent } from '@app/protocol';

interface Pending {
  seq: number;
  text: string | Buffer;
}

export interface SubscriptionDeps {
  projectId: string;
  send(text: string | Buffer): void;
  /** Reads stored events in (afterSeq, uptoSeq] to fill a gap. */
  fetch(afterSeq: number, uptoSeq: number): Promise<ServerEvent[]>;
  encode(event: ServerEvent): string;
  /** Called when the subscription cannot keep its guarantees (repair failed, buffer overflow). */
  fail(reason: 'repair-failed' | 'overflow', error?: unknown): void;
  maxBuffered: number;
}

/**
 * One connection's subscription to one project. Delivers events in seq order with no gaps or
 * duplicates: buffers while the subscribe reply is prepared, drops seqs already sent, and fills a
 * gap from the event log before delivering further.
 */
export class Subscription {
  private state: 'pending' | 'live' | 'repairing' | 'closed' = 'pending';
  private buffer: Pending[] = [];
  lastSeq = 0;

  constructor(private readonly deps: SubscriptionDeps) {}

  get projectId(): string {
    return this.deps.projectId;
  }

  /** Offers an event (already encoded once for every subscriber). */
  deliver(seq: number, text: string | Buffer): void {
    if (this.state === 'closed') return;
    if (this.state === 'live' && seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      this.deps.send(text);
      return;
    }
    if (this.state === 'live' && seq <= this.lastSeq) return;
    this.buffer.push({ seq, text });
    if (this.buffer.length > this.deps.maxBuffered) {
      this.close();
      this.deps.fail('overflow');
      return;
    }
    if (this.state === 'live') this.drain();
  }

  /** The subscribe reply went out, reflecting everything up to `seq`: start live delivery after it. */
  start(seq: number): void {
    if (this.state === 'closed') return;
    this.lastSeq = seq;
    this.state = 'live';
    this.drain();
  }

  /** True once live delivery started (the subscribe reply went out). */
  get started(): boolean {
    return this.state === 'live' || this.state === 'repairing';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    this.state = 'closed';
    this.buffer = [];
  }

  private drain(): void {
    this.buffer.sort((a, b) => a.seq - b.seq);
    while (this.buffer.length > 0) {
      const next = this.buffer[0]!;
      if (next.seq <= this.lastSeq) {
        this.buffer.shift();
      } else if (next.seq === this.lastSeq + 1) {
        this.buffer.shift();
        this.lastSeq = next.seq;
        this.deps.send(next.text);
      } else {
        void this.repair(next.seq - 1);
        return;
      }
    }
  }

  private async repair(uptoSeq: number): Promise<void> {
    this.state = 'repairing';
    try {
      const events = await this.deps.fetch(this.lastSeq, uptoSeq);
      if (this.state !== 'repairing') return;
      for (const event of events) {
        if (event.seq !== this.lastSeq + 1) break;
        this.lastSeq = event.seq;
        this.deps.send(this.deps.encode(event));
      }
      if (this.lastSeq < uptoSeq) throw new Error(`event log has no seq ${this.lastSeq + 1} of ${this.projectId}`);
      this.state = 'live';
      this.drain();
    } catch (error) {
      if (this.closed) return;
      this.close();
      this.deps.fail('repair-failed', error);
    }
  }
}
