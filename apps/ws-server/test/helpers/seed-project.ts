import type { Core } from '@app/core';
import { randomUUID } from 'node:crypto';

export interface SeededProject {
  projectId: string;
  workspaceId: string;
  /** The head: seq of the last event stored. */
  seq: number;
}

const EVENTS_PER_INSERT = 2_000;

/**
 * Writes what the server would have stored for a project of `events` events (the first creates one
 * workspace, the rest update it), in the form `@app/core` stores them, with bulk inserts straight
 * into the database: a long-lived project in seconds instead of thousands of round trips. Run it
 * before anything reads the project (the server loads it on first use).
 */
export async function seedProject(core: Core, projectId: string, events: number): Promise<SeededProject> {
  const db = core.connection.db!;
  const workspaceId = `${projectId}-w0`;
  const createdAt = new Date(Date.UTC(2026, 0, 1));
  let batch: Record<string, unknown>[] = [];
  let requests: Record<string, unknown>[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await Promise.all([
      db.collection('events').insertMany(batch as never[], { ordered: false }),
      db.collection('requests').insertMany(requests as never[], { ordered: false }),
    ]);
    batch = [];
    requests = [];
  };
  const workspaceAt = (seq: number) => ({
    id: workspaceId,
    projectId,
    name: 'seeded',
    position: 0,
    version: seq,
    data: { prompt: `prompt ${seq}` },
    createdAt: createdAt.toISOString(),
    updatedAt: new Date(createdAt.getTime() + seq).toISOString(),
  });
  for (let seq = 1; seq <= events; seq += 1) {
    const key = JSON.stringify(['seed', `${projectId}:${seq}`]);
    batch.push({
      _id: `${projectId}:${seq}`,
      projectId,
      seq,
      key,
      type: seq === 1 ? 'workspace.created' : 'workspace.updated',
      data: JSON.stringify({ workspace: workspaceAt(seq) }),
      origin: JSON.stringify({ sessionId: 'seed', requestId: `${projectId}:${seq}` }),
      createdAt: new Date(createdAt.getTime() + seq),
    });
    requests.push({ _id: key, projectId, seq });
    if (batch.length >= EVENTS_PER_INSERT) await flush();
  }
  await flush();
  const last = workspaceAt(events);
  await db.collection('workspaces').insertOne({
    _id: workspaceId as never,
    projectId,
    name: last.name,
    version: events,
    data: JSON.stringify(last.data),
    createdAt,
    updatedAt: new Date(last.updatedAt),
    lastSeq: events,
  });
  await db.collection('directory').insertOne({ _id: workspaceId as never, projectId });
  await db.collection('projects').insertOne({
    _id: projectId as never,
    epoch: randomUUID(),
    seq: events,
    order: [workspaceId],
    lastSeqs: { [workspaceId]: events },
    createdAt,
  });
  return { projectId, workspaceId, seq: events };
}
