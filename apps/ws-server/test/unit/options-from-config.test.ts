import { ConfigError, loadConfig, type Core } from '@app/core';
import { createTestCore, silentLogger } from '@app/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { wsServerOptionsFromConfig } from '../../src/options-from-config.js';
import { WS_DEFAULTS } from '../../src/server.js';

let core: Core & { dbName: string };

beforeAll(async () => {
  core = await createTestCore(inject('mongodbUri'));
});

afterAll(async () => {
  await core.close();
});

describe('wsServerOptionsFromConfig', () => {
  it('gives a server configured with no variables the same settings as one given no options (one source of defaults)', () => {
    const options = wsServerOptionsFromConfig(loadConfig({ AUTH_MODE: 'none' }), { core, logger: silentLogger() });
    const { limits = {} } = options;
    for (const [name, value] of Object.entries(limits)) {
      expect([name, value]).toEqual([name, DEFAULT_LIMITS[name as keyof typeof DEFAULT_LIMITS]]);
    }
    expect(Object.keys(limits)).toContain('slowConsumerMs');
    expect({
      port: options.port,
      host: options.host,
      heartbeatMs: options.heartbeatMs,
      maxMessageBytes: options.maxMessageBytes,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      maxConnections: options.maxConnections,
      maxConnectionsPerIp: options.maxConnectionsPerIp,
    }).toEqual(WS_DEFAULTS);
    expect(DEFAULT_LIMITS.maxFrameBytes).toBe(WS_DEFAULTS.maxMessageBytes);
  });

  it('maps SLOW_CONSUMER_MS to the slow-consumer limit, and refuses 0 naming the variable', () => {
    const config = loadConfig({ AUTH_MODE: 'none', SLOW_CONSUMER_MS: '1500' });
    expect(wsServerOptionsFromConfig(config, { core, logger: silentLogger() }).limits?.slowConsumerMs).toBe(1500);
    expect(() => loadConfig({ AUTH_MODE: 'none', SLOW_CONSUMER_MS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_MODE: 'none', SLOW_CONSUMER_MS: '0' })).toThrow(/SLOW_CONSUMER_MS/);
  });
});
