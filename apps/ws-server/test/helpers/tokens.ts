import { SignJWT } from 'jose';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** An HS256 token for tests; `expiresIn` like '1h' or a unix time, `secret` to sign with another key. */
export async function token(
  claims: { sub?: string; projects?: string[] | string },
  options: { expiresIn?: string | number; secret?: string; notBefore?: number } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  jwt = jwt.setExpirationTime(options.expiresIn ?? '1h');
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}
