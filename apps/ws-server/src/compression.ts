import { CONFIG_DEFAULTS } from '@app/core';
import type { PerMessageDeflateOptions } from 'ws';

/**
 * permessage-deflate settings (WS_COMPRESSION_*). Each compressing connection holds a zlib deflate
 * context of about 2^(windowBits + 2) + 2^(memLevel + 9) bytes, made at its first compressed frame,
 * and an inflate context (up to 2^15 bytes plus ~7 KiB: browsers do not all accept a smaller client window)
 * at the first compressed frame it receives; every zlib call runs on libuv's thread pool.
 */
export interface WsCompressionOptions {
  /** Frames smaller than this go out uncompressed (not worth the CPU). */
  thresholdBytes: number;
  /**
   * The server's LZ77 window (9-15), announced as `server_max_window_bits`. A client that itself asks for a
   * smaller server window is refused by ws (400), so keep it low only where clients do not ask.
   */
  windowBits: number;
  /** zlib memLevel of the server's deflate (1-9): memory for its internal state. */
  memLevel: number;
  /** zlib compression level (1 fastest - 9 smallest). */
  level: number;
  /**
   * zlib calls in flight at once, across the whole process (ws keeps one limiter per process, set by the
   * first server made): queueing many zlib jobs fragments memory badly (ws#1202, nodejs/node#8871).
   */
  concurrencyLimit: number;
}

/** The WS_COMPRESSION_* defaults of the config schema, for `WS_COMPRESSION=on`. */
export const DEFAULT_COMPRESSION: WsCompressionOptions = {
  thresholdBytes: CONFIG_DEFAULTS.WS_COMPRESSION_THRESHOLD_BYTES,
  windowBits: CONFIG_DEFAULTS.WS_COMPRESSION_WINDOW_BITS,
  memLevel: CONFIG_DEFAULTS.WS_COMPRESSION_MEM_LEVEL,
  level: CONFIG_DEFAULTS.WS_COMPRESSION_LEVEL,
  concurrencyLimit: CONFIG_DEFAULTS.WS_COMPRESSION_CONCURRENCY,
};

/** The `perMessageDeflate` option of ws's server: off (false) unless compression is configured. */
export function perMessageDeflateFor(compression: WsCompressionOptions | undefined): PerMessageDeflateOptions | false {
  if (compression === undefined) return false;
  return {
    threshold: compression.thresholdBytes,
    // Each message is compressed on its own: ws applies `threshold` only then (with context takeover it
    // compresses every frame, however small), and no history is kept between messages.
    serverNoContextTakeover: true,
    serverMaxWindowBits: compression.windowBits,
    concurrencyLimit: compression.concurrencyLimit,
    zlibDeflateOptions: { level: compression.level, memLevel: compression.memLevel },
    // Inflated messages stay bounded by maxPayload (MAX_MESSAGE_BYTES): a larger one closes with 1009.
  };
}
