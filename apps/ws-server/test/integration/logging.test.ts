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
});
