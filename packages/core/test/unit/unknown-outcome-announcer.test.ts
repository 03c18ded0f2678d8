// After a write of unknown outcome, the announcer reads and publishes only the seqs its batch planned,
// however long the log has grown past them meanwhile (it used to read everything after the batch's
// start, up to 10,000 events of up to 256 KiB each, into one array, inside the project's queue).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerEvent } from '@app/protocol';
import type { EventDoc } from '../../src/db/models.js';
import type { EventLog } from '../../src/event-log.js';
import { silentLogger } from '../../src/testing.js';
import { UnknownOutcomeAnnouncer } from '../../src/write-path/unknown-outcome-announcer.js';

const P = 'p';
const HEAD = 5_000;

function event(seq: number): EventDoc {
  return {
    _id: `${P}:${seq}`,
    projectId: P,
    seq,
    key: `~${P}:${seq}`,
    type: 'workspace.deleted',
    data: { id: `w${seq}` },
    createdAt: new Date(seq),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('UnknownOutcomeAnnouncer', () => {
  it("reads and publishes only its batch's seqs, not the log after them", async () => {
    vi.useFakeTimers();
    const reads: { afterSeq: number; limit: number; uptoSeq: number | undefined }[] = [];
    const log = {
      readAfter: async (projectId: string, afterSeq: number, limit: number, uptoSeq?: number) => {
        reads.push({ afterSeq, limit, uptoSeq });
        const last = Math.min(HEAD, uptoSeq ?? HEAD, afterSeq + limit);
        return Array.from({ length: Math.max(0, last - afterSeq) }, (_, i) => event(afterSeq + 1 + i));
      },
    } as unknown as EventLog;
    const published: ServerEvent[] = [];
    // The project's queue and caught-up state (the log's head is far past the batch).
    const queue = { run: (_key: string, task: () => Promise<unknown>) => task() };
    const states = { caughtUp: async () => ({ seq: HEAD }) };
    const announcer = new UnknownOutcomeAnnouncer({
      log,
      bus: { publish: (e: ServerEvent) => published.push(e) } as never,
      logger: silentLogger(),
      isAvailable: () => true,
      maxEvents: 10_000,
      ...({ queue, states } as object),
    });
    announcer.announceAfter(P, 100, 3); // a batch of seqs 101..103
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published.map((e) => e.seq)).toEqual([101, 102, 103]);
    expect(reads.every((read) => (read.uptoSeq ?? Infinity) <= 103 && read.limit <= 3)).toBe(true);
  });
});
