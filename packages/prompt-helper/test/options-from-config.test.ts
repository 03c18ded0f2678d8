import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, createLogger } from '@app/core';
import { PLACEHOLDER_API_KEY, promptHelperOptionsFromConfig } from '../src/index.js';

const logger = createLogger({ silent: true });
const base = { ...CONFIG_DEFAULTS, OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };

describe('promptHelperOptionsFromConfig', () => {
  it('a key alone: OpenAI’s own API (the SDK default base URL)', () => {
    const options = promptHelperOptionsFromConfig({ ...base, OPENAI_API_KEY: 'k' }, { logger });
    expect(options.provider).toEqual({ apiKey: 'k', baseUrl: undefined, model: CONFIG_DEFAULTS.OPENAI_MODEL });
  });

  it('a base URL without a key: that endpoint with a placeholder key', () => {
    const options = promptHelperOptionsFromConfig(
      { ...base, OPENAI_BASE_URL: 'http://127.0.0.1:9/openai/v1' },
      { logger },
    );
    expect(options.provider).toEqual({
      apiKey: PLACEHOLDER_API_KEY,
      baseUrl: 'http://127.0.0.1:9/openai/v1',
      model: CONFIG_DEFAULTS.OPENAI_MODEL,
    });
  });

  it('neither: no provider; timeout and rate limit from the settings', () => {
    const options = promptHelperOptionsFromConfig(base, { logger });
    expect(options.provider).toBeUndefined();
    expect(options.timeoutMs).toBe(CONFIG_DEFAULTS.PROMPT_TIMEOUT_MS);
    expect(options.rateLimit).toEqual({
      perMinute: CONFIG_DEFAULTS.PROMPT_RATE_LIMIT_PER_MIN,
      burst: CONFIG_DEFAULTS.PROMPT_RATE_LIMIT_BURST,
    });
  });
});
