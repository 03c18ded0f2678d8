export { createClient, Client, MAX_TOKEN_REFRESHES, type ClientEvents, type ConnectionState } from './client.js';
export type { CloseInfo, HelloData } from './connection.js';
export { CLIENT_ERROR_CODES, ClientError, isRetryable, type ClientErrorCode, type RequestError } from './errors.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_ENHANCE_PROMPT_TIMEOUT_MS,
  DEFAULT_PONG_TIMEOUT_MS,
  DEFAULT_QUEUE,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ClientOptions,
  type KeepAliveMode,
  type KeepAliveOptions,
  type QueueOptions,
  type ReconnectOptions,
  type RequestOptions,
  type TokenProvider,
  type WebSocketConstructor,
  type WebSocketLike,
  wsTicket,
} from './options.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { SubscriptionHandlers } from './subscriptions.js';
export { DEFAULT_CHANGE_RETRY, type ChangeRetryOptions } from './change-retry.js';
export {
  ProjectStore,
  type ChangeFailure,
  type ChangeRequest,
  type ChangeRequestType,
  type ProjectStoreOptions,
  type ProjectSnapshot,
  type ProjectStoreClient,
  type UpdateOptions,
} from './project-store.js';
export { ConnectionStore, type ConnectionSnapshot, type ConnectionStoreClient } from './connection-store.js';
export { applyEvent, isPlaceholderId, type PendingChange } from './project-changes.js';
// The protocol values and types an app needs, so it can depend on @app/client alone (values from the zod-free entry).
export { CLOSE_CODES, MUTATION_TYPES, ProtocolError } from '@app/protocol/lite';
// The video model catalogue (which models, ratios, lengths and prompt lengths video.generate takes).
export {
  DEFAULT_VIDEO_MODEL,
  MAX_VIDEO_PROMPT_LENGTH,
  VIDEO_MODELS,
  checkVideoRequest,
  videoModel,
  videoModelsFor,
  type VideoModelId,
  type VideoModelRules,
} from '@app/protocol/lite';
export type {
  AckData,
  ErrorCode,
  EventType,
  RequestData,
  RequestType,
  ServerEvent,
  ServerEventOf,
  Workspace,
} from '@app/protocol';
