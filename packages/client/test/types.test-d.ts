import WsWebSocket from 'ws';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createClient,
  type Client,
  type RequestError,
  type ServerEvent,
  type WebSocketConstructor,
  type Workspace,
} from '../src/index.js';

declare const client: Client;

describe('public types', () => {
  it('accepts the browser WebSocket and the ws class', () => {
    expectTypeOf(WebSocket).toExtend<WebSocketConstructor>();
    expectTypeOf(WsWebSocket).toExtend<WebSocketConstructor>();
    createClient({ url: 'ws://x/', WebSocket: WsWebSocket });
  });

  it('types request() by the protocol map', () => {
    expectTypeOf(client.request('workspace.create', { projectId: 'p', name: 'n' })).resolves.toEqualTypeOf<{
      workspace: Workspace;
    }>();
    expectTypeOf(client.request('ping', undefined)).resolves.toEqualTypeOf<{ ts: string }>();
    expectTypeOf(client.listWorkspaces({ projectId: 'p' })).resolves.toEqualTypeOf<{
      workspaces: Workspace[];
      seq: number;
    }>();
    expectTypeOf(client.deleteWorkspace({ id: 'w' })).resolves.toEqualTypeOf<{ id: string }>();
    expectTypeOf(client.enhancePrompt({ prompt: 'a fox', style: 'noir' })).resolves.toEqualTypeOf<{
      prompt: string;
      notes?: string | undefined;
    }>();
    // @ts-expect-error: unknown request type
    void client.request('workspace.rename', {});
    // @ts-expect-error: data of another type
    void client.request('workspace.delete', { projectId: 'p' });
  });

  it('narrows events by type and types errors', () => {
    client.subscribe('p', {
      onEvent: (event) => {
        expectTypeOf(event).toEqualTypeOf<ServerEvent>();
        if (event.type === 'workspace.deleted') expectTypeOf(event.data).toEqualTypeOf<{ id: string }>();
      },
      onSnapshot: (workspaces, seq) => {
        expectTypeOf(workspaces).toEqualTypeOf<Workspace[]>();
        expectTypeOf(seq).toBeNumber();
      },
      onError: (error) => expectTypeOf(error).toEqualTypeOf<RequestError>(),
    });
    expectTypeOf(client.subscribe('p', {})).toEqualTypeOf<() => void>();
    client.on('state', (state) =>
      expectTypeOf(state).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>(),
    );
  });
});
