import type { ServerEvent } from '@app/protocol';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import { CONFIG_DEFAULTS } from '../config.js';
import type { EventBus, EventListener } from './event-bus.js';

export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (REDIS_URL). Never logged. */
  url: string;
  /** Channel prefix (REDIS_PREFIX): one project's events travel on `<prefix>:events:<projectId>`. */
  prefix?: string;
  logger: Logger;
  /** Publishes waiting for Redis' reply past which new ones are dropped (the event log has them). */
  maxInFlightPublishes?: number;
  /** A publish without a reply after this long counts as failed. */
  publishTimeoutMs?: number;
  /** Projects whose last dropped event is kept for re-publishing after Redis is back. */
  maxDroppedProjects?: number;
  /** Extra ioredis options for both connections (tests). */
  redisOptions?: RedisOptions;
}

export interface RedisBusStats {
  published: number;
  /** Publishes that failed or were refused while Redis was unreachable (repaired from the event log). */
  dropped: number;
  received: number;
  /** Messages on our channels that were not events of that project (ignored). */
  malformed: number;
  /** Times the subscriber came back and listeners were told to backfill. */
  reconnects: number;
}

/**
 * Redis pub/sub as the event bus, a doorbell only: Redis delivers at most once, so every node also
 * backfills from the event log after `onReconnect` (and periodically, see Rooms).
 *
 * - One publisher connection without an offline queue: while Redis is unreachable a publish is
 *   dropped at once (and logged), so an outage cannot grow memory. The last dropped event of each
 *   project is published again once Redis is back, so other nodes notice the gap without waiting.
 * - One dedicated subscriber connection, subscribed to a project's channel only while this node has
 *   a listener for it (ref-counted by the listener set). After every (re)connect it resubscribes
 *   to every channel, waits for Redis to confirm, then calls the `onReconnect` listeners.
 * - Redis errors are logged, never thrown.
 */
export class RedisBus implements EventBus {
  readonly prefix: string;
  readonly stats: RedisBusStats = { published: 0, dropped: 0, received: 0, malformed: 0, reconnects: 0 };
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly reconnectListeners = new Set<() => void>();
  /** projectId -> the highest-seq event whose publish failed, re-published when the publisher is back. */
  private readonly droppedLast = new Map<string, ServerEvent>();
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly maxDroppedProjects: number;
  private inFlight = 0;
  private closed = false;
  /** Bumped on every subscriber (re)connect so a stale resubscribe never signals readiness. */
  private generation = 0;
  private subscribedOnce = false;
  private readyResolvers: ((connected: boolean) => void)[] = [];
  private subscriberUp = false;
  private publisherDown = false;
  private subscriberErrorLogged = false;
  private publisherErrorLogged = false;

  constructor(options: RedisBusOptions) {
    this.prefix = options.prefix ?? CONFIG_DEFAULTS.REDIS_PREFIX;
    this.logger = options.logger;
    this.maxInFlight = options.maxInFlightPublishes ?? 10_000;
    this.maxDroppedProjects = options.maxDroppedProjects ?? 10_000;
    const common: RedisOptions = {
      // Keep trying, at most every 2 s: the node keeps serving from the event log meanwhile.
      retryStrategy: (times) => Math.min(times * 100, 2_000),
      connectTimeout: 5_000,
      lazyConnect: false,
      ...options.redisOptions,
    };
    this.publisher = new Redis(options.url, {
      ...common,
      connectionName: `${this.prefix}-pub`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.publishTimeoutMs ?? 2_000,
    });
    this.subscriber = new Redis(options.url, {
      ...common,
      connectionName: `${this.prefix}-sub`,
      enableOfflineQueue: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 10_000,
    });

    this.publisher.on('error', (error: Error) => {
      if (!this.publisherErrorLogged) this.logger.warn(`Redis bus publisher: ${error.message}`);
      this.publisherErrorLogged = true;
    });
    this.publisher.on('ready', () => this.publisherReady());
    this.subscriber.on('error', (error: Error) => {
      if (!this.subscriberErrorLogged) this.logger.warn(`Redis bus subscriber: ${error.message}`);
      this.subscriberErrorLogged = true;
    });
    this.subscriber.on('close', () => {
      this.generation += 1;
      if (this.subscriberUp && !this.closed) {
        this.logger.warn('Redis bus subscriber disconnected; reconnecting (events are repaired from the event log)');
      }
      this.subscriberUp = false;
    });
    this.subscriber.on('ready', () => void this.subscriberReady());
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
  }

  channelOf(projectId: string): string {
    return `${this.prefix}:events:${projectId}`;
  }

  /** True once the subscriber is connected and subscribed to every channel it should be. */
  get connected(): boolean {
    return this.subscriberUp;
  }

