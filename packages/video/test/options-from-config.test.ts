import { join } from 'node:path';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '@app/core';
import { expect, it } from 'vitest';
import { startProviderSim } from '@app/provider-sim';
import {
  RunwayProvider,
  runwayProviderFromConfig,
  videoPipelineOptionsFromConfig,
  videoStorageDirFromConfig,
} from '../src/index.js';

const BASE = { AUTH_MODE: 'none' };

it('reads the VIDEO_* settings, with the defaults of the config schema', () => {
  expect(videoPipelineOptionsFromConfig(loadConfig(BASE))).toEqual({
    pollMs: 5_000,
    statusIntervalMs: 1_000,
    leaseMs: 30_000,
    jobTimeoutMs: 900_000,
    downloadTimeoutMs: 120_000,
    providerTimeoutMs: 30_000,
    maxInFlight: 20,
    maxVideoBytes: 512 * 1024 * 1024,
  });
  expect(CONFIG_DEFAULTS.VIDEO_PROVIDER_TIMEOUT_MS).toBe(30_000);
  const config = loadConfig({ ...BASE, VIDEO_POLL_MS: '250', VIDEO_STATUS_INTERVAL_MS: '0', DATA_DIR: '/srv/data' });
  expect(videoPipelineOptionsFromConfig(config)).toMatchObject({ pollMs: 250, statusIntervalMs: 0 });
  expect(videoStorageDirFromConfig(config)).toBe(join('/srv/data', 'videos'));
  expect(videoStorageDirFromConfig({ ...config, VIDEO_STORAGE_DIR: '/mnt/videos' })).toBe('/mnt/videos');
});

it('a bad value stops with a message naming the variable, never the key', () => {
  expect(() => loadConfig({ ...BASE, VIDEO_POLL_MS: 'soon' })).toThrow(ConfigError);
  expect(() => loadConfig({ ...BASE, VIDEO_POLL_MS: 'soon' })).toThrow(/VIDEO_POLL_MS/);
  expect(() => loadConfig({ ...BASE, RUNWAYML_BASE_URL: 'not a url', RUNWAYML_API_SECRET: 'key_secret' })).toThrow(
    /RUNWAYML_BASE_URL/,
  );
  try {
    loadConfig({ ...BASE, RUNWAYML_BASE_URL: 'nope', RUNWAYML_API_SECRET: 'key_secret' });
  } catch (error) {
    expect((error as Error).message).not.toContain('key_secret');
  }
});

it('builds the Runway adapter from the key, base URL and timeout; none without a key', async () => {
  expect(runwayProviderFromConfig(loadConfig(BASE))).toBeUndefined();
  const sim = await startProviderSim({ runway: { apiKey: 'key_from_env', stepMs: 60_000 } });
  try {
    const provider = runwayProviderFromConfig(
      loadConfig({ ...BASE, RUNWAYML_API_SECRET: 'key_from_env', RUNWAYML_BASE_URL: sim.runwayBaseUrl }),
    );
    expect(provider).toBeInstanceOf(RunwayProvider);
    const { taskId } = await provider!.create({ prompt: 'configured' });
    expect((await provider!.get(taskId)).state).toBe('queued');
  } finally {
    await sim.close();
  }
});
