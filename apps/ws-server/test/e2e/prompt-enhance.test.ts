import { ProtocolError, createClient, type Client } from '@app/client';
import { createAuthenticator, createLogger, createMetrics, type Logger } from '@app/core';
import { PromptHelper, createPromptMetrics, type PromptHelperOptions } from '@app/prompt-helper';
import { startProviderSim, type ProviderSim } from '@app/provider-sim';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { memoryLogger, startServer, type TestServer } from '../helpers/start-server.js';
import { TEST_SECRET, token } from '../helpers/tokens.js';

const ENHANCEMENT = 'cinematic lighting, rich detail, smooth camera motion';

let sim: ProviderSim;
let server: TestServer | undefined;
const clients: Client[] = [];
beforeAll(async () => {
  sim = await startProviderSim();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await sim.close();
});

/** A helper on the simulator whose workspace check is the test server's own service. */
function promptHelper(overrides: Partial<PromptHelperOptions> = {}, logger: Logger = createLogger({ silent: true })) {
  return new PromptHelper({
    provider: { apiKey: 'placeholder', baseUrl: sim.openaiBaseUrl, model: 'gpt-4o-mini' },
    timeoutMs: 5_000,
    rateLimit: false,
    logger,
    workspaces: { get: (id, ctx) => server!.core.service.get(id, ctx) },
    ...overrides,
  });
}

function connect(jwt?: string): Client {
  const client = createClient({ url: server!.url, WebSocket, ...(jwt === undefined ? {} : { token: jwt }) });
  clients.push(client);
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('prompt.enhance over WebSocket, against the simulated OpenAI API', () => {
  it('answers the rewritten prompt end to end; latency and outcome reach /metrics', async () => {
    const metrics = createMetrics();
    server = await startServer(inject('mongodbUri'), {
      metrics,
      promptHelper: promptHelper({ metrics: createPromptMetrics(metrics.registry) }),
    });
    const client = connect();
    expect(await client.enhancePrompt({ prompt: 'a red fox at dawn', style: 'documentary' })).toEqual({
      prompt: `a red fox at dawn, ${ENHANCEMENT}`,
      notes: 'Simulated notes for a prompt of 17 characters',
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('prompt_enhance_duration_seconds_count{outcome="ok"} 1');
    expect(text).toContain('ws_ack_latency_seconds_count{type="prompt.enhance"} 1');
  });

  it('malformed model output and a provider that is down are typed errors; the connection stays healthy', async () => {
    server = await startServer(inject('mongodbUri'), { promptHelper: promptHelper() });
    const client = connect();
    const malformed = await rejection(client.enhancePrompt({ prompt: 'a fox [sim:malformed]' }));
    expect(malformed.code).toBe('PROVIDER_ERROR');
    expect(malformed.message).toBe('The language model’s answer is not JSON');
    const down = await rejection(client.enhancePrompt({ prompt: 'a fox [sim:down]' }));
    expect(down.code).toBe('UNAVAILABLE');
    expect(down.details).toEqual({ retryAfterMs: 5_000 });
    const limited = await rejection(client.enhancePrompt({ prompt: 'a fox [sim:429]' }));
    expect(limited.code).toBe('UNAVAILABLE');
    expect(limited.details).toEqual({ retryAfterMs: 1_000 });
    const invalid = await rejection(client.request('prompt.enhance', { prompt: 'fox', temperature: 2 } as never));
    expect(invalid.code).toBe('INVALID_MESSAGE');
    expect((await client.enhancePrompt({ prompt: 'a fox' })).prompt).toBe(`a fox, ${ENHANCEMENT}`);
    expect(client.state).toBe('open');
  });

  it('a hung provider call answers UNAVAILABLE at the helper’s timeout', async () => {
    server = await startServer(inject('mongodbUri'), { promptHelper: promptHelper({ timeoutMs: 300 }) });
    const error = await rejection(connect().enhancePrompt({ prompt: 'a fox [sim:hang]' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The language model did not answer within 300 ms');
  });

  it('limits each subject across its connections', async () => {
    server = await startServer(inject('mongodbUri'), {
      authenticator: createAuthenticator({ mode: 'jwt', secret: TEST_SECRET }),
      promptHelper: promptHelper({ rateLimit: { perMinute: 1, burst: 1 } }),
    });
    const alice = await token({ sub: 'alice', projects: '*' });
    expect((await connect(alice).enhancePrompt({ prompt: 'one' })).prompt).toBe(`one, ${ENHANCEMENT}`);
    const limited = await rejection(connect(alice).enhancePrompt({ prompt: 'two' }));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.details?.['retryAfterMs']).toBeGreaterThan(50_000);
    const bob = await token({ sub: 'bob', projects: '*' });
    expect((await connect(bob).enhancePrompt({ prompt: 'two' })).prompt).toBe(`two, ${ENHANCEMENT}`);
  });

  it('a workspaceId must be a workspace of a project the token allows (NOT_FOUND otherwise)', async () => {
    server = await startServer(inject('mongodbUri'), {
      authenticator: createAuthenticator({ mode: 'jwt', secret: TEST_SECRET }),
      promptHelper: promptHelper(),
    });
    const owner = connect(await token({ sub: 'owner', projects: ['pe-own'] }));
    const { workspace } = await owner.createWorkspace({ projectId: 'pe-own', name: 'Shot', data: {} });
    expect((await owner.enhancePrompt({ prompt: 'fox', workspaceId: workspace.id })).prompt).toBe(
      `fox, ${ENHANCEMENT}`,
    );
    expect((await rejection(owner.enhancePrompt({ prompt: 'fox', workspaceId: 'missing' }))).code).toBe('NOT_FOUND');
    const stranger = connect(await token({ sub: 'stranger', projects: ['pe-other'] }));
    const hidden = await rejection(stranger.enhancePrompt({ prompt: 'fox', workspaceId: workspace.id }));
    expect(hidden.code).toBe('NOT_FOUND');
  });

  it('without a helper, or with one that has no provider, answers UNAVAILABLE saying so', async () => {
    server = await startServer(inject('mongodbUri'));
    expect((await rejection(connect().enhancePrompt({ prompt: 'fox' }))).code).toBe('UNAVAILABLE');
    await server.close();
    const logs: string[] = [];
    server = await startServer(inject('mongodbUri'), {
      promptHelper: promptHelper({ provider: undefined }, memoryLogger(logs, 'info')),
    });
    const error = await rejection(connect().enhancePrompt({ prompt: 'fox' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/set OPENAI_API_KEY/);
    expect(logs.join('\n')).toContain('prompt.enhance is off');
  });
});
