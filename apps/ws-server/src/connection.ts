import { randomUUID } from 'node:crypto';
import { Sequencer, type Core } from '@app/core';
import {
  CLOSE_CODES,
  ProtocolError,
  encodeError,
  encodeEvent,
  parseClientMessage,
  type RequestType,
  type ServerEvent,
} from '@app/protocol';
import { WebSocket, type RawData } from 'ws';
import type { Rooms } from './rooms.js';
import { route } from './router.js';
import { Subscription } from './subscription.js';

export interface ConnectionDeps {
  core: Core;
  rooms: Rooms;
  /** Idempotency scope of this connection's mutations (the authenticated subject). */
  subject: string;
  /** Send buffer past which the peer is a slow consumer and is closed with 1013. */
  maxBufferedBytes: number;
  /** Most events held for one subscription while it is being prepared or repaired. */
  maxPendingEvents: number;
  onError(error: unknown, context: { sessionId: string; requestType?: RequestType | undefined }): void;
}

/** One client socket: reads frames, routes requests, owns the connection's subscriptions. */
export class Connection {
  readonly sessionId = randomUUID();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly sequencer = new Sequencer();
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;

  constructor(
    readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    socket.on('message', (data, isBinary) => this.socketOnMessage(data, isBinary));
    socket.once('close', () => this.socketOnClose());
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Sends a text frame; a peer that stops reading is closed (1013) instead of growing server memory. */
  send(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.deps.maxBufferedBytes) {
      this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
      return;
    }
    this.socket.send(text);
  }

  sendEvent(event: ServerEvent): void {
    this.send(encodeEvent(event));
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Starts (or restarts) a subscription; live events buffer until `start()` is called on it. */
  subscribe(projectId: string): Subscription {
    this.unsubscribe(projectId);
    const subscription = new Subscription({
      projectId,
      send: (text) => this.send(text),
      fetch: (afterSeq, uptoSeq) => this.deps.core.service.eventsBetween(projectId, afterSeq, uptoSeq),
      encode: encodeEvent,
      fail: (reason, error) => {
        if (reason === 'repair-failed') {
          this.deps.onError(error, { sessionId: this.sessionId });
          this.close(CLOSE_CODES.INTERNAL_ERROR, 'event delivery failed; resubscribe');
        } else {
          this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
        }
      },
      maxBuffered: this.deps.maxPendingEvents,
    });
    this.subscriptions.set(projectId, subscription);
    this.deps.rooms.add(subscription);
    return subscription;
  }

  /** Ends the project's subscription (only `which`, when given and still current). */
  unsubscribe(projectId: string, which?: Subscription): void {
    const subscription = this.subscriptions.get(projectId);
    if (subscription === undefined || (which !== undefined && which !== subscription)) return;
    subscription.close();
    this.subscriptions.delete(projectId);
    this.deps.rooms.remove(subscription);
  }

  /** Stops taking requests and resolves when those already taken have been answered. */
  async drain(): Promise<void> {
    this.draining = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private socketOnMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.close(CLOSE_CODES.UNSUPPORTED_DATA, 'binary frames are not supported');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.send(encodeError(parsed.error, parsed.id));
      return;
    }
    const message = parsed.value;
    if (this.draining) {
      this.send(encodeError(new ProtocolError('UNAVAILABLE', 'Server is shutting down; retry on reconnect'), message.id));
      return;
    }
    const mutation = {
      subject: this.deps.subject,
      requestId: message.id,
      origin: message.id === undefined ? { sessionId: this.sessionId } : { sessionId: this.sessionId, requestId: message.id },
      sequencer: this.sequencer,
    };
    const task = route(
      message,
      { core: this.deps.core, connection: this, requestId: message.id, mutation },
      {
        send: (reply) => this.send(reply),
        onError: (error, requestType) => this.deps.onError(error, { sessionId: this.sessionId, requestType }),
      },
    );
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private socketOnClose(): void {
    for (const projectId of [...this.subscriptions.keys()]) this.unsubscribe(projectId);
  }
}
