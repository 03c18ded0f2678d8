/**
 * Version of the wire protocol spoken by this package: `hello.protocol` (docs/protocol.md#1-transport); what
 * each version changed: docs/protocol.md#history.
 */
export const PROTOCOL_VERSION = 1;

/** Longest request `id`, project id and workspace id, in characters. */
export const MAX_ID_LENGTH = 64;
/** Longest workspace `name`, in characters. */
export const MAX_NAME_LENGTH = 200;
/** Deepest nesting allowed inside a workspace's `data` (the object itself is depth 1). */
export const MAX_DATA_DEPTH = 32;
/** Most values (objects, arrays, scalars) allowed inside one `data`. */
export const MAX_DATA_NODES = 10_000;
/** Longest string (or object key) inside `data`, in characters. */
export const MAX_DATA_STRING_LENGTH = 65_536;
/** Largest `data` as JSON text, in bytes (approximated as UTF-16 code units). */
export const MAX_DATA_BYTES = 256 * 1024;
/** Longest type name echoed back in an UNKNOWN_TYPE message. */
export const MAX_ECHOED_TYPE_LENGTH = 64;
/** Default largest frame the server reads. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default interval of server pings. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
