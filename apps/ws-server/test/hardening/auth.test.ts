import { createAuthenticator } from '@app/core';
import WebSocket from 'ws';
import { upgradeStatus } from '../helpers/upgrade-status.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';
import { TEST_SECRET, token } from '../helpers/tokens.js';
import { parseOrigins } from '../../src/upgrade.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), {
    authenticator: createAuthenticator({ mode: 'jwt', secret: TEST_SECRET, clockToleranceSec: 0 }),
    allowedOrigins: parseOrigins('https://app.example.com, http://localhost:5173'),
  });
});
afterAll(async () => {
  await server.close();
});

describe('authentication at the upgrade', () => {
  it('refuses missing, malformed, wrongly signed, expired, not-yet-valid and subject-less tokens with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      undefined,
      'not-a-jwt',
      await token({ sub: 'u1', projects: '*' }, { secret: 'another-secret-that-is-32-characters-long!!' }),
      await token({ sub: 'u1', projects: '*' }, { expiresIn: now - 60 }),
      await token({ sub: 'u1', projects: '*' }, { notBefore: now + 3600 }),
      await token({ projects: '*' }),
      // alg "none": header {"alg":"none"}, no signature
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"u1","projects":"*","exp":${now + 600}}`).toString('base64url')}.`,
    ];
    for (const jwt of cases) {
      const url = jwt === undefined ? server.url : `${server.url}?access_token=${jwt}`;
      expect(await upgradeStatus(url), String(jwt).slice(0, 20)).toBe(401);
    }
    expect(server.server.connections.size).toBe(0);
    expect(server.logs.join('\n')).not.toContain('not-a-jwt');
  });

  it('accepts a valid token in the Authorization header or the access_token parameter', async () => {
    const jwt = await token({ sub: 'u1', projects: '*' });
    expect(await upgradeStatus(server.url, { headers: { authorization: `Bearer ${jwt}` } })).toBe(101);
    expect(await upgradeStatus(`${server.url}?access_token=${jwt}`)).toBe(101);
    expect(server.logs.join('\n')).not.toContain(jwt);
  });

  it('closes a connection with 4001 when its token expires', async () => {
    const jwt = await token({ sub: 'u1', projects: '*' }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    const peer = await TestPeer.connect(`${server.url}?access_token=${jwt}`);
    expect((await peer.closed).code).toBe(4001);
  });
});

