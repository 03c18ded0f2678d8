import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthenticator, type Core } from '@app/core';
import { createTestCore } from '@app/core/testing';
import { FileVideoStorage, VideoJobStore } from '@app/video';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, type StartedApi } from '../helpers/start-api.js';

const SECRET = 'links-secret-that-is-at-least-32-characters';
const SAMPLE = new URL('../../../provider-sim/fixtures/sample.mp4', import.meta.url);
let core: Core;
let api: StartedApi;
let shortLinks: StartedApi;
let dir: string;
let sample: Buffer;

function token(projects: string[] | '*', subject = 'viewer'): Promise<string> {
  return new SignJWT({ projects })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
  const store = await VideoJobStore.create(core.connection);
  dir = await mkdtemp(join(tmpdir(), 'api-links-'));
  const storage = new FileVideoStorage(dir);
  sample = await readFile(SAMPLE);
  const stored = await storage.put('job-1', createReadStream(SAMPLE));
  const now = new Date();
  await store.insert({
    id: 'job-1',
    workspaceId: 'w1',
    projectId: 'films',
    provider: 'runway',
    request: { prompt: 'p' },
    status: 'succeeded',
    sha256: stored.sha256,
    nextPollAt: now,
    deadlineAt: now,
    leaseEpoch: 1,
    createdAt: now,
    updatedAt: now,
  });
  const authenticator = createAuthenticator({ mode: 'jwt', secret: SECRET });
  api = await startApi({ core, authenticator, videos: { jobs: store, storage } });
  shortLinks = await startApi({ core, authenticator, videos: { jobs: store, storage }, videoUrlTtlMs: 1 });
});
afterAll(async () => {
  await api?.close();
  await shortLinks?.close();
  await core?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/ws-ticket', () => {
  it('gives an authenticated caller a ticket of its own principal; without a token 401', async () => {
    const res = await fetch(`${api.url}/api/ws-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(['films'], 'dora')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { ticket: string; expiresAt: string };
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    const principal = await core.tickets.redeem(body.ticket);
    expect(principal.subject).toBe('dora');
    expect([...(principal.projects as Set<string>)]).toEqual(['films']);
    expect((await fetch(`${api.url}/api/ws-ticket`, { method: 'POST' })).status).toBe(401);
  });
});

describe('signed video links', () => {
  it('a caller with access gets a link that plays without a token (Range too); others get 404', async () => {
    const res = await fetch(`${api.url}/api/videos/job-1/url`, {
      headers: { authorization: `Bearer ${await token(['films'])}` },
    });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(/^\/videos\/job-1\.mp4\?expires=\d+&signature=[\w-]+$/);
    expect(url).not.toContain('access_token');
    const whole = await fetch(`${api.url}${url}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(sample)).toBe(true);
    const part = await fetch(`${api.url}${url}`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);

    const other = await fetch(`${api.url}/api/videos/job-1/url`, {
      headers: { authorization: `Bearer ${await token(['other'])}` },
    });
    expect(other.status).toBe(404);
    expect((await fetch(`${api.url}/api/videos/job-1/url`)).status).toBe(401);
  });

  it('refuses a tampered, foreign or expired link with 403; the token forms still work for old clients', async () => {
    const res = await fetch(`${api.url}/api/videos/job-1/url`, {
      headers: { authorization: `Bearer ${await token('*')}` },
    });
    const { url } = (await res.json()) as { url: string };
    const expires = /expires=(\d+)/.exec(url)![1]!;
    const signature = /signature=([\w-]+)/.exec(url)![1]!;
    for (const bad of [
      `/videos/job-1.mp4?expires=${Number(expires) + 1000}&signature=${signature}`,
      `/videos/job-2.mp4?expires=${expires}&signature=${signature}`,
      `/videos/job-1.mp4?expires=${expires}&signature=x${signature.slice(1)}`,
      `/videos/job-1.mp4?signature=${signature}`,
    ]) {
      expect((await fetch(`${api.url}${bad}`)).status, bad).toBe(403);
    }
    const short = await fetch(`${shortLinks.url}/api/videos/job-1/url`, {
      headers: { authorization: `Bearer ${await token('*')}` },
    });
    const expired = ((await short.json()) as { url: string }).url;
    await new Promise((resolve) => setTimeout(resolve, 5)); // past its 1 ms
    expect((await fetch(`${shortLinks.url}${expired}`)).status).toBe(403);

    const jwt = await token(['films']);
    expect((await fetch(`${api.url}/videos/job-1.mp4?access_token=${jwt}`)).status).toBe(200);
    expect((await fetch(`${api.url}/videos/job-1.mp4`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(
      200,
    );
    expect((await fetch(`${api.url}/videos/job-1.mp4`)).status).toBe(401);
  });
});
