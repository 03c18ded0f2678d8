import type { ServerEvent } from '@app/protocol';

interface Held {
  seq: number;
  text: string | Buffer;
}

export interface SubscriptionDeps {
  projectId: string;
  send(text: string | Buffer): void;
  /** Reads stored events in (afterSeq, uptoSeq], in order, at most `limit` of them. */
  fetch(afterSeq: number, uptoSeq: number, limit: number): Promise<ServerEvent[]>;
  encode(event: ServerEvent): string;
  /** Called when the subscription cannot keep its guarantees (repair failed, too far behind). */
  fail(reason: 'repair-failed' | 'overflow', error?: unknown): void;
  /**
   * Most live events the subscription may be behind its project (held or left in the log) before it
   * fails with 'overflow', counted from where it starts (a replay it answers with does not count).
   */
  maxBuffered: number;
  /**
   * Backpressure (default: always writable): whether the connection takes another event now, and a
   * way to be called once when it does again.
   */
  writable?(): boolean;
  onWritable?(wake: () => void): void;
  /**
   * Claims `bytes` of the connection's budget for events held in memory; false when it is spent (the
   * event is then read from the log when its turn comes). Default: always granted.
   */
  reserve?(bytes: number): boolean;
  /** Gives back bytes claimed with `reserve`. */
  release?(bytes: number): void;
  /** Tells the connection how many bytes of events it owes the peer more (or fewer, when negative). */
  owe?(bytes: number): void;
}

/** Bytes one read of the event log aims at (the number of events per read follows the sizes seen). */
const READ_CHUNK_BYTES = 512 * 1024;
const MAX_READ_EVENTS = 256;

/**
 * One connection's subscription to one project. Delivers events in seq order with no gaps or
 * duplicates: holds live events while the subscribe reply is prepared, drops seqs already sent, and
 * reads what it lacks from the event log before delivering further.
 *
 * It never writes faster than the peer reads: an event goes to the socket only when the connection
 * is writable; until then events wait here, up to the connection's byte budget, and past it only
 * their seq is known and they are read back from the log (in chunks bounded by bytes) when the peer
 * has taken what came before. A replay (`catchUp`) is the same loop with a target seq.
 */
export class Subscription {
  private state: 'pending' | 'live' | 'closed' = 'pending';
  /** Held events past `lastSeq`, in seq order. */
  private held: Held[] = [];
  /** Sizes of events known past `lastSeq` that are not held (they are read from the log). */
  private owedInLog = new Map<number, number>();
  /** Highest seq known to exist. */
  private knownSeq = 0;
  /**
   * Where the subscription starts: the seq before the first live event it was offered, or the end
   * of the replay or snapshot it answers with, whichever is lower. What the peer asked for (a replay
   * up to here) is never counted against it; only what arrives live past this point is.
   */
  private startSeq: number | undefined;
  /** While pending: deliver up to this seq (a replay), then wait for `start`. */
  private target = 0;
  private reading = false;
  private waiting = false;
  private readEvents = 16;
  /** Bytes the rest of a replay is estimated at (events left x their average size so far), reported with `owe`. */
  private replayOwed = 0;
  private catchingUp: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** Seq of the last event sent. */
  lastSeq = 0;

  constructor(private readonly deps: SubscriptionDeps) {}

  get projectId(): string {
    return this.deps.projectId;
  }

