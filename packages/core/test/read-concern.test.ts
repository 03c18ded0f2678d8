// Events are written `w: majority`; on a replica set they are read with read concern `majority` too
// (an event read with `local` can be rolled back by a failover and replaced by another of the same
// seq). No replica set runs here, so the choice is checked on the driver's view of a deployment, and
// the command a majority read sends is checked with command monitoring on the embedded database.
import mongoose, { type Connection, type mongo } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createModels, type EventDoc, type Models } from '../src/db/models.js';
import { eventReadConcernOf, readConcernFor } from '../src/db/read-concern.js';
import { EventLog } from '../src/event-log.js';
import { testDbName } from '../src/testing.js';

const dbName = testDbName('rc');
let connection: Connection;
let models: Models;
const commands: mongo.CommandStartedEvent[] = [];

beforeAll(async () => {
  connection = mongoose.createConnection(inject('mongodbUri'), { dbName, autoCreate: false, monitorCommands: true });
  await connection.asPromise();
  models = await createModels(connection);
  const event: EventDoc = {
    _id: 'p:1',
    projectId: 'p',
    seq: 1,
    key: '~p:1',
    type: 'workspace.deleted',
    data: { id: 'w' },
    createdAt: new Date(0),
  };
  await new EventLog(models).appendMany([event]);
  connection.getClient().on('commandStarted', (e) => commands.push(e));
});
afterAll(async () => {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
});

const eventFinds = () =>
  commands
    .filter((e) => e.commandName === 'find' && (e.command as { find?: string }).find === 'events')
    .map((e) => e.command as { readConcern?: { level?: string } });

describe('the read concern of event reads', () => {
  it('is majority when a server names a replica set, the default otherwise', () => {
    expect(readConcernFor(['rs0'])).toBe('majority');
    expect(readConcernFor([null, 'rs0'])).toBe('majority');
    expect(readConcernFor([null])).toBeUndefined();
    expect(readConcernFor([])).toBeUndefined();
    // The embedded database is a single server.
    expect(eventReadConcernOf(connection)).toBeUndefined();
  });

  it('is sent with every event read on a replica set (majority), and not on a single server', async () => {
    commands.length = 0;
    const majority = new EventLog(models, undefined, { readConcern: 'majority' });
    expect((await majority.readAfter('p', 0, 10, 1)).map((e) => e.seq)).toEqual([1]);
    expect(await majority.findById('p', 2)).toBeNull();
    expect(eventFinds().length).toBeGreaterThanOrEqual(2);
    expect(eventFinds().every((find) => find.readConcern?.level === 'majority')).toBe(true);

    commands.length = 0;
    const single = new EventLog(models);
    expect((await single.readAfter('p', 0, 10, 1)).map((e) => e.seq)).toEqual([1]);
    expect(eventFinds().length).toBeGreaterThanOrEqual(1);
    expect(eventFinds().every((find) => find.readConcern === undefined)).toBe(true);
  });
});
