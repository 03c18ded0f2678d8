import express, { Router, type NextFunction, type Request, type Response } from 'express';

/** How the simulated OpenAI API behaves. */
export interface OpenAiSimOptions {
  /** The one key accepted (`Authorization: Bearer <key>`); default: any non-empty key. */
  apiKey?: string;
  /** `retry-after` (seconds) of a `[sim:429]` answer; default 1. */
  retryAfterSec?: number;
}

/**
 * Scenario markers: a user message containing one makes the simulator answer that way, so tests
 * choose a failure per request. The marker is left out of the text the answer is derived from.
 */
export const OPENAI_SIM_MARKERS = {
  /** Content that is not JSON at all. */
  malformed: '[sim:malformed]',
  /** JSON that does not match the requested schema (every string field a number). */
  wrongShape: '[sim:wrong-shape]',
  /** A refusal instead of content. */
  refusal: '[sim:refusal]',
  /** 503, as when the API is overloaded or down. */
  down: '[sim:down]',
  /** 429 with `retry-after`. */
  rateLimited: '[sim:429]',
  /** No answer at all until the client gives up (or the simulator closes). */
  hang: '[sim:hang]',
  /** 429 `insufficient_quota`: the account has no credit left (retrying does not help). */
  quota: '[sim:quota]',
  /** A rewritten prompt of 1,200 characters, longer than a video model takes. */
  long: '[sim:long]',
} as const;

/** A model name the simulator does not know: 404 `model_not_found`, as OpenAI answers a misconfigured model. */
export const OPENAI_SIM_MISSING_MODEL = 'sim-missing-model';

/** What the simulator appends to a `prompt` field: the deterministic "enhancement". */
export const OPENAI_SIM_ENHANCEMENT = 'cinematic lighting, rich detail, smooth camera motion';

interface ChatMessage {
  role?: unknown;
  content?: unknown;
}

/** The subset of a JSON schema the simulator fills in (what zod's toJSONSchema makes for structured output). */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
}

/** OpenAI's HTTP API (`POST /chat/completions` with `response_format: json_schema`), mounted under `/openai/v1`. */
export function openAiRoutes(options: OpenAiSimOptions = {}): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const key = /^Bearer (.+)$/.exec(header)?.[1];
    if (key === undefined) {
      apiError(res, 401, 'invalid_request_error', null, "You didn't provide an API key.");
      return;
    }
    if (options.apiKey !== undefined && key !== options.apiKey) {
      // Like OpenAI: the key is named only by its first and last characters.
      apiError(res, 401, 'invalid_request_error', 'invalid_api_key', `Incorrect API key provided: ${mask(key)}.`);
      return;
    }
    next();
  });
  router.post('/chat/completions', (req, res) => chatCompletion(req, res, options));
  router.use((req, res) => apiError(res, 404, 'invalid_request_error', null, `Unknown request URL: ${req.path}.`));
  // A body that is not JSON (or too large) gets OpenAI's error shape too, not Express's HTML page.
  router.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
    apiError(res, 400, 'invalid_request_error', null, 'We could not parse the JSON body of your request.'),
  );
  return router;
}

