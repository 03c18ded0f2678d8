import type { Handler } from './types.js';
import { isoNow } from '../iso-time.js';

/** Answers with the server's clock (the router sends it as a `pong`, not an `ack`). */
export const ping: Handler<'ping'> = () => ({ ts: isoNow() });
