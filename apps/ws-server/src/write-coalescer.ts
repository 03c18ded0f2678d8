import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Coalesces each socket's frames within one event-loop turn into one write system call: the first
 * send of a turn corks the TCP socket, and one `setImmediate` uncorks every corked socket. The wire
 * format is unchanged (still one JSON message per frame) and per-socket order is kept.
 */
export class WriteCoalescer {
  private corked: Socket[] = [];
  private scheduled = false;

  /** Call before sending on `socket`. */
  hold(socket: WebSocket): void {
    // `_socket` is the TCP socket ws writes to (stable in ws 8); without it there is nothing to cork.
    const raw = (socket as unknown as { _socket?: Socket })._socket;
    if (raw === undefined || raw.writableCorked > 0) return;
    raw.cork();
    this.corked.push(raw);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes everything held so far. */
  flush(): void {
    this.scheduled = false;
    const sockets = this.corked;
    this.corked = [];
    for (const raw of sockets) {
      while (raw.writableCorked > 0) raw.uncork();
    }
  }
}
