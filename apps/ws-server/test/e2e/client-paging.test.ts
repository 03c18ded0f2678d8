import { createClient, type Client, type Workspace } from '@app/client';
import { encodePagedAck } from '@app/protocol';
import WebSocket, { type ClientOptions } from 'ws';
import type { ClientRequestArgs } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

// The case is 450 workspaces of 240 KB (~108 MB) against a client taking 1 MiB frames.
// Same path, smaller: 450 workspaces of ~2 KB (~1 MB) against a 64 KiB frame limit.
const MAX_MESSAGE_BYTES = 64 * 1024;
const WORKSPACES = 450;

/** The ws class of a Node client that takes frames up to the server's announced `maxMessageBytes` (1009 above it). */
class LimitedWebSocket extends WebSocket {
  constructor(
    url: string | URL,
    protocols?: string | string[] | ClientOptions | ClientRequestArgs,
    options?: ClientOptions | ClientRequestArgs,
  ) {
    const base = typeof protocols === 'object' && !Array.isArray(protocols) ? protocols : (options ?? {});
    const list = typeof protocols === 'string' || Array.isArray(protocols) ? protocols : undefined;
    super(url, list, { ...base, maxPayload: MAX_MESSAGE_BYTES });
  }
}

let server: TestServer;
let client: Client;
const p = 'paged';
const ids: string[] = [];

beforeAll(async () => {
  server = await startServer(inject('mongodbUri'), { maxMessageBytes: MAX_MESSAGE_BYTES });
  const ctx = { subject: 'seed' };
  const created = await Promise.all(
    Array.from({ length: WORKSPACES }, (_, i) =>
      server.core.service.create({ projectId: p, name: `w${i}`, data: { prompt: 'x'.repeat(2_000), n: i } }, ctx),
    ),
  );
  ids.push(...created.map((c) => c.workspace.id));
  await server.core.service.flush(); // one write of the read model with every workspace (chunked: see Projector.write)
  client = createClient({ url: server.url, WebSocket: LimitedWebSocket });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

describe('a project never outgrows its readers', () => {
  it('a list and a snapshot larger than the frame limit reach @app/client whole, in pages, without a 1009', async () => {
    const disconnects: number[] = [];
    client.on('disconnect', (info) => disconnects.push(info.code));
    const list = await client.listWorkspaces({ projectId: p });
    expect(list.workspaces).toHaveLength(WORKSPACES);
    expect(list.workspaces.map((w) => w.position)).toEqual(ids.map((_, i) => i));
    expect(new Set(list.workspaces.map((w) => w.id))).toEqual(new Set(ids));
    expect(list.seq).toBe(WORKSPACES);

    const snapshots: { list: Workspace[]; seq: number }[] = [];
    const events: number[] = [];
    const unsubscribe = client.subscribe(p, {
      onSnapshot: (workspaces, seq) => snapshots.push({ list: workspaces, seq }),
      onEvent: (event) => events.push(event.seq),
    });
    await vi.waitFor(() => expect(snapshots).toHaveLength(1));
    expect(snapshots[0]!.seq).toBe(WORKSPACES);
    expect(snapshots[0]!.list.map((w) => w.id)).toEqual(list.workspaces.map((w) => w.id));
    // Live events follow the paged snapshot.
    await client.updateWorkspace({ id: ids[0]!, patch: { name: 'after' } });
    await vi.waitFor(() => expect(events).toEqual([WORKSPACES + 1]));
    expect(disconnects).toEqual([]);
    unsubscribe();
  });

  it('every frame of a paged reply fits the limit, pages come before the ack with its id, and a reorder of every id fits', async () => {
    const peer = await TestPeer.connect(server.url, { maxPayload: MAX_MESSAGE_BYTES });
    const sizes: number[] = [];
    peer.socket.on('message', (data: Buffer) => sizes.push(data.length));
    const ack = await peer.ok<{ workspaces: Workspace[] }>('workspace.list', { projectId: p }, 'l1');
    const pages = peer.frames.filter((f) => f.type === 'page');
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(page['id']).toBe('l1');
    const all = [
      ...pages.flatMap((page) => (page['data'] as { workspaces: Workspace[] }).workspaces),
      ...ack.workspaces,
    ];
    expect(all).toHaveLength(WORKSPACES);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);

    // A reorder of the whole project: its request, ack and event each fit one frame.
    const order = [...all.map((w) => w.id)].reverse();
    const request = JSON.stringify({ type: 'workspace.reorder', id: 'r1', data: { projectId: p, order } });
    expect(Buffer.byteLength(request)).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(await peer.ok('workspace.reorder', { projectId: p, order }, 'r1')).toEqual({ order });
    expect((await client.listWorkspaces({ projectId: p })).workspaces.map((w) => w.id)).toEqual(order);
    await peer.close();
  });

  it('pages hold at least one workspace, and a reply that fits stays one ack', () => {
    const workspace = { id: 'a', name: 'n', data: { s: 'é'.repeat(100) } };
    expect(encodePagedAck({ workspaces: [workspace], seq: 1 }, 'workspaces', 1_000, 'x')).toHaveLength(1);
    const frames = encodePagedAck({ workspaces: [workspace, workspace, workspace], seq: 3 }, 'workspaces', 100, 'x');
    expect(frames).toHaveLength(3);
    expect(frames.map((f) => JSON.parse(f).type)).toEqual(['page', 'page', 'ack']);
  });
});
