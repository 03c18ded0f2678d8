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
 * the next tick is terminated (docs/protocol.md#7-liveness-limits-and-close-codes), so a dead peer is gone
 * within 2 x heartbeatMs.
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
  // One pair of listeners shared by every socket (ws calls them with the socket as `this`), so a
  // watched connection costs a map entry, not two closures.
  function onPong(this: WebSocket): void {
    if (alive.has(this)) alive.set(this, true);
  }
  function onClose(this: WebSocket): void {
    alive.delete(this);
  }
  return {
    watch(socket) {
      alive.set(socket, true);
      socket.on('pong', onPong);
      socket.on('close', onClose); // 'close' is emitted once; `on` avoids the wrapper `once` allocates
    },
    stop() {
      clearInterval(timer);
      alive.clear();
    },
  };
}
