import type { WebSocket } from 'ws';

export interface HeartbeatOptions {
  heartbeatMs: number;
  /** Called for each connection terminated for missing a ping. */
  onTimeout?: (socket: WebSocket) => void;
}

export interface Heartbeat {
  /** Starts watching a socket: a pong marks it alive until the next tick. */
  watch(socket: WebSocket): void;
  stop(): void;
}

/**
 * Pings every watched socket each `heartbeatMs`; a socket that has not answered the previous ping by
 * the next tick is terminated (PROTOCOL.md section 6), so a dead peer is gone within 2 x heartbeatMs.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const alive = new Map<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const [socket, answered] of alive) {
      if (!answered) {
        alive.delete(socket);
        options.onTimeout?.(socket);
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      try {
        socket.ping();
      } catch {
        // the socket is closing; its 'close' listener removes it
      }
    }
  }, options.heartbeatMs);
  timer.unref();
  return {
    watch(socket) {
      alive.set(socket, true);
      socket.on('pong', () => {
        if (alive.has(socket)) alive.set(socket, true);
      });
      socket.once('close', () => alive.delete(socket));
    },
    stop() {
      clearInterval(timer);
      alive.clear();
    },
  };
}
