import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ProtocolError } from '@app/protocol';
import { createLocalJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/** Who is connected or calling, and which projects they may read and write. */
export interface Principal {
  /** The token's `sub`: the idempotency scope. */
  subject: string;
  /** `'*'` for every project. */
  projects: '*' | ReadonlySet<string>;
  /** When the token stops being valid (ms since epoch), if it expires. */
  expiresAt?: number | undefined;
}

export interface AuthOptions {
  mode: 'jwt' | 'none';
  secret?: string | undefined;
  publicKeyFile?: string | undefined;
  jwksFile?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  clockToleranceSec?: number | undefined;
  /** Refuse a token without `exp` (one that never expires on an open connection); true unless set false. */
  requireExp?: boolean | undefined;
}

export interface Authenticator {
  readonly mode: 'jwt' | 'none';
  /** Verifies a token (or, with mode `none`, admits anyone). Throws UNAUTHORIZED. */
  authenticate(token: string | undefined): Promise<Principal>;
}

export const ANONYMOUS: Principal = { subject: 'anonymous', projects: '*' };

const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

export function canAccess(principal: Principal, projectId: string): boolean {
  return principal.projects === '*' || principal.projects.has(projectId);
}

/** Throws FORBIDDEN unless the principal may use the project. */
export function assertAccess(principal: Principal, projectId: string): void {
  if (!canAccess(principal, projectId)) {
    throw new ProtocolError('FORBIDDEN', `No access to project ${projectId}`);
  }
}

/** The `authorize` of a read or mutation context for this principal; none when it may use every project. */
export function authorizerFor(principal: Principal): ((projectId: string) => void) | undefined {
  return principal.projects === '*' ? undefined : (projectId) => assertAccess(principal, projectId);
}

function projectsClaim(payload: JWTPayload): Principal['projects'] {
  const claim = payload['projects'];
  if (claim === '*' || (Array.isArray(claim) && claim.includes('*'))) return '*';
  if (Array.isArray(claim)) return new Set(claim.filter((p): p is string => typeof p === 'string'));
  return new Set();
}

/** Builds the verifier once at start: algorithms are pinned (HS256 for a secret, asymmetric ones for keys). */
export function createAuthenticator(options: AuthOptions): Authenticator {
  if (options.mode === 'none') {
    return { mode: 'none', authenticate: async () => ANONYMOUS };
  }
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  const keys = [options.secret, options.publicKeyFile, options.jwksFile].filter((k) => k !== undefined);
  if (keys.length > 1) {
    // Which one would win is not the operator's to guess: a secret left over next to a key would let
    // anyone who knows it sign tokens.
    throw new Error('AUTH_MODE=jwt takes one of a secret, a public key file or a JWKS file, not several');
  }
  if (options.secret !== undefined) {
    key = new TextEncoder().encode(options.secret);
    algorithms = ['HS256'];
  } else if (options.publicKeyFile !== undefined) {
    key = createPublicKey(readFileSync(options.publicKeyFile, 'utf8'));
    algorithms = PUBLIC_KEY_ALGORITHMS;
  } else if (options.jwksFile !== undefined) {
    key = createLocalJWKSet(
      JSON.parse(readFileSync(options.jwksFile, 'utf8')) as Parameters<typeof createLocalJWKSet>[0],
    );
    algorithms = PUBLIC_KEY_ALGORITHMS;
  } else {
    throw new Error('AUTH_MODE=jwt needs a secret, a public key file or a JWKS file');
  }
  const verifyOptions = {
    algorithms,
    clockTolerance: options.clockToleranceSec ?? 30,
    requiredClaims: options.requireExp === false ? [] : ['exp'],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
  return {
    mode: 'jwt',
    async authenticate(token) {
      if (token === undefined || token === '') throw new ProtocolError('UNAUTHORIZED', 'A token is required');
      let payload: JWTPayload;
      try {
        payload = (await jwtVerify(token, key as Uint8Array, verifyOptions)).payload;
      } catch {
        throw new ProtocolError('UNAUTHORIZED', 'Invalid or expired token');
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new ProtocolError('UNAUTHORIZED', 'Token has no subject');
      }
      return {
        subject: payload.sub,
        projects: projectsClaim(payload),
        expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
      };
    },
  };
}

/** The bearer token of a request: `Authorization: Bearer …`, else the `access_token` query parameter. */
export function tokenFromRequest(
  headers: { authorization?: string | undefined },
  url: string | undefined,
): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  if (url === undefined) return undefined;
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('access_token') ?? undefined;
}

/** The authenticator the settings describe (AUTH_MODE, AUTH_JWT_* variables). */
export function authenticatorFromConfig(config: {
  AUTH_MODE: 'jwt' | 'none';
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWT_PUBLIC_KEY_FILE?: string | undefined;
  AUTH_JWKS_FILE?: string | undefined;
  AUTH_JWT_ISSUER?: string | undefined;
  AUTH_JWT_AUDIENCE?: string | undefined;
  AUTH_CLOCK_TOLERANCE_SEC: number;
  AUTH_REQUIRE_EXP?: 'on' | 'off' | undefined;
}): Authenticator {
  return createAuthenticator({
    mode: config.AUTH_MODE,
    secret: config.AUTH_JWT_SECRET,
    publicKeyFile: config.AUTH_JWT_PUBLIC_KEY_FILE,
    jwksFile: config.AUTH_JWKS_FILE,
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
    clockToleranceSec: config.AUTH_CLOCK_TOLERANCE_SEC,
    requireExp: config.AUTH_REQUIRE_EXP !== 'off',
  });
}
