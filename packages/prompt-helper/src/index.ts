export {
  PromptHelper,
  type EnhanceCaller,
  type EnhanceInput,
  type EnhanceResult,
  type PromptHelperOptions,
  type PromptRateLimit,
  type WorkspaceLookup,
} from './prompt-helper.js';
export { promptHelperFromConfig, promptHelperOptionsFromConfig } from './options-from-config.js';
export { createPromptMetrics, type PromptMetrics } from './prompt-metrics.js';
export { enhancedPromptSchema, instructionsFor, type EnhancedPrompt } from './enhanced-prompt.js';
export { toProviderFailure, type ProviderFailure } from './provider-error.js';
export { retryAfterMsOf } from './retry-after.js';
export * from './constants.js';
