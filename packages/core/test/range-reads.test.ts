// Reading K consecutive events costs about K / 64 queries (one `_id` list per aligned block of seqs),
// on FerretDB (with scripts/ferretdb-patches/0002, see indexed-queries.test.ts for the plans) and on
// MongoDB alike; concurrent readers of one range share the reads.
import mongoose, { type Connection, type mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createModels, type EventDoc, type Models } from '../src/db/models.js';
import { EventLog } from '../src/event-log.js';
import { BLOCK_EVENTS } from '../src/event-ranges.js';
import { InProcessBus } from '../src/bus/in-process.js';
import { silentLogger, testDbName } from '../src/testing.js';
import { WorkspaceService } from '../src/workspace-service.js';

const dbName = testDbName('ranges');
const P = 'long';
const EVENTS = 3_000;
let connection: Connection;
let models: Models;
const commands: mongo.CommandStartedEvent[] = [];

function event(seq: number): EventDoc {
  return {
    _id: EventLog.eventId(P, seq),
    projectId: P,
    seq,
    key: `~${P}:${seq}`,
    type: 'workspace.deleted',
    data: { id: `w${seq}`, pad: 'x'.repeat(seq % 200) },
    createdAt: new Date(seq),
  };
}

beforeAll(async () => {
  connection = mongoose.createConnection(inject('mongodbUri'), { dbName, autoCreate: false, monitorCommands: true });
  await connection.asPromise();
  models = await createModels(connection);
  const log = new EventLog(models);
  for (let seq = 1; seq <= EVENTS; seq += 500)
    expect((await log.appendMany(Array.from({ length: 500 }, (_, i) => event(seq + i)))).inserted).toBe(500);
  connection.getClient().on('commandStarted', (e) => commands.push(e));
}, 60_000);
afterAll(async () => {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
});

const eventReads = (): number =>
  commands.filter((e) => e.commandName === 'find' && (e.command as { find?: string }).find === 'events').length;
const seqs = (events: EventDoc[]): number[] => events.map((e) => e.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('reading a range of the log', () => {
  it('costs one query per block of 64 seqs, and returns every event in order', async () => {
    const log = new EventLog(models); // nothing in memory
    commands.length = 0;
    const read = await log.readAfter(P, 100, 2_500, 2_600);
    expect(seqs(read)).toEqual(range(101, 2_600));
    expect(read[7]).toEqual(event(108));
    // Blocks 2..41 (seqs 65..2,624): 40 queries, and 3 more for the first block, read in four parts
    // (64 events of up to 256 KiB each would make a reply past 16 MB) before the size of this project's events is known.
    expect(eventReads()).toBe(Math.ceil(2_600 / BLOCK_EVENTS) - Math.floor(100 / BLOCK_EVENTS) + 3);
  });

  it('past the head: stops at the first missing seq, with one query when the end is not known', async () => {
    const log = new EventLog(models);
    commands.length = 0;
    expect(seqs(await log.readAfter(P, EVENTS - 3, 500))).toEqual(range(EVENTS - 2, EVENTS));
    expect(eventReads()).toBe(4); // one block, in four parts: nothing is known of the size of the events yet
    commands.length = 0;
    expect(await log.readAfter(P, EVENTS, 500)).toEqual([]);
    expect(await log.findById(P, EVENTS + 1)).toBeNull();
    expect((await log.findById(P, 17))?.seq).toBe(17);
    expect(eventReads()).toBe(3);
  });

  it('shares the reads of concurrent readers of one range, wherever each starts', async () => {
    const log = new EventLog(models);
    commands.length = 0;
    const starts = Array.from({ length: 40 }, (_, i) => 1_000 + i * 7);
    const reads = await Promise.all(starts.map((after) => log.readAfter(P, after, 1_000, 2_000)));
    for (const [i, read] of reads.entries()) expect(seqs(read)).toEqual(range(starts[i]! + 1, 2_000));
    // 40 readers of about 1,000 events: each block of seqs 1,001..2,000 is read a few times at most
    // (a reader that comes to a block after its read ended takes it from memory or reads it again), not 40 times.
    const blocks = Math.ceil(2_000 / BLOCK_EVENTS) - Math.floor(1_000 / BLOCK_EVENTS);
    expect(eventReads()).toBeLessThanOrEqual(3 * blocks);
  });
});

describe('loading a workspace whose read model is behind a run of video statuses', () => {
  it('walks the log back a block at a time, not an event at a time', async () => {
    const p = 'video-walk';
    const id = `${p}-w`;
    const statuses = 400;
    const workspace = {
      id,
      projectId: p,
      name: 'W',
      position: 0,
      version: 1,
      data: {},
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
    };
    const events: EventDoc[] = [
      {
        _id: `${p}:1`,
        projectId: p,
        seq: 1,
        key: `~${p}:1`,
        type: 'workspace.created',
        data: { workspace },
        createdAt: new Date(1),
      },
      ...Array.from({ length: statuses }, (_, i) => ({
        _id: `${p}:${i + 2}`,
        projectId: p,
        seq: i + 2,
        key: `~${p}:${i + 2}`,
        type: 'video.status_update',
        data: { workspaceId: id, jobId: 'j', status: 'running', progress: i },
        createdAt: new Date(i + 2),
      })),
    ];
    expect((await new EventLog(models).appendMany(events)).inserted).toBe(events.length);
    // A crash left the read model without the workspace's document: its head names the last status.
    await models.Project.collection.insertOne({
      _id: p as never,
      epoch: 'e',
      seq: statuses + 1,
      order: [id],
      lastSeqs: { [id]: statuses + 1 },
      createdAt: new Date(0),
    });
    const reader = new WorkspaceService({
      models,
      bus: new InProcessBus(),
      logger: silentLogger(),
      projectionDelayMs: 0,
    });
    commands.length = 0;
    const { workspaces } = await reader.snapshot(p);
    expect(workspaces[0]).toMatchObject({ id, name: 'W', video: { jobId: 'j', progress: statuses - 1 } });
    expect(eventReads()).toBeLessThanOrEqual(Math.ceil(statuses / BLOCK_EVENTS) + 3);
    await reader.flush();
  });
});