  /** Resolves when the subscriber is connected and subscribed, or after `timeoutMs` (false). */
  waitUntilConnected(timeoutMs: number): Promise<boolean> {
    if (this.subscriberUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.readyResolvers = this.readyResolvers.filter((r) => r !== done);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = (connected: boolean): void => {
        clearTimeout(timer);
        resolve(connected);
      };
      this.readyResolvers.push(done);
    });
  }

  publish(event: ServerEvent): void {
    if (this.closed) return;
    if (this.publisher.status !== 'ready' || this.inFlight >= this.maxInFlight) {
      this.publishFailed(
        event,
        this.publisher.status !== 'ready' ? `Redis is ${this.publisher.status}` : 'too many publishes in flight',
      );
      return;
    }
    this.inFlight += 1;
    this.publisher.publish(this.channelOf(event.projectId), JSON.stringify(event)).then(
      () => {
        this.inFlight -= 1;
        this.stats.published += 1;
        const dropped = this.droppedLast.get(event.projectId);
        // A later seq reached Redis: receivers see the gap before it and repair it themselves.
        if (dropped !== undefined && dropped.seq <= event.seq) this.droppedLast.delete(event.projectId);
        if (this.publisherDown) {
          this.publisherDown = false;
          this.publisherErrorLogged = false;
          this.logger.info(
            `Redis bus publishing again (${this.stats.dropped} events dropped so far, all repaired from the event log)`,
          );
        }
      },
      (error: unknown) => {
        this.inFlight -= 1;
        this.publishFailed(event, error instanceof Error ? error.message : String(error));
      },
    );
  }

  subscribe(projectId: string, listener: EventListener): () => void {
    let set = this.listeners.get(projectId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(projectId, set);
      if (this.subscriber.status === 'ready' && !this.closed) {
        const channel = this.channelOf(projectId);
        this.subscriber.subscribe(channel).catch((error: unknown) => this.subscribeFailed(channel, error));
      }
    }
    set.add(listener);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const current = this.listeners.get(projectId);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      this.listeners.delete(projectId);
      if (this.subscriber.status === 'ready' && !this.closed) {
        const channel = this.channelOf(projectId);
        this.subscriber
          .unsubscribe(channel)
          .catch((error: unknown) =>
            this.logger.debug(`Redis UNSUBSCRIBE ${channel} failed: ${(error as Error).message}`),
          );
      }
    };
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => {
      this.reconnectListeners.delete(listener);
    };
  }

  /** Projects with at least one listener on this node (= channels subscribed). */
  get projectCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.reconnectListeners.clear();
    this.droppedLast.clear();
    for (const resolve of this.readyResolvers) resolve(false);
    this.readyResolvers = [];
    await Promise.all([quit(this.publisher), quit(this.subscriber)]);
  }

  /**
   * A SUBSCRIBE that failed on a live connection would leave a project deaf until the next
   * reconnect: force that reconnect (it resubscribes everything, then listeners backfill). When the
   * connection is already down, its own reconnect does the same.
   */
  private subscribeFailed(channel: string, error: unknown): void {
    if (this.closed) return;
    this.logger.warn(`Redis SUBSCRIBE ${channel} failed: ${(error as Error).message}; reconnecting the subscriber`);
    if (this.subscriber.status === 'ready') this.subscriber.disconnect(true);
  }

  private publishFailed(event: ServerEvent, reason: string): void {
    this.stats.dropped += 1;
    if (!this.publisherDown) {
      this.publisherDown = true;
      this.logger.warn(
        `Redis bus publish failed (${reason}); events are delivered from the event log until Redis is back`,
      );
    }
    const previous = this.droppedLast.get(event.projectId);
    if (previous !== undefined && previous.seq >= event.seq) return;
    if (previous === undefined && this.droppedLast.size >= this.maxDroppedProjects) return; // periodic resync covers it
    this.droppedLast.set(event.projectId, event);
  }

  /** Re-publishes the last dropped event of each project so other nodes notice the gap now. */
  private publisherReady(): void {
    if (this.closed) return;
    this.publisherErrorLogged = false;
    const pending = [...this.droppedLast.values()];
    this.droppedLast.clear();
    for (const event of pending) this.publish(event);
  }

  private async subscriberReady(): Promise<void> {
    if (this.closed) return;
    const generation = this.generation;
    const channels = [...this.listeners.keys()].map((projectId) => this.channelOf(projectId));
    try {
      for (let i = 0; i < channels.length; i += 1_000) await this.subscriber.subscribe(...channels.slice(i, i + 1_000));
    } catch (error) {
      // The connection dropped again; the next 'ready' retries.
      this.logger.debug(`Redis resubscribe failed: ${(error as Error).message}`);
      return;
    }
    if (this.closed || generation !== this.generation) return;
    this.subscriberUp = true;
    this.subscriberErrorLogged = false;
    const again = this.subscribedOnce;
    this.subscribedOnce = true;
    if (again) {
      this.stats.reconnects += 1;
      this.logger.info(
        `Redis bus subscriber reconnected (${channels.length} channels); backfilling from the event log`,
      );
    } else {
      this.logger.info(`Redis bus connected (${channels.length} channels)`);
    }
    for (const resolve of this.readyResolvers) resolve(true);
    this.readyResolvers = [];
    // Every time, also the first: listeners registered before Redis was reachable may have missed events.
    for (const listener of [...this.reconnectListeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error(`Redis bus reconnect listener failed: ${(error as Error).message}`);
      }
    }
  }

  private onMessage(channel: string, message: string): void {
    const head = `${this.prefix}:events:`;
    if (!channel.startsWith(head)) return;
    const projectId = channel.slice(head.length);
    const set = this.listeners.get(projectId);
    if (set === undefined) return;
    let event: ServerEvent;
    try {
      event = JSON.parse(message) as ServerEvent;
    } catch {
      this.stats.malformed += 1;
      return;
    }
    if (!isEventOf(event, projectId)) {
      this.stats.malformed += 1;
      return;
    }
    this.stats.received += 1;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`Event listener failed for ${projectId}: ${(error as Error).message}`);
      }
    }
  }
}

function isEventOf(value: unknown, projectId: string): value is ServerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  return (
    event['projectId'] === projectId &&
    typeof event['type'] === 'string' &&
    Number.isSafeInteger(event['seq']) &&
    (event['seq'] as number) > 0 &&
    typeof event['data'] === 'object' &&
    event['data'] !== null
  );
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1_000);
    });
    await Promise.race([
      client.quit().then(
        () => {},
        () => {},
      ),
      timeout,
    ]);
    clearTimeout(timer);
  }
  client.disconnect();
}
