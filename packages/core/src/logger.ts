import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  format?: 'pretty' | 'json';
  /** Where lines go; defaults to the console. Tests pass a stream to read them. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/**
 * `text` as a pattern matching it literally or with any of its characters percent-encoded, once or twice
 * (`access%5Ftoken`, `access%255ftoken`): servers decode query names, so every such spelling carries a token.
 */
function encodedForms(text: string): string {
  return [...text]
    .map((char) => {
      const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
      const literal = /[A-Za-z0-9]/.test(char) ? char : `\\${char}`;
      return `(?:${literal}|%(?:25)?${hex})`;
    })
    .join('');
}

/** `=` or `:` (JSON, headers), literal or percent-encoded, with the quotes and spaces around it. */
const ASSIGN = String.raw`(?:(?:\s|%(?:25)?20)*(?:=|:|%(?:25)?3d|%(?:25)?3a)(?:\s|%(?:25)?20|\+)*"?)`;
/** A secret value: up to the next separator, literal or percent-encoded (`%26` is an encoded `&`). */
const VALUE = String.raw`(?:(?!%(?:25)?26|%(?:25)?22|%(?:25)?20)[^&\s"'<>;,])+`;

const SECRET_PATTERNS: [RegExp, string][] = [
  [new RegExp(`(${encodedForms('access_token')}"?${ASSIGN})${VALUE}`, 'gi'), '$1[redacted]'],
  [
    new RegExp(`(${encodedForms('authorization')}"?${ASSIGN}(?:bearer)(?:\\s+|%(?:25)?20|\\+))${VALUE}`, 'gi'),
    '$1[redacted]',
  ],
  [/(authorization:?\s*"?bearer\s+)[^\s"]+/gi, '$1[redacted]'],
  [/(mongodb(?:\+srv)?:\/\/[^:/\s]+:)[^@/\s]+@/gi, '$1[redacted]@'],
  [/(redis:\/\/[^:/\s]*:)[^@/\s]+@/gi, '$1[redacted]@'],
  // OpenAI-style API keys (`sk-…`, `sk-proj-…`), should one ever reach a message.
  [/\bsk-[A-Za-z0-9_-]{16,}/g, 'sk-[redacted]'],
];

/** Removes tokens and passwords from a string. Applied to every log line. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const redactFormat = winston.format((info) => {
  if (typeof info.message === 'string') info.message = redact(info.message);
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (typeof value === 'string') info[key] = redact(value);
  }
  return info;
});

/** The original line format: `[YYYY-MM-DD HH:mm:ss] info: message`. */
const prettyLine = winston.format.printf((info) => {
  const {
    timestamp,
    level,
    message,
    module: moduleName,
  } = info as {
    timestamp: string;
    level: string;
    message: string;
    module?: string;
  };
  return `[${timestamp}] ${level}: ${moduleName ? `[${moduleName}] ` : ''}${message}`;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(redactFormat(), winston.format.timestamp({ format: 'YYYY-MM-DD HH:mm:ss' }), prettyLine);
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: ['error'] });
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    transports: [transport],
    silent: options.silent ?? false,
  });
}
