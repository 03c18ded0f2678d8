import { describe, expect, inject, it, vi } from 'vitest';
import { startServer } from '../helpers/start-server.js';
import { TestPeer } from '../helpers/test-peer.js';

describe('logging', () => {
  it('logs connect and disconnect in the original line format, without tokens or message bodies', async () => {
    const server = await startServer(inject('mongodbUri'));
    try {
      const peer = await TestPeer.connect(`${server.url}?access_token=canary-secret-token`);
      await peer.ok('workspace.create', { projectId: 'logs', name: 'canary-body-text' });
      await peer.close();
      await vi.waitFor(() => expect(server.logs.some((l) => l.includes('Client disconnected'))).toBe(true));
      const line = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (info|warn|error|debug): /;
      const connected = server.logs.find((l) => l.includes('Client connected'));
      const disconnected = server.logs.find((l) => l.includes('Client disconnected'));
      expect(connected).toMatch(line);
      expect(disconnected).toMatch(line);
      expect(disconnected).toContain('code 1005');
      for (const entry of server.logs) {
        expect(entry).toMatch(line);
        expect(entry).not.toContain('canary-secret-token');
        expect(entry).not.toContain('canary-body-text');
      }
    } finally {
      await server.close();
    }
  });

  it('logs a refused request at debug under the policy REST shares, naming its type and session, never at error', async () => {
    const server = await startServer(inject('mongodbUri'));
    try {
      const peer = await TestPeer.connect(server.url);
      const reply = await peer.request('workspace.update', {
        id: '5d0c1f7e-3a2b-4c6d-8e9f-0a1b2c3d4e5f',
        patch: { name: 'canary-body-text' },
      });
      expect(reply).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      await peer.close();
      await vi.waitFor(() =>
        expect(
          server.logs.some((l) =>
            / debug: \[ws-server\] workspace\.update \(session [0-9a-f-]{36}\): NOT_FOUND$/.test(l),
          ),
        ).toBe(true),
      );
      expect(server.logs.filter((l) => / (error|warn): /.test(l))).toEqual([]);
      expect(server.logs.join('\n')).not.toContain('canary-body-text');
    } finally {
      await server.close();
    }
  });
});
