import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRealServer, type RealServer } from './helpers.js';

const run = promisify(execFile);
const goClient = join(dirname(fileURLToPath(import.meta.url)), '../go-client');

/** The go command: on PATH, or where the Go toolchain installs itself. */
function findGo(): string | undefined {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      execFileSync(candidate, ['version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const go = findGo();
if (go === undefined) console.warn('[examples] Go is not installed: the Go client test is skipped (install Go 1.26)');

interface GoResult {
  sessionId: string;
  snapshotSeq: number;
  created: string;
  createdVersion: number;
  eventSeq: number;
  eventWorkspace: string;
  missedCreated: string;
  resumedFrom: number;
  replayed: number;
  replayedSeqs: number[];
  replayedNames: string[];
  resumedEpoch: string;
}

describe.skipIf(go === undefined)('Go client (examples/go-client, models generated from docs/asyncapi.json)', () => {
  let server: RealServer;
  let dir: string;
  let binary: string;
  beforeAll(async () => {
    server = await startRealServer(inject('mongodbUri'));
    dir = mkdtempSync(join(tmpdir(), 'go-client-'));
    binary = join(dir, 'go-client');
    // -mod=readonly: the build uses exactly the pinned go.mod / go.sum.
    await run(go!, ['build', '-mod=readonly', '-o', binary, '.'], { cwd: goClient });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('connects, subscribes, creates a workspace, gets its event, reconnects and resumes with sinceSeq', async () => {
    const projectId = `go-${Date.now()}`;
    const { stdout } = await run(binary, ['-url', server.wsUrl, '-project', projectId, '-timeout', '30s']);
    const result = JSON.parse(stdout) as GoResult;
    expect(result.sessionId).not.toBe('');
    expect(result.snapshotSeq).toBe(0);
    expect(result.eventWorkspace).toBe(result.created);
    expect(result.eventSeq).toBe(1);
    expect(result.createdVersion).toBe(1);
    // Resumed from the seq of the event it saw: exactly the one event it missed, replayed before the ack.
    expect(result.resumedFrom).toBe(result.eventSeq);
    expect(result.replayed).toBe(1);
    expect(result.replayedSeqs).toEqual([2]);
    expect(result.replayedNames).toEqual(['Made while away']);
    const stored = await server.core.service.list(projectId);
    expect(stored.workspaces.map((w) => [w.id, w.name, w.data])).toEqual([
      [result.created, 'Made in Go', { prompt: 'a lighthouse in fog', shots: [1, 2] }],
      [result.missedCreated, 'Made while away', {}],
    ]);
    expect(stored.seq).toBe(2);
  });
});
