import { createElement, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type Client } from '../src/index.js';
import { ClientProvider, useConnectionState, useProject } from '../src/react/index.js';
import { startFakeServer } from './helpers/fake-server.js';
import type { StubServer } from './helpers/stub-server.js';

let server: StubServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

function Names(props: { projectId: string }): ReactNode {
  const [project, store] = useProject(props.projectId);
  const connection = useConnectionState();
  const names = project.workspaces.map((w) => w.name).join(',');
  return createElement('p', null, `${connection.state} ${project.status} ${store.projectId}: ${names}`);
}

describe('@app/client/react', () => {
  it('useProject and useConnectionState read the client of the nearest ClientProvider', async () => {
    server = await startFakeServer();
    client = createClient({ url: server.url, WebSocket });
    const store = client.project('demo');
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('ready'));
    await store.create({ name: 'Intro' });
    await store.create({ name: 'Outro' });
    await vi.waitFor(() => expect(store.getSnapshot().pendingIds.size).toBe(0));
    const html = renderToString(createElement(ClientProvider, { client }, createElement(Names, { projectId: 'demo' })));
    expect(html).toBe('<p>open ready demo: Intro,Outro</p>');
  });

  it('says what is missing when there is no ClientProvider', () => {
    expect(() => renderToString(createElement(Names, { projectId: 'demo' }))).toThrow(
      'useClient() needs a <ClientProvider client={…}> above it',
    );
  });
});
