import { z } from 'zod';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_MESSAGE_BYTES } from '@app/protocol';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

/** Every setting of every process, from environment variables. The names are part of the operator contract. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  WS_PORT: port.default(3001),
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGODB_URI: optionalString.pipe(z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional()),
  MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/).default('workspaces'),
  REDIS_URL: optionalString,
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  HEARTBEAT_MS: positiveMs.default(DEFAULT_HEARTBEAT_MS),
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
  DB_TIMEOUT_MS: positiveMs.default(5_000),
  SHUTDOWN_TIMEOUT_MS: positiveMs.default(10_000),
  AUTH_JWT_SECRET: optionalString,
  ALLOWED_ORIGINS: optionalString,
  DATA_DIR: z.string().min(1).default('.data'),
});

export type Config = z.output<typeof configSchema> & { LOG_FORMAT: 'pretty' | 'json' };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses settings; a bad value throws a ConfigError whose message names each bad variable (never its value). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = result.data;
  return { ...config, LOG_FORMAT: config.LOG_FORMAT ?? (config.NODE_ENV === 'production' ? 'json' : 'pretty') };
}