describe('authorization per project', () => {
  it('lets a token use its projects only: requests naming another project are FORBIDDEN', async () => {
    const admin = await TestPeer.connect(
      `${server.url}?access_token=${await token({ sub: 'admin', projects: ['*'] })}`,
    );
    const other = (
      await admin.ok<{ workspace: { id: string } }>('workspace.create', { projectId: 'auth-b', name: 'B' })
    ).workspace;
    const peer = await TestPeer.connect(
      `${server.url}?access_token=${await token({ sub: 'alice', projects: ['auth-a'] })}`,
    );
    expect(await peer.ok('subscribe', { projectId: 'auth-a' })).toMatchObject({ seq: 0 });
    const own = (await peer.ok<{ workspace: { id: string } }>('workspace.create', { projectId: 'auth-a', name: 'A' }))
      .workspace;
    expect(await peer.ok('workspace.update', { id: own.id, patch: { name: 'A2' } })).toBeDefined();
    const forbidden: [string, unknown][] = [
      ['subscribe', { projectId: 'auth-b' }],
      ['workspace.list', { projectId: 'auth-b' }],
      ['workspace.create', { projectId: 'auth-b', name: 'x' }],
      ['workspace.reorder', { projectId: 'auth-b', order: [other.id] }],
    ];
    for (const [type, data] of forbidden) {
      expect(await peer.request(type, data), type).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    }
    expect(
      (await admin.ok<{ workspaces: unknown[]; seq: number }>('workspace.list', { projectId: 'auth-b' })).seq,
    ).toBe(1);
    await peer.close();
    await admin.close();
  });

  it('answers a workspace id in a project the token does not allow exactly as an id that does not exist (issue 12, item 7)', async () => {
    const admin = await TestPeer.connect(
      `${server.url}?access_token=${await token({ sub: 'admin', projects: ['*'] })}`,
    );
    const hidden = (
      await admin.ok<{ workspace: { id: string } }>('workspace.create', { projectId: 'auth-hidden', name: 'B' })
    ).workspace;
    const peer = await TestPeer.connect(
      `${server.url}?access_token=${await token({ sub: 'alice', projects: ['auth-a'] })}`,
    );
    const missing = '00000000-0000-4000-8000-000000000000';
    const requests = (id: string): [string, unknown, string][] => [
      ['workspace.update', { id, patch: { name: 'x' } }, 'u1'],
      ['workspace.update', { id, expectedVersion: 1, patch: { name: 'x' } }, 'u2'],
      ['workspace.delete', { id }, 'd1'],
      ['workspace.delete', { id, expectedVersion: 1 }, 'd2'],
    ];
    for (const [[type, data, requestId], [, missingData, missingId]] of requests(hidden.id).map(
      (r, i) => [r, requests(missing)[i]!] as const,
    )) {
      const answer = await peer.request(type, data, `hidden-${requestId}`);
      const reference = await peer.request(type, missingData, `missing-${missingId}`);
      expect(reference, type).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      // Same frame once the ids are swapped: nothing (code, message, details) tells the two apart.
      expect(JSON.stringify(answer).replaceAll(hidden.id, '<id>').replace('hidden-', ''), type).toBe(
        JSON.stringify(reference).replaceAll(missing, '<id>').replace('missing-', ''),
      );
      expect(JSON.stringify(answer)).not.toContain('auth-hidden');
    }
    expect(
      (
        await admin.ok<{ workspaces: { name: string; version: number }[] }>('workspace.list', {
          projectId: 'auth-hidden',
        })
      ).workspaces,
    ).toMatchObject([{ name: 'B', version: 1 }]);
    await peer.close();
    await admin.close();
  });

  it('scopes idempotency to the token subject', async () => {
    const alice = await TestPeer.connect(`${server.url}?access_token=${await token({ sub: 'alice', projects: '*' })}`);
    const bob = await TestPeer.connect(`${server.url}?access_token=${await token({ sub: 'bob', projects: '*' })}`);
    const a = await alice.ok<{ workspace: { id: string } }>(
      'workspace.create',
      { projectId: 'auth-idem', name: 'same' },
      'shared-id',
    );
    const b = await bob.ok<{ workspace: { id: string } }>(
      'workspace.create',
      { projectId: 'auth-idem', name: 'same' },
      'shared-id',
    );
    expect(a.workspace.id).not.toBe(b.workspace.id);
    await alice.close();
    await bob.close();
  });
});

describe('origin check', () => {
  it('refuses browser upgrades from other origins with 403 and accepts allowed or absent origins', async () => {
    const jwt = await token({ sub: 'u1', projects: '*' });
    const url = `${server.url}?access_token=${jwt}`;
    for (const origin of [
      'https://evil.example.com',
      'https://app.example.com.evil.com',
      'http://app.example.com',
      'null',
      'garbage',
    ]) {
      expect(await upgradeStatus(url, { origin }), origin).toBe(403);
    }
    expect(await upgradeStatus(url, { origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'HTTPS://APP.EXAMPLE.COM:443' })).toBe(101);
    expect(await upgradeStatus(url, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it('never echoes an offered subprotocol (a token smuggled there is not reflected)', async () => {
    const jwt = await token({ sub: 'u1', projects: '*' });
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve) => {
      const socket = new WebSocket(`${server.url}?access_token=${jwt}`, ['access_token', jwt]);
      socket.on('upgrade', (response) => resolve(response.headers));
      socket.on('error', () => {});
      socket.on('open', () => socket.close());
    });
    expect(headers['sec-websocket-protocol']).toBeUndefined();
  });
});
