import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { FileVideoStorage, VideoJobStore, type VideoJob } from '@app/video';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseRange } from '../../src/index.js';
import { startApi, type StartedApi } from '../helpers/start-api.js';

const SECRET = 'video-secret-that-is-at-least-32-characters';
const SAMPLE = new URL('../../../provider-sim/fixtures/sample.mp4', import.meta.url);
let core: Core;
let api: StartedApi;
let dir: string;
let sample: Buffer;
let store: VideoJobStore;

function token(projects: string[] | '*'): Promise<string> {
  return new SignJWT({ projects })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('viewer')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

function job(id: string, status: VideoJob['status'], sha256?: string): VideoJob {
  const now = new Date();
  return {
    id,
    workspaceId: 'w1',
    projectId: 'films',
    provider: 'runway',
    request: { prompt: 'p' },
    status,
    sha256,
    nextPollAt: now,
    deadlineAt: now,
    leaseEpoch: 1,
    createdAt: now,
    updatedAt: now,
  };
}

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  store = await VideoJobStore.create(core.connection);
  dir = await mkdtemp(join(tmpdir(), 'api-videos-'));
  const storage = new FileVideoStorage(dir);
  sample = await readFile(SAMPLE);
  const stored = await storage.put('job-1', createReadStream(SAMPLE));
  await store.insert(job('job-1', 'succeeded', stored.sha256));
  await store.insert(job('job-2', 'running'));
  api = await startApi({
    core,
    authenticator: createAuthenticator({ mode: 'jwt', secret: SECRET }),
    videos: { jobs: store, storage },
  });
});
afterAll(async () => {
  await api.close();
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /videos/<jobId>.mp4', () => {
  it('serves the whole file with Accept-Ranges, type, length and the checksum as ETag', async () => {
    const auth = { authorization: `Bearer ${await token(['films'])}` };
    const response = await fetch(`${api.url}/videos/job-1.mp4`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(Number(response.headers.get('content-length'))).toBe(sample.length);
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(Buffer.from(await response.arrayBuffer()).equals(sample)).toBe(true);
  });

  it('answers a Range with 206 and exactly those bytes; a token in ?access_token= works (for <video src>)', async () => {
    const jwt = await token(['films']);
    const response = await fetch(`${api.url}/videos/job-1.mp4?access_token=${jwt}`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 100-199/${sample.length}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(sample.subarray(100, 200))).toBe(true);
    const suffix = await fetch(`${api.url}/videos/job-1.mp4?access_token=${jwt}`, { headers: { range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(sample.subarray(sample.length - 10))).toBe(true);
  });

  it('answers an unsatisfiable Range with 416 and the size', async () => {
    const auth = { authorization: `Bearer ${await token(['films'])}`, range: `bytes=${sample.length}-` };
    const response = await fetch(`${api.url}/videos/job-1.mp4`, { headers: auth });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${sample.length}`);
  });

  it('ignores an invalid Range (bytes=5-3): 200 with the whole file, as RFC 9110 says', async () => {
    const auth = { authorization: `Bearer ${await token(['films'])}`, range: 'bytes=5-3' };
    const response = await fetch(`${api.url}/videos/job-1.mp4`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(sample)).toBe(true);
  });

  it('answers If-None-Match with the ETag (strong, weak, in a list, or *) 304 without a body, even with a Range', async () => {
    const auth = { authorization: `Bearer ${await token(['films'])}` };
    const etag = (await fetch(`${api.url}/videos/job-1.mp4`, { method: 'HEAD', headers: auth })).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await fetch(`${api.url}/videos/job-1.mp4`, {
        headers: { ...auth, 'if-none-match': header, range: 'bytes=0-9' },
      });
      expect(response.status, header).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    }
    const changed = await fetch(`${api.url}/videos/job-1.mp4`, { headers: { ...auth, 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
    expect(Buffer.from(await changed.arrayBuffer()).equals(sample)).toBe(true);
    // Authorisation comes first: another project's caller learns nothing from a matching ETag.
    const other = { authorization: `Bearer ${await token(['elsewhere'])}`, 'if-none-match': etag };
    expect((await fetch(`${api.url}/videos/job-1.mp4`, { headers: other })).status).toBe(404);
  });

  it('answers HEAD with the headers and no body', async () => {
    const auth = { authorization: `Bearer ${await token('*')}` };
    const response = await fetch(`${api.url}/videos/job-1.mp4`, { method: 'HEAD', headers: auth });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(sample.length);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('is authorised like the workspace: 401 without a token, 404 for another project, an unfinished or unknown job', async () => {
    expect((await fetch(`${api.url}/videos/job-1.mp4`)).status).toBe(401);
    const other = { authorization: `Bearer ${await token(['elsewhere'])}` };
    const hidden = await fetch(`${api.url}/videos/job-1.mp4`, { headers: other });
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toMatchObject({ code: 'NOT_FOUND' });
    const auth = { authorization: `Bearer ${await token(['films'])}` };
    expect((await fetch(`${api.url}/videos/job-2.mp4`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${api.url}/videos/nope.mp4`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${api.url}/videos/..%2Fjob-1.mp4`, { headers: auth })).status).toBe(404);
  });
});

it('parseRange reads the three forms and refuses what cannot be served', () => {
  expect(parseRange(undefined, 100)).toBeUndefined();
  expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
  expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
  expect(parseRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
  expect(parseRange('bytes=-5', 100)).toEqual({ start: 95, end: 99 });
  expect(parseRange('bytes=100-', 100)).toBeNull();
  // Invalid (last before first): ignored, so the whole file is sent (RFC 9110 section 14.2).
  expect(parseRange('bytes=5-1', 100)).toBeUndefined();
  expect(parseRange('bytes=5-3', 100)).toBeUndefined();
  expect(parseRange('bytes=5-5', 100)).toEqual({ start: 5, end: 5 });
  expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
  expect(parseRange('items=0-1', 100)).toBeUndefined();
});
