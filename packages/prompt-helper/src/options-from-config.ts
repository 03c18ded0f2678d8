import { DAY_MS, MINUTE_MS, createBudget, type BudgetStore, type Config, type Logger, type Metrics } from '@app/core';
import { PLACEHOLDER_API_KEY } from './constants.js';
import { PromptHelper, type PromptHelperOptions, type WorkspaceLookup } from './prompt-helper.js';
import { createPromptMetrics, type PromptMetrics } from './prompt-metrics.js';

type PromptConfig = Pick<
  Config,
  | 'OPENAI_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'OPENAI_MODEL'
  | 'PROMPT_TIMEOUT_MS'
  | 'PROMPT_RATE_LIMIT_PER_MIN'
  | 'PROMPT_RATE_LIMIT_BURST'
  | 'PROMPT_DAILY_LIMIT_PER_SUBJECT'
  | 'PROMPT_DEPLOYMENT_LIMIT_PER_MIN'
  | 'PROMPT_MAX_TOKENS'
>;

/**
 * Maps the settings to helper options: OPENAI_API_KEY alone is OpenAI's API; with OPENAI_BASE_URL, that
 * endpoint (with a placeholder key when no key is set: the simulator `pnpm start` runs takes any);
 * with neither, no provider (prompt.enhance answers UNAVAILABLE saying what to set).
 */
export function promptHelperOptionsFromConfig(
  config: PromptConfig,
  deps: {
    logger: Logger;
    workspaces?: WorkspaceLookup;
    metrics?: PromptMetrics;
    budgetStore?: BudgetStore | undefined;
    registry?: Metrics['registry'] | undefined;
  },
): PromptHelperOptions {
  const { budgetStore, registry, ...rest } = deps;
  const apiKey = config.OPENAI_API_KEY ?? (config.OPENAI_BASE_URL === undefined ? undefined : PLACEHOLDER_API_KEY);
  return {
    ...rest,
    provider:
      apiKey === undefined ? undefined : { apiKey, baseUrl: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL },
    timeoutMs: config.PROMPT_TIMEOUT_MS,
    rateLimit: { perMinute: config.PROMPT_RATE_LIMIT_PER_MIN, burst: config.PROMPT_RATE_LIMIT_BURST },
    maxTokens: config.PROMPT_MAX_TOKENS,
    budgets:
      budgetStore === undefined
        ? undefined
        : {
            perSubject: createBudget(
              {
                name: 'prompt-daily-per-subject',
                points: config.PROMPT_DAILY_LIMIT_PER_SUBJECT,
                durationMs: DAY_MS,
                message: 'You have used today’s prompt suggestions; more tomorrow',
              },
              budgetStore,
              { registry },
            ),
            deployment: createBudget(
              {
                name: 'prompt-per-minute-deployment',
                points: config.PROMPT_DEPLOYMENT_LIMIT_PER_MIN,
                durationMs: MINUTE_MS,
                message: 'The prompt helper is busy; retry in a minute',
              },
              budgetStore,
              { registry },
            ),
          },
  };
}

/** The process's prompt helper from its settings, its metrics on the process's registry (one per process: one rate limit per subject). */
export function promptHelperFromConfig(
  config: PromptConfig,
  deps: {
    logger: Logger;
    workspaces: WorkspaceLookup;
    registry: Metrics['registry'];
    budgetStore?: BudgetStore | undefined;
  },
): PromptHelper {
  return new PromptHelper(
    promptHelperOptionsFromConfig(config, { ...deps, metrics: createPromptMetrics(deps.registry) }),
  );
}
