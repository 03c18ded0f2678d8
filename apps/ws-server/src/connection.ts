import { randomUUID } from 'node:crypto';
import {
  Sequencer,
  assertAccess,
  authorizerFor,
  type Core,
  type Metrics,
  type MutationContext,
  type Principal,
} from '@app/core';
import {
  CLOSE_CODES,
  ProtocolError,
  ID_PREFIX_BYTES,
  encodeError,
  frameIdFromPrefix,
  parseClientMessage,
  type ClientMessage,
  type ErrorCode,
  type RequestType,
  type ServerEvent,
} from '@app/protocol';
import { WebSocket, type RawData } from 'ws';
import { startDeadlineTimer, type DeadlineTimer } from './deadline-timer.js';
import { encodeEventOnce } from './event-frames.js';
import { checkDataLimits, type ConnectionLimits } from './limits.js';
import { TokenBucket } from './rate-limit.js';
import { Strikes } from './strikes.js';
import type { WriteCoalescer } from './write-coalescer.js';
import type { ReadGate } from './read-gate.js';
import type { Reply } from './reply.js';
import type { RequestErrorSink } from './request-error-sink.js';
import type { Rooms } from './rooms.js';
import type { Router } from './router.js';
import type { Session, SessionSubscription } from './session.js';
import { Subscription } from './subscription.js';

export interface ConnectionDeps {
  core: Core;
  rooms: Rooms;
  /** Turns each request into its reply (shared by the server's connections). */
  router: Router;
  principal: Principal;
  limits: ConnectionLimits;
  metrics?: Metrics | undefined;
  /** Shared by the server's connections: bounds the event-log reads of replays and catch-ups in flight. */
  readGate?: ReadGate | undefined;
  /** Batches this connection's frames per event-loop turn into one write. */
  coalescer?: WriteCoalescer | undefined;
  onError: RequestErrorSink;
}

/** How long a closing socket may take before it is destroyed (a paused peer never reads our close frame). */
const CLOSE_GRACE_MS = 5_000;
/**
 * Frames are text even when the payload is a Buffer. Compressed only where permessage-deflate was
 * negotiated and the frame reaches the threshold (ws decides both).
 */
const TEXT_FRAME = { binary: false, compress: true } as const;
/** What a connection may hold in memory for its peer (outbox, socket buffer, held events), in multiples of `maxBufferedBytes`. */
const MEMORY_FACTOR = 8;

/**
 * One client socket: reads frames, enforces limits, hands each request to the router and writes the
 * reply it returns, owns the connection's subscriptions (the `Session` handlers see).
 */
