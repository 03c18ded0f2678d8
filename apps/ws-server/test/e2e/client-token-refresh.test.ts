import { ClientError, MAX_TOKEN_REFRESHES, createClient, type Client, type ServerEvent } from '@app/client';
import { createAuthenticator } from '@app/core';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TEST_SECRET, token } from '../helpers/tokens.js';

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), {
    authenticator: createAuthenticator({ mode: 'jwt', secret: TEST_SECRET, clockToleranceSec: 0 }),
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server.close();
});

/** A token for every project that expires in 1-2 s (JWT `exp` has whole seconds). */
function shortLivedToken(): Promise<string> {
  return token({ sub: 'refresher', projects: '*' }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
}

/**
 * The `ws` class, recording every frame each socket sent; `swallow` makes the next matching frame vanish
 * on the way out (the client believes it sent it), so a request is deterministically unacknowledged.
 */
function recordingWebSocket() {
  const sockets: { sent: string[] }[] = [];
  const state = { swallow: undefined as ((frame: string) => boolean) | undefined };
  class RecordingWebSocket extends WebSocket {
    readonly sent: string[] = [];
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
    // The client sends text frames only, with no options or callback.
    override send(data: string): void {
      this.sent.push(data);
      if (state.swallow?.(data)) {
        state.swallow = undefined;
        return;
      }
      super.send(data);
    }
  }
  return { RecordingWebSocket, sockets, state };
}

function client(options: Parameters<typeof createClient>[0]): Client {
  const c = createClient({
    requestTimeoutMs: 15_000,
    reconnect: { minDelayMs: 10, baseDelayMs: 50, maxDelayMs: 200 },
    ...options,
  });
  clients.push(c);
  return c;
}

function closeCodes(c: Client): number[] {
  const codes: number[] = [];
  c.on('disconnect', (info) => codes.push(info.code));
  return codes;
}

describe('@app/client when its token expires (4001) and `token` is a function', () => {
  it('fetches a fresh token and reconnects: the subscription resumes and the unacknowledged request is resent with its id', async () => {
    const projectId = 'refresh-resume';
    const writer = client({ url: server.url, WebSocket, token: await token({ sub: 'writer', projects: '*' }) });
    let tokenCalls = 0;
    const { RecordingWebSocket, sockets, state } = recordingWebSocket();
    const reader = client({
      url: server.url,
      WebSocket: RecordingWebSocket,
      token: async () => {
        tokenCalls += 1;
        if (tokenCalls === 1) return shortLivedToken();
        // While the reader is away, the project moves on: the resumed subscription must replay it.
        await writer.createWorkspace({ projectId, name: 'while away' });
        return token({ sub: 'refresher', projects: '*' });
      },
    });
    const codes = closeCodes(reader);
    const applied: ServerEvent[] = [];
    let snapshots = 0;
    await new Promise<void>((resolve) =>
      reader.subscribe(projectId, {
        onSnapshot: () => {
          snapshots += 1;
          resolve();
        },
        onEvent: (event) => applied.push(event),
      }),
    );
    await writer.createWorkspace({ projectId, name: 'before' });
    await vi.waitFor(() => expect(applied.map((e) => e.seq)).toEqual([1]));

    state.swallow = (frame) => frame.includes('"lost-1"');
    const expired = new Promise<void>((resolve) => reader.on('disconnect', (info) => info.code === 4001 && resolve()));
    const lost = reader.createWorkspace({ projectId, name: 'resent' }, { id: 'lost-1' });
    await expired;
    const ack = await lost;
    expect(ack.workspace.name).toBe('resent');

    await vi.waitFor(() => expect(applied.map((e) => e.seq)).toEqual([1, 2, 3]));
    expect(applied.map((e) => (e.type === 'workspace.created' ? e.data.workspace.name : e.type))).toEqual([
      'before',
      'while away',
      'resent',
    ]);
    expect(snapshots).toBe(1); // resumed with sinceSeq, not a fresh snapshot
    expect(codes).toEqual([4001]);
    expect(tokenCalls).toBe(2);
    expect(reader.state).toBe('open');
    expect(reader.closeError).toBeUndefined();
    // The same frame (same id) went out on the first socket (swallowed) and again on the second.
    const withId = sockets.map((s) => s.sent.filter((f) => f.includes('"lost-1"')));
    expect(withId).toHaveLength(2);
    expect(withId[0]).toHaveLength(1);
    expect(withId[1]).toEqual(withId[0]);
    const list = await writer.listWorkspaces({ projectId });
    expect(list.workspaces.map((w) => w.name)).toEqual(['before', 'while away', 'resent']); // applied once
  });

  it('is terminal when the token function fails: pending requests reject with TERMINAL_CLOSE (4001)', async () => {
    let tokenCalls = 0;
    const { RecordingWebSocket, state } = recordingWebSocket();
    const reader = client({
      url: server.url,
      WebSocket: RecordingWebSocket,
      token: () => {
        tokenCalls += 1;
        if (tokenCalls === 1) return shortLivedToken();
        throw new Error('identity provider unreachable');
      },
    });
    await new Promise<void>((resolve) => reader.on('open', () => resolve()));
    state.swallow = (frame) => frame.includes('"pending-1"');
    const error = new Promise<unknown>((resolve) => reader.on('error', resolve));
    const pending = reader.ping({ id: 'pending-1' }).catch((e: unknown) => e);
    const reported = await error;
    expect(reported).toBeInstanceOf(ClientError);
    expect(reported).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: 4001 });
    expect((reported as ClientError).cause).toMatchObject({ message: 'identity provider unreachable' });
    expect(await pending).toBe(reported);
    expect(reader.state).toBe('closed');
    expect(tokenCalls).toBe(2);
  });

  it(`gives up after ${MAX_TOKEN_REFRESHES} refreshes in a row when the function keeps giving the same expired token`, async () => {
    const jwt = await shortLivedToken();
    let tokenCalls = 0;
    const reader = client({
      url: server.url,
      WebSocket,
      token: () => {
        tokenCalls += 1;
        return jwt;
      },
    });
    const codes = closeCodes(reader);
    const error = await new Promise<unknown>((resolve) => reader.on('error', resolve));
    expect(error).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: 4001 });
    expect(codes).toEqual(Array.from({ length: MAX_TOKEN_REFRESHES + 1 }, () => 4001));
    expect(tokenCalls).toBe(MAX_TOKEN_REFRESHES + 1);
    expect(reader.state).toBe('closed');
  });

  it('is terminal with a fixed token string (no function to ask)', async () => {
    const reader = client({ url: server.url, WebSocket, token: await shortLivedToken() });
    const error = await new Promise<unknown>((resolve) => reader.on('error', resolve));
    expect(error).toMatchObject({ code: 'TERMINAL_CLOSE', closeCode: 4001 });
    expect(reader.state).toBe('closed');
  });
});
