// Tokens without `exp` are refused unless AUTH_REQUIRE_EXP=off; a secret next to a key is a start-up error;
// the peer's close code becomes a bounded metrics label; /metrics takes an optional bearer token.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { authenticatorFromConfig, createAuthenticator } from '../src/auth.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { closeCodeLabel, metricsRequestAllowed } from '../src/metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secret = 's'.repeat(32);
const key = new TextEncoder().encode(secret);
const token = (exp: boolean) => {
  const jwt = new SignJWT({ projects: '*' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuedAt();
  return (exp ? jwt.setExpirationTime('5m') : jwt).sign(key);
};

describe('tokens without exp', () => {
  it('are refused by default, from the settings too', async () => {
    const auth = createAuthenticator({ mode: 'jwt', secret });
    await expect(auth.authenticate(await token(false))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await auth.authenticate(await token(true))).subject).toBe('u');
    const fromConfig = authenticatorFromConfig(loadConfig({ AUTH_JWT_SECRET: secret }));
    await expect(fromConfig.authenticate(await token(false))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('are accepted with AUTH_REQUIRE_EXP=off', async () => {
    const auth = authenticatorFromConfig(loadConfig({ AUTH_JWT_SECRET: secret, AUTH_REQUIRE_EXP: 'off' }));
    const principal = await auth.authenticate(await token(false));
    expect(principal).toMatchObject({ subject: 'u', expiresAt: undefined });
  });
});

describe('a secret and a public key both set', () => {
  it('is a start-up error, in the settings and in the authenticator', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const file = join(dir, 'public.pem');
    writeFileSync(file, await exportSPKI(pair.publicKey));
    expect(() => loadConfig({ AUTH_JWT_SECRET: secret, AUTH_JWT_PUBLIC_KEY_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_JWT_SECRET: secret, AUTH_JWKS_FILE: file })).toThrow(/only one of/);
    expect(() => createAuthenticator({ mode: 'jwt', secret, publicKeyFile: file })).toThrow(/not several/);
    expect(loadConfig({ AUTH_JWT_PUBLIC_KEY_FILE: file }).AUTH_MODE).toBe('jwt');
  });
});

describe('ws_closes_total labels', () => {
  it('keeps known close codes and buckets every other peer code into "other"', () => {
    for (const code of [1000, 1001, 1006, 1008, 1009, 1011, 1013, 4001, 4003])
      expect(closeCodeLabel(code)).toBe(String(code));
    const labels = new Set<string>();
    for (let code = 0; code < 70_000; code += 1) labels.add(closeCodeLabel(code));
    expect(labels.size).toBeLessThanOrEqual(18);
    expect(closeCodeLabel(4999)).toBe('other');
    expect(closeCodeLabel(3000)).toBe('other');
  });
});

describe('metricsRequestAllowed', () => {
  it('is open without a token, and needs the exact bearer token with one', () => {
    expect(metricsRequestAllowed(undefined, undefined)).toBe(true);
    const t = 'm'.repeat(20);
    expect(metricsRequestAllowed(undefined, t)).toBe(false);
    expect(metricsRequestAllowed(`Bearer ${t}x`, t)).toBe(false);
    expect(metricsRequestAllowed(`Basic ${t}`, t)).toBe(false);
    expect(metricsRequestAllowed(`Bearer ${t}`, t)).toBe(true);
  });
});

describe('MAX_BYTES_PER_IP', () => {
  it('refuses to start when one address could make the node hold more than it', () => {
    const base = { AUTH_MODE: 'none' };
    expect(loadConfig(base).MAX_BYTES_PER_IP).toBe(2 * 1024 * 1024 * 1024);
    expect(() => loadConfig({ ...base, MAX_MESSAGE_BYTES: String(64 * 1024 * 1024) })).toThrow(/MAX_BYTES_PER_IP/);
    expect(
      loadConfig({ ...base, MAX_MESSAGE_BYTES: String(64 * 1024 * 1024), MAX_CONNECTIONS_PER_IP: '28' })
        .MAX_CONNECTIONS_PER_IP,
    ).toBe(28);
  });
});
