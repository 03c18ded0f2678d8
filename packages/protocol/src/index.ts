export * from './constants.js';
export * from './close-codes.js';
export * from './errors.js';
export * from './json-value.js';
export * from './workspace.js';
export * from './video-job.js';
export * from './messages/index.js';
export * from './codec.js';
