import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { canAccess, createAuthenticator, tokenFromRequest } from '../src/auth.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keys(alg: 'RS256' | 'ES256') {
  const pair = await generateKeyPair(alg, { extractable: true });
  const sign = (claims: Record<string, unknown>, key = pair.privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'k1' })
      .setSubject('u1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  return { pair, sign };
}

describe('authenticator with asymmetric keys', () => {
  it('verifies RS256 tokens against a PEM public key file, and refuses other keys and HS256 tokens', async () => {
    const { pair, sign } = await keys('RS256');
    const file = join(dir, 'public.pem');
    writeFileSync(file, await exportSPKI(pair.publicKey));
    const auth = createAuthenticator({ mode: 'jwt', publicKeyFile: file });
    const principal = await auth.authenticate(await sign({ projects: ['a', 'b'] }));
    expect(principal.subject).toBe('u1');
    expect(canAccess(principal, 'a')).toBe(true);
    expect(canAccess(principal, 'c')).toBe(false);
    const other = await keys('RS256');
    await expect(auth.authenticate(await other.sign({ projects: '*' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    const hs = await new SignJWT({ projects: '*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(auth.authenticate(hs)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('verifies ES256 tokens against a JWKS file', async () => {
    const { pair, sign } = await keys('ES256');
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const auth = createAuthenticator({ mode: 'jwt', jwksFile: file, issuer: undefined });
    expect((await auth.authenticate(await sign({ projects: '*' }))).projects).toBe('*');
  });

  it('enforces issuer and audience when configured', async () => {
    const secret = 's'.repeat(32);
    const auth = createAuthenticator({ mode: 'jwt', secret, issuer: 'https://issuer.example', audience: 'workspaces' });
    const base = () =>
      new SignJWT({ projects: '*' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime('5m');
    const key = new TextEncoder().encode(secret);
    await expect(auth.authenticate(await base().sign(key))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const good = await base().setIssuer('https://issuer.example').setAudience('workspaces').sign(key);
    expect((await auth.authenticate(good)).subject).toBe('u');
  });

  it('reads the token from the Authorization header first, then access_token', () => {
    expect(tokenFromRequest({ authorization: 'Bearer abc' }, '/?access_token=zzz')).toBe('abc');
    expect(tokenFromRequest({}, '/?x=1&access_token=zzz')).toBe('zzz');
    expect(tokenFromRequest({ authorization: 'Basic abc' }, '/')).toBeUndefined();
  });
});
