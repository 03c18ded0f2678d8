import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  allowedHostsFromConfig,
  allowedOriginsFromConfig,
  hostAllowed,
  hostName,
  paidProviderKeys,
} from '../src/local-only.js';

describe('the Host check (DNS rebinding)', () => {
  it('reads the host name of a Host header, with or without a port, IPv6 in brackets', () => {
    expect(hostName('127.0.0.1:3000')).toBe('127.0.0.1');
    expect(hostName('LocalHost')).toBe('localhost');
    expect(hostName('[::1]:3001')).toBe('[::1]');
    for (const bad of [undefined, '', 'a b', 'evil.example/x', 'user@127.0.0.1', '[::1'])
      expect(hostName(bad)).toBe(undefined);
  });

  it('without authentication, allows the loopback names and HOST; with it, any host unless ALLOWED_HOSTS is set', () => {
    const none = allowedHostsFromConfig(loadConfig({ AUTH_MODE: 'none' }));
    expect(hostAllowed('localhost:3000', none)).toBe(true);
    expect(hostAllowed('evil.example:3000', none)).toBe(false);
    expect(hostAllowed(undefined, none)).toBe(false);
    const lan = allowedHostsFromConfig(loadConfig({ AUTH_MODE: 'none', HOST: '192.168.1.5' }));
    expect(hostAllowed('192.168.1.5:3000', lan)).toBe(true);
    const jwt = loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32) });
    expect(allowedHostsFromConfig(jwt)).toBeUndefined();
    const named = allowedHostsFromConfig({ ...jwt, ALLOWED_HOSTS: 'app.example.com:443, api.example.com' });
    expect(hostAllowed('app.example.com', named)).toBe(true);
    expect(hostAllowed('api.example.com:8443', named)).toBe(true);
    expect(hostAllowed('127.0.0.1', named)).toBe(false);
  });

  it('without authentication, allows browser upgrades from the page on PORT only, unless ALLOWED_ORIGINS says otherwise', () => {
    expect(allowedOriginsFromConfig(loadConfig({ AUTH_MODE: 'none', PORT: '4000' }))).toBe(
      'http://127.0.0.1:4000,http://localhost:4000,http://[::1]:4000',
    );
    expect(allowedOriginsFromConfig(loadConfig({ AUTH_MODE: 'none', ALLOWED_ORIGINS: 'https://a.example' }))).toBe(
      'https://a.example',
    );
    expect(allowedOriginsFromConfig(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32) }))).toBeUndefined();
  });
});

describe('no authentication with keys that spend money', () => {
  it('counts a provider key as paid unless its API is on this machine', () => {
    expect(paidProviderKeys({ RUNWAYML_API_SECRET: 'k' })).toEqual(['RUNWAYML_API_SECRET']);
    expect(paidProviderKeys({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'https://proxy.example/v1' })).toEqual([
      'OPENAI_API_KEY',
    ]);
    expect(
      paidProviderKeys({
        RUNWAYML_API_SECRET: 'key_simulated',
        RUNWAYML_BASE_URL: 'http://127.0.0.1:4010/runway',
        OPENAI_API_KEY: 'sk-simulated',
        OPENAI_BASE_URL: 'http://localhost:4010/openai/v1',
      }),
    ).toEqual([]);
  });

  it('refuses AUTH_MODE=none with a real key, naming the key but never its value, unless told explicitly', () => {
    let error: unknown;
    try {
      loadConfig({ AUTH_MODE: 'none', RUNWAYML_API_SECRET: 'key_real_secret', OPENAI_API_KEY: 'sk-real-secret' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/RUNWAYML_API_SECRET and OPENAI_API_KEY/);
    expect(message).toMatch(/ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS=true/);
    expect(message).not.toMatch(/secret$|key_real_secret|sk-real-secret/m);
    expect(
      loadConfig({ AUTH_MODE: 'none', OPENAI_API_KEY: 'sk-real', ALLOW_UNAUTHENTICATED_WITH_PROVIDER_KEYS: 'true' })
        .AUTH_MODE,
    ).toBe('none');
    expect(loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), OPENAI_API_KEY: 'sk-real' }).AUTH_MODE).toBe('jwt');
  });
});