  /** True once live delivery started (the subscribe reply went out). */
  get started(): boolean {
    return this.state === 'live';
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Offers an event (already encoded once for every subscriber). */
  deliver(seq: number, text: string | Buffer): void {
    if (this.state === 'closed' || seq <= this.lastSeq) return;
    if (seq > this.knownSeq) this.knownSeq = seq;
    if (this.startSeq === undefined) this.startSeq = seq - 1;
    if (
      this.state === 'live' &&
      seq === this.lastSeq + 1 &&
      this.held.length === 0 &&
      this.owedInLog.size === 0 &&
      this.idle() &&
      this.isWritable()
    ) {
      this.lastSeq = seq;
      this.deps.send(text);
      return;
    }
    if (this.behind() > this.deps.maxBuffered) {
      this.close();
      this.deps.fail('overflow');
      return;
    }
    if (!this.hold(seq, text)) return;
    this.run();
  }

  /**
   * Sends the stored events in (fromSeq, uptoSeq] (from the log, or from what is held), at the pace
   * the peer reads; resolves once the last is handed to the socket. Live events stay held meanwhile.
   */
  catchUp(fromSeq: number, uptoSeq: number): Promise<void> {
    if (this.state !== 'pending') return Promise.reject(new Error('subscription is not pending'));
    this.lastSeq = fromSeq;
    this.dropUpTo(fromSeq);
    this.target = uptoSeq;
    this.noteStart(uptoSeq);
    if (uptoSeq > this.knownSeq) this.knownSeq = uptoSeq;
    const done = new Promise<void>((resolve, reject) => {
      this.catchingUp = { resolve, reject };
    });
    this.run();
    return done;
  }

  /** The subscribe reply went out, reflecting everything up to `seq`: start live delivery after it. */
  start(seq: number): void {
    if (this.state === 'closed') return;
    this.noteStart(seq);
    this.lastSeq = seq;
    this.dropUpTo(seq);
    this.state = 'live';
    this.run();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dropUpTo(Number.POSITIVE_INFINITY);
    this.estimateReplay(0);
    const catchingUp = this.catchingUp;
    this.catchingUp = undefined;
    catchingUp?.reject(new Error('subscription closed'));
  }

  /**
   * Live events the peer is behind: those known past both what it was sent and where the
   * subscription started (so neither the wait for the snapshot nor a replay it asked for counts).
   */
  private behind(): number {
    return this.knownSeq - Math.max(this.lastSeq, this.startSeq ?? this.knownSeq);
  }

  private noteStart(seq: number): void {
    if (this.startSeq === undefined || seq < this.startSeq) this.startSeq = seq;
  }

  private idle(): boolean {
    return !this.reading && !this.waiting;
  }

  private isWritable(): boolean {
    return this.deps.writable?.() ?? true;
  }

  /** Keeps an event for later (in memory within the budget, else only its seq); false when it is known already. */
  private hold(seq: number, text: string | Buffer): boolean {
    if (this.owedInLog.has(seq)) return false;
    let index = this.held.length;
    while (index > 0 && this.held[index - 1]!.seq > seq) index -= 1;
    if (index > 0 && this.held[index - 1]!.seq === seq) return false;
    this.deps.owe?.(text.length);
    if (this.deps.reserve?.(text.length) ?? true) this.held.splice(index, 0, { seq, text });
    else this.owedInLog.set(seq, text.length);
    return true;
  }

  /** Forgets what is held or owed up to `seq` (sent, or reflected in the reply). */
  private dropUpTo(seq: number): void {
    let count = 0;
    let bytes = 0;
    while (count < this.held.length && this.held[count]!.seq <= seq) {
      bytes += this.held[count]!.text.length;
      count += 1;
    }
    if (count > 0) {
      this.held.splice(0, count);
      this.deps.release?.(bytes);
    }
    for (const [owedSeq, size] of this.owedInLog) {
      if (owedSeq > seq) continue;
      this.owedInLog.delete(owedSeq);
      bytes += size;
    }
    if (bytes > 0) this.deps.owe?.(-bytes);
  }

  /** Sends what it can now; starts a log read or waits for the peer when it cannot. */
  private run(): void {
    if (this.state === 'closed' || !this.idle()) return;
    const limit = this.state === 'live' ? Number.POSITIVE_INFINITY : this.target;
    for (;;) {
      const end = Math.min(limit, this.knownSeq);
      if (this.lastSeq >= end) {
        if (this.state === 'pending' && this.lastSeq >= this.target) this.caughtUp();
        return;
      }
      if (!this.isWritable()) {
        this.waiting = true;
        this.deps.onWritable?.(() => {
          this.waiting = false;
          this.run();
        });
        return;
      }
      const next = this.held[0];
      if (next !== undefined && next.seq === this.lastSeq + 1) {
        this.sendNext(next.seq, next.text);
        continue;
      }
      void this.read(Math.min(next === undefined ? end : next.seq - 1, end));
      return;
    }
  }

  private sendNext(seq: number, text: string | Buffer): void {
    this.lastSeq = seq;
    this.dropUpTo(seq);
    this.deps.send(text);
  }

  /** Reports the bytes the rest of the replay is estimated at (so a peer that stops reading a replay counts as owed it). */
  private estimateReplay(bytes: number): void {
    if (bytes === this.replayOwed) return;
    const delta = bytes - this.replayOwed;
    this.replayOwed = bytes;
    this.deps.owe?.(delta);
  }

  private caughtUp(): void {
    this.estimateReplay(0);
    const catchingUp = this.catchingUp;
    this.catchingUp = undefined;
    catchingUp?.resolve();
  }

  /** Reads the next chunk of (lastSeq, uptoSeq] from the log and sends it. */
  private async read(uptoSeq: number): Promise<void> {
    this.reading = true;
    try {
      const events = await this.deps.fetch(this.lastSeq, uptoSeq, this.readEvents);
      if (this.state === 'closed') return;
      const before = this.lastSeq;
      let bytes = 0;
      for (const event of events) {
        if (event.seq <= this.lastSeq) continue;
        if (event.seq !== this.lastSeq + 1 || this.closed) break;
        const text = this.deps.encode(event);
        bytes += text.length;
        this.sendNext(event.seq, text);
      }
      if (this.lastSeq === before) throw new Error(`event log has no seq ${this.lastSeq + 1} of ${this.projectId}`);
      // Aim the next read at READ_CHUNK_BYTES, whatever the size of this project's events.
      const average = Math.max(1, bytes / (this.lastSeq - before));
      this.readEvents = Math.max(1, Math.min(MAX_READ_EVENTS, Math.floor(READ_CHUNK_BYTES / average)));
      if (this.catchingUp !== undefined)
        this.estimateReplay(Math.max(0, this.target - this.lastSeq) * Math.round(average));
    } catch (error) {
      this.reading = false;
      if (this.state === 'closed') return;
      const catchingUp = this.catchingUp;
      this.catchingUp = undefined;
      this.close();
      if (catchingUp !== undefined) catchingUp.reject(error);
      else this.deps.fail('repair-failed', error);
      return;
    }
    this.reading = false;
    this.run();
  }
}
