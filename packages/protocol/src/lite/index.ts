// `@app/protocol/lite`: what a browser client needs, without zod: constants, the error type, encoders,
// and frame checks compiled from the zod schemas. Nothing here may import zod (a client test bundles it).
export { CLOSE_CODES, TERMINAL_CLOSE_CODES } from '../close-codes.js';
export { ERROR_CODES, ProtocolError, errorFromFrame, type ErrorCode } from '../errors.js';
export { MUTATION_TYPES } from '../messages/mutation-types.js';
export { encodeRequest } from '../encode.js';
export { checkReplyData, checkRequestData, parseServerFrame } from './validate.js';
// The video model catalogue and its rules: plain data, for the web app's choices and checks.
export * from '../video-models.js';
export * from '../video-rules.js';