export class Connection implements Session {
  readonly sessionId = randomUUID();
  // Created on first use, so an idle connection holds none of them.
  private subscriptionMap: Map<string, Subscription> | undefined;
  private ordering: Sequencer | undefined;
  private inFlightSet: Set<Promise<void>> | undefined;
  private readonly bucket: TokenBucket;
  private readonly strikes: Strikes;
  private draining = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private expiryTimer: DeadlineTimer | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private outbox: (string | Buffer)[] | undefined;
  private outboxBytes = 0;
  private wakeups: (() => void)[] | undefined;
  /** Frames the socket wrote out so far (the peer's progress). */
  private flushed = 0;
  /** Bytes of events the subscriptions owe the peer, and those of them held in memory. */
  private owedBytes = 0;
  private heldBytes = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Unsent bytes in the socket past which frames wait in the outbox and subscriptions wait. */
  private readonly highWater: number;
  /** The close code and reason this server sent, when it closed the connection. */
  closedWith: { code: number; reason: string } | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    this.bucket = new TokenBucket(deps.limits.ratePerSec, deps.limits.rateBurst);
    this.strikes = new Strikes(deps.limits.ratePerSec);
    this.highWater = Math.max(64 * 1024, Math.floor(deps.limits.maxBufferedBytes / 8));
    socket.on('message', (data, isBinary) => this.socketOnMessage(data, isBinary));
    socket.on('close', () => this.socketOnClose()); // emitted once; `on` spares the wrapper of `once`
    this.armIdleTimer();
    const { expiresAt } = deps.principal;
    if (expiresAt !== undefined) {
      // At the token's own expiry, however far away (a setTimeout alone would fire at 24.8 days).
      this.expiryTimer = startDeadlineTimer(expiresAt, () => this.close(CLOSE_CODES.UNAUTHORIZED, 'token expired'));
    }
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? 0;
  }

  get subject(): string {
    return this.deps.principal.subject;
  }

  /**
   * Sends a text frame (a string, or UTF-8 bytes encoded once for many sockets). Past the socket's
   * high-water mark frames wait in order in the connection's outbox and go out as the peer takes
   * what came before; a peer that takes nothing while too much is owed is closed (1013).
   */
  send(text: string | Buffer): void {
    this.write(text, true);
  }

  /**
   * Events are coalesced (many per turn reach one socket in a fan-out); a reply is written at once,
   * so a request/ack round trip does not wait for the end of the turn. Both keep the socket's order:
   * a reply sent while the socket is corked joins what is held, one sent while frames wait in the
   * outbox waits behind them.
   */
  private write(text: string | Buffer, coalesce: boolean): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.outbox === undefined && this.socket.bufferedAmount < this.highWater) {
      if (coalesce) this.deps.coalescer?.hold(this.socket);
      this.socket.send(text, TEXT_FRAME, this.onFlushed);
    } else {
      (this.outbox ??= []).push(text);
      this.outboxBytes += text.length;
    }
    this.checkBacklog();
  }

  /** Whether a subscription may hand the socket another event now (nothing waits, the socket is below its high-water mark). */
  get writable(): boolean {
    return this.outbox === undefined && this.socket.bufferedAmount < this.highWater;
  }

  /** Calls `wake` once the connection is writable again (after the peer took some of what is owed). */
  onWritable(wake: () => void): void {
    (this.wakeups ??= []).push(wake);
  }

  /**
   * Per frame the socket wrote out (handed to the kernel, so the peer is taking them): sends what
   * waits in the outbox, then lets waiting subscriptions send, while the socket stays below its mark.
   */
  private readonly onFlushed = (): void => {
    this.flushed += 1;
    if (this.outbox === undefined && this.wakeups === undefined) return;
    if (this.socket.readyState !== WebSocket.OPEN) return;
    while (this.outbox !== undefined && this.socket.bufferedAmount < this.highWater) {
      const text = this.outbox.shift()!;
      this.outboxBytes -= text.length;
      if (this.outbox.length === 0) this.outbox = undefined;
      this.deps.coalescer?.hold(this.socket);
      this.socket.send(text, TEXT_FRAME, this.onFlushed);
    }
    if (this.wakeups !== undefined && this.writable) {
      const wakeups = this.wakeups;
      this.wakeups = undefined;
      for (const wake of wakeups) wake();
    }
  };

  /**
   * What the peer has not taken: bytes in the socket buffer, in the outbox, and of the events its
   * subscriptions owe it (held, or left in the log). Over `maxBufferedBytes` it is a slow consumer
   * only if it takes nothing for `slowConsumerMs`; what is held in memory is capped at once.
   */
  private checkBacklog(): void {
    const { maxBufferedBytes } = this.deps.limits;
    if (this.memoryBytes > maxBufferedBytes * MEMORY_FACTOR) {
      this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
      return;
    }
    if (this.stallTimer === undefined && this.backlog() > maxBufferedBytes) this.armStallTimer();
  }

  /** Bytes this connection holds in memory for its peer: socket buffer, outbox, held events. */
  get memoryBytes(): number {
    return this.socket.bufferedAmount + this.outboxBytes + this.heldBytes;
  }

  private backlog(): number {
    return this.socket.bufferedAmount + this.outboxBytes + this.owedBytes;
  }

  private armStallTimer(): void {
    const mark = this.flushed;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.socket.readyState !== WebSocket.OPEN || this.backlog() <= this.deps.limits.maxBufferedBytes) return;
      if (this.flushed === mark) this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
      else this.armStallTimer();
    }, this.deps.limits.slowConsumerMs);
    this.stallTimer.unref();
  }

  sendEvent(event: ServerEvent): void {
    this.send(encodeEventOnce(event));
  }

  /** Starts the closing handshake, and destroys the socket if the peer does not finish it in time. */
  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      // Replies waiting in the outbox go before the close frame (a graceful shutdown answers what it read).
      if (this.socket.readyState === WebSocket.OPEN && code !== CLOSE_CODES.TRY_AGAIN_LATER) {
        for (const text of this.outbox ?? []) this.socket.send(text, TEXT_FRAME);
      }
      this.outbox = undefined;
      this.outboxBytes = 0;
      this.closedWith = { code, reason };
      this.socket.close(code, reason);
      this.graceTimer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
      this.graceTimer.unref();
    }
  }

  /** Starts (or restarts) a subscription; live events buffer until `start()` is called on it. */
  subscribe(projectId: string): Subscription {
    assertAccess(this.deps.principal, projectId);
    const subscriptions = (this.subscriptionMap ??= new Map());
    if (!subscriptions.has(projectId) && subscriptions.size >= this.deps.limits.maxSubscriptions) {
      throw new ProtocolError(
        'FORBIDDEN',
        `Subscription limit (${this.deps.limits.maxSubscriptions}) reached; unsubscribe first`,
        {
          details: { maxSubscriptions: this.deps.limits.maxSubscriptions },
        },
      );
    }
    this.unsubscribe(projectId);
    const subscription = new Subscription({
      projectId,
      send: (text) => this.send(text),
      fetch: (afterSeq, uptoSeq, limit) => {
        const read = () => this.deps.core.service.eventsBetween(projectId, afterSeq, uptoSeq, limit);
        return this.deps.readGate === undefined ? read() : this.deps.readGate.run(read);
      },
      encode: encodeEventOnce,
      fail: (reason, error) => {
        if (reason === 'repair-failed') {
          this.deps.onError(error, { sessionId: this.sessionId });
          this.close(CLOSE_CODES.INTERNAL_ERROR, 'event delivery failed; resubscribe');
        } else {
          this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
        }
      },
      maxBuffered: this.deps.limits.maxPendingEvents,
      writable: () => this.writable,
      onWritable: (wake) => this.onWritable(wake),
      reserve: (bytes) => {
        if (this.heldBytes + bytes > this.deps.limits.maxBufferedBytes) return false;
        this.heldBytes += bytes;
        return true;
      },
      release: (bytes) => {
        this.heldBytes -= bytes;
      },
      owe: (bytes) => {
        this.owedBytes += bytes;
        if (bytes > 0) this.checkBacklog();
      },
    });
    subscriptions.set(projectId, subscription);
    this.deps.rooms.add(subscription);
    return subscription;
  }

  /** Ends the project's subscription (only `which`, when given and still current). */
  unsubscribe(projectId: string, which?: SessionSubscription): void {
    const subscription = this.subscriptionMap?.get(projectId);
    if (subscription === undefined || (which !== undefined && which !== subscription)) return;
    subscription.close();
    this.subscriptionMap?.delete(projectId);
    this.deps.rooms.remove(subscription);
  }

  /** Stops taking requests and resolves when those already taken have been answered. */
  async drain(): Promise<void> {
    this.draining = true;
    while (this.inFlightSet !== undefined && this.inFlightSet.size > 0) await Promise.allSettled([...this.inFlightSet]);
  }

  private socketOnMessage(data: RawData, isBinary: boolean): void {
    if (this.closedWith !== undefined) return; // closing: nothing more is read or answered
    if (isBinary) {
      this.close(CLOSE_CODES.UNSUPPORTED_DATA, 'binary frames are not supported');
      return;
    }
    this.armIdleTimer();
    const waitMs = this.bucket.take();
    if (waitMs > 0) {
      // Refused unread: only the first bytes are decoded, for the id (no parse, no copy of the frame).
      this.refuseForRate(textPrefix(data, ID_PREFIX_BYTES), waitMs);
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
    const started = performance.now();
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.replyError(encodeError(parsed.error, parsed.id), parsed.error.code);
      return;
    }
    const message = parsed.value;
    this.deps.metrics?.forRequest(message.type).received.inc();
    if (this.draining) {
      this.replyError(
        encodeError(new ProtocolError('UNAVAILABLE', 'Server is shutting down; retry on reconnect'), message.id),
        'UNAVAILABLE',
      );
      return;
    }
    try {
      checkDataLimits(message, this.deps.limits.data);
    } catch (error) {
      const protocolError = error as ProtocolError;
      this.replyError(encodeError(protocolError, message.id), protocolError.code);
      return;
    }
    this.dispatch(message, started);
  }

  private dispatch(message: ClientMessage, started: number): void {
    const reply = this.deps.router.route(message, this);
    if (!(reply instanceof Promise)) {
      this.writeReply(message.type, reply, started); // answered at once: no promise, no in-flight entry
      return;
    }
    const task = reply.then((settled) => this.writeReply(message.type, settled, started));
    const inFlight = (this.inFlightSet ??= new Set());
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  /** Subject, request id, origin and this connection's ordering, for the service (built only for requests that use it). */
  mutationFor(requestId: string | undefined): MutationContext {
    const { principal } = this.deps;
    return {
      subject: principal.subject,
      requestId,
      origin: requestId === undefined ? { sessionId: this.sessionId } : { sessionId: this.sessionId, requestId },
      sequencer: (this.ordering ??= new Sequencer()),
      authorize: authorizerFor(principal),
    };
  }

  /** Writes the router's reply to a request (its pages first), then what the handler asked to run after it. */
  private writeReply(requestType: RequestType, reply: Reply, started: number): void {
    const metrics = this.deps.metrics;
    if (reply.pages !== undefined) {
      for (const page of reply.pages) {
        metrics?.messagesOut.inc('page');
        this.write(page, false);
      }
    }
    const requestMetrics = metrics?.forRequest(requestType);
    requestMetrics?.latency.observe((performance.now() - started) / 1000);
    if (reply.errorCode !== undefined) {
      this.replyError(reply.frame, reply.errorCode);
      return;
    }
    requestMetrics?.answered.inc();
    this.write(reply.frame, false);
    reply.afterWrite?.();
  }

  private replyError(text: string, code: ErrorCode): void {
    const metrics = this.deps.metrics;
    if (metrics !== undefined) {
      metrics.errors.inc(code);
      metrics.messagesOut.inc('error');
    }
    this.write(text, false);
  }

  /** Over the rate limit: RATE_LIMITED with the id echoed; sustained flooding closes with 1008. */
  private refuseForRate(prefix: string, retryAfterMs: number): void {
    this.deps.metrics?.rateLimited.inc();
    if (this.strikes.add() > this.deps.limits.maxStrikes) {
      this.close(CLOSE_CODES.POLICY_VIOLATION, 'rate limit exceeded');
      // Stop reading the flood: the peer's close frame is not awaited, the grace timer ends the socket.
      (this.socket as unknown as { _socket?: { pause(): void } })._socket?.pause();
      return;
    }
    const error = new ProtocolError('RATE_LIMITED', 'Too many messages; slow down', { details: { retryAfterMs } });
    this.replyError(encodeError(error, frameIdFromPrefix(prefix)), 'RATE_LIMITED');
  }

  private armIdleTimer(): void {
    const { idleTimeoutMs } = this.deps.limits;
    if (idleTimeoutMs <= 0) return;
    if (this.idleTimer !== undefined) {
      this.idleTimer.refresh(); // per message: moves the timer without allocating a new one
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.subscriptionCount === 0 && (this.inFlightSet?.size ?? 0) === 0) this.close(1000, 'idle');
      else this.armIdleTimer();
    }, idleTimeoutMs);
    this.idleTimer.unref();
  }

  private socketOnClose(): void {
    clearTimeout(this.idleTimer);
    this.expiryTimer?.stop();
    clearTimeout(this.graceTimer);
    clearTimeout(this.stallTimer);
    this.outbox = undefined;
    this.outboxBytes = 0;
    this.wakeups = undefined;
    for (const projectId of [...(this.subscriptionMap?.keys() ?? [])]) this.unsubscribe(projectId);
  }
}

/** The first `bytes` bytes of a text frame, decoded (a character cut at the end becomes U+FFFD). */
function textPrefix(data: RawData, bytes: number): string {
  const first = Array.isArray(data) ? data[0] : data;
  if (first === undefined) return '';
  const buffer = Buffer.isBuffer(first) ? first : Buffer.from(first);
  return buffer.toString('utf8', 0, Math.min(bytes, buffer.length));
}
