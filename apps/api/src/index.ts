export { createApi, type ApiCore, type ApiOptions } from './app.js';
export { HTTP_STATUS, createErrorHandler, notFoundHandler, toHttpError, type ErrorBody, type HttpError } from './error-handler.js';
export { IDEMPOTENCY_HEADER } from './validation.js';
