import WsWebSocket from 'ws';

/** Members of the WHATWG WebSocket the client may use. */
export const STANDARD_MEMBERS = new Set(['readyState', 'onopen', 'onmessage', 'onclose', 'onerror', 'send', 'close']);

/**
 * A browser-like WebSocket: only the standard members, events shaped like the browser's (no error
 * details), backed by `ws`. Every property the client reads or writes is recorded in `accessed`.
 */
export function makeBrowserWebSocket(accessed: Set<string>) {
  return class BrowserWebSocket {
    onopen: ((event: { type: 'open' }) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
    onerror: ((event: { type: 'error' }) => void) | null = null;
    declare readonly readyState: number;
    declare send: (data: string) => void;
    declare close: (code?: number, reason?: string) => void;

    constructor(url: string, protocols?: string | string[]) {
      if (arguments.length > 2) throw new TypeError('A browser WebSocket takes (url, protocols?)');
      const inner = new WsWebSocket(url, protocols);
      inner.onopen = () => this.onopen?.({ type: 'open' });
      inner.onmessage = (event) => this.onmessage?.({ data: event.data });
      inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason, wasClean: event.wasClean });
      inner.onerror = () => this.onerror?.({ type: 'error' });
      Object.defineProperties(this, {
        readyState: { get: () => inner.readyState },
        send: { value: (data: string) => inner.send(data) },
        close: { value: (code?: number, reason?: string) => inner.close(code, reason) },
      });
      return new Proxy(this, {
        get: (target, key, receiver) => {
          if (typeof key === 'string') accessed.add(key);
          return Reflect.get(target, key, receiver);
        },
        set: (target, key, value, receiver) => {
          if (typeof key === 'string') accessed.add(key);
          return Reflect.set(target, key, value, receiver);
        },
      });
    }
  };
}