function chatCompletion(req: Request, res: Response, options: OpenAiSimOptions): void {
  const body = req.body as { model?: unknown; messages?: unknown; response_format?: unknown } | undefined;
  const messages = Array.isArray(body?.messages) ? (body.messages as ChatMessage[]) : undefined;
  if (typeof body?.model !== 'string' || messages === undefined) {
    apiError(res, 400, 'invalid_request_error', null, "'model' and 'messages' are required.");
    return;
  }
  const userText = messages
    .filter((message) => message.role === 'user' && typeof message.content === 'string')
    .map((message) => message.content as string)
    .join('\n');
  const has = (marker: string): boolean => userText.includes(marker);
  if (has(OPENAI_SIM_MARKERS.hang)) {
    return; // never answered: the client's timeout (or the simulator's close) ends it
  }
  if (has(OPENAI_SIM_MARKERS.down)) {
    apiError(res, 503, 'server_error', null, 'The server is overloaded or not ready yet.');
    return;
  }
  if (body.model === OPENAI_SIM_MISSING_MODEL) {
    apiError(
      res,
      404,
      'invalid_request_error',
      'model_not_found',
      `The model \`${body.model}\` does not exist or you do not have access to it.`,
    );
    return;
  }
  if (has(OPENAI_SIM_MARKERS.quota)) {
    apiError(
      res,
      429,
      'insufficient_quota',
      'insufficient_quota',
      'You exceeded your current quota, please check your plan and billing details.',
    );
    return;
  }
  if (has(OPENAI_SIM_MARKERS.rateLimited)) {
    res.set('retry-after', String(options.retryAfterSec ?? 1));
    apiError(res, 429, 'requests', 'rate_limit_exceeded', 'Rate limit reached for requests.');
    return;
  }
  const schema = jsonSchemaOf(body.response_format);
  const plain = withoutMarkers(userText);
  const text = has(OPENAI_SIM_MARKERS.long) ? `${plain} ${'and more detail '.repeat(75)}`.trim() : plain;
  let content: string | null;
  let refusal: string | null = null;
  if (has(OPENAI_SIM_MARKERS.refusal)) {
    content = null;
    refusal = "I'm sorry, I can't help with that request.";
  } else if (has(OPENAI_SIM_MARKERS.malformed)) {
    content = `Sure! Here is a better prompt: ${text}`;
  } else if (has(OPENAI_SIM_MARKERS.wrongShape)) {
    content = JSON.stringify(instanceOf(schema, text, '', true));
  } else {
    content =
      schema === undefined ? `${text}, ${OPENAI_SIM_ENHANCEMENT}` : JSON.stringify(instanceOf(schema, text, ''));
  }
  res.set('x-request-id', requestId());
  res.json({
    id: 'chatcmpl-sim',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: tokens(userText), completion_tokens: tokens(content ?? ''), total_tokens: 0 },
  });
}

/** The JSON schema of `response_format: {type: 'json_schema', json_schema: {schema}}`, if any. */
function jsonSchemaOf(format: unknown): JsonSchema | undefined {
  if (typeof format !== 'object' || format === null) return undefined;
  const { type, json_schema: jsonSchema } = format as { type?: unknown; json_schema?: { schema?: unknown } };
  if (type !== 'json_schema' || typeof jsonSchema?.schema !== 'object' || jsonSchema.schema === null) return undefined;
  return jsonSchema.schema as JsonSchema;
}

/**
 * A value valid for `schema`, derived from the user's text only: a `prompt` string is the text with
 * {@link OPENAI_SIM_ENHANCEMENT} appended, other strings name their field; nullable values are filled
 * in (never null). `wrong`: every string becomes a number instead.
 */
function instanceOf(schema: JsonSchema | undefined, text: string, key: string, wrong = false): unknown {
  if (schema === undefined) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined && schema.enum.length > 0) return schema.enum[0];
  if (schema.anyOf !== undefined) {
    const choice = schema.anyOf.find((option) => option.type !== 'null') ?? schema.anyOf[0];
    return instanceOf(choice, text, key, wrong);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {}))
        out[name] = instanceOf(property, text, name, wrong);
      return out;
    }
    case 'array':
      return [instanceOf(schema.items, text, key, wrong)];
    case 'string':
      if (wrong) return text.length;
      return key === 'prompt'
        ? `${text}, ${OPENAI_SIM_ENHANCEMENT}`
        : `Simulated ${key || 'text'} for a prompt of ${text.length} characters`;
    case 'number':
    case 'integer':
      return text.length;
    case 'boolean':
      return text.length % 2 === 0;
    default:
      return null;
  }
}

function withoutMarkers(text: string): string {
  let out = text;
  for (const marker of Object.values(OPENAI_SIM_MARKERS)) out = out.split(marker).join('');
  return out.replace(/\s+/g, ' ').trim();
}

function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function mask(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-4)}`;
}

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
function apiError(res: Response, status: number, type: string, code: string | null, message: string): void {
  res
    .status(status)
    .set('x-request-id', requestId())
    .json({ error: { message, type, param: null, code } });
}

/** Like OpenAI's `x-request-id` on every answer, errors included (what a support request quotes). */
function requestId(): string {
  return `req_sim_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
