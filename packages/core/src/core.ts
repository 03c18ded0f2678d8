import type { ServerEvent } from '@app/protocol';
import type { Connection } from 'mongoose';
import { CONFIG_DEFAULTS, type Config } from './config.js';
import type { EventBus } from './bus/event-bus.js';
import { InProcessBus } from './bus/in-process.js';
import { databaseAvailability } from './db/availability.js';
import { connectDatabase } from './db/connect.js';
import { createModels, type Models } from './db/models.js';
import type { Logger } from './logger.js';
import type { BudgetStore } from './budget.js';
import { urlSignerFor, type UrlSigner } from './url-signer.js';
import { WorkspaceService } from './workspace-service.js';
import type { ProjectLimits } from './write-path/plans.js';
import { WsTickets } from './ws-tickets.js';

export interface CoreOptions {
  mongodbUri: string;
  dbName: string;
  logger: Logger;
  /** Per-operation database timeout; past it requests fail with UNAVAILABLE. */
  dbTimeoutMs?: number;
  /** The bus to use; without it, Redis when `redisUrl` is set, otherwise the in-process bus. */
  bus?: EventBus;
  /** REDIS_URL: events travel between nodes over Redis pub/sub. `ioredis` is loaded only when set. */
  redisUrl?: string | undefined;
  /** REDIS_PREFIX: channel prefix, so several deployments (or tests) can share one Redis. */
  redisPrefix?: string | undefined;
  /** BUS_RESYNC_MS: how often each node checks the event log for events a lossy bus missed (0: never). */
  busResyncMs?: number | undefined;
  /** PROJECTION_DELAY_MS: how long after a commit the read model is written. */
  projectionDelayMs?: number | undefined;
  /** PROJECT_MAX_WORKSPACES / PROJECT_MAX_BYTES; default the settings' defaults. */
  projectLimits?: ProjectLimits | undefined;
  /** STATE_CACHE_MAX_PROJECTS / STATE_CACHE_MAX_BYTES; default the settings' defaults. */
  stateCache?: { maxProjects: number; maxBytes: number } | undefined;
  /** URL_SIGNING_SECRET: the key of signed video links and WebSocket tickets; unset: one drawn per database. */
  urlSigningSecret?: string | undefined;
  /** WS_TICKET_TTL_MS: how long a WebSocket ticket may wait for its upgrade. */
  wsTicketTtlMs?: number | undefined;
}

/** What a node needs to repair what the bus missed: read stored events, and how often to check. */
export interface BusRepairSource {
  /** Stored events of a project with seq > afterSeq, in order (capped per call). */
  fetchAfter(projectId: string, afterSeq: number): Promise<ServerEvent[]>;
  /** Period of the completeness check of each room; 0 when the bus cannot lose messages. */
  resyncIntervalMs: number;
  logger: Logger;
}

/**
 * Most events one `fetchAfter` returns: a room's backfill holds one page at a time, so its memory is
 * bounded by this many events of at most MAX_DATA_BYTES each, however far behind the room is.
 */
export const BUS_REPAIR_PAGE = 32;

/** Everything of `CoreOptions` the config decides (all but the URI and the logger), for every process that starts a core. */
export function coreOptionsFromConfig(
  config: Pick<
    Config,
    | 'MONGODB_DB'
    | 'DB_TIMEOUT_MS'
    | 'PROJECTION_DELAY_MS'
    | 'REDIS_URL'
    | 'REDIS_PREFIX'
    | 'BUS_RESYNC_MS'
    | 'PROJECT_MAX_WORKSPACES'
    | 'PROJECT_MAX_BYTES'
    | 'STATE_CACHE_MAX_PROJECTS'
    | 'STATE_CACHE_MAX_BYTES'
    | 'URL_SIGNING_SECRET'
    | 'WS_TICKET_TTL_MS'
  >,
): Pick<
  CoreOptions,
  | 'dbName'
  | 'dbTimeoutMs'
  | 'projectionDelayMs'
  | 'redisUrl'
  | 'redisPrefix'
  | 'busResyncMs'
  | 'projectLimits'
  | 'stateCache'
  | 'urlSigningSecret'
  | 'wsTicketTtlMs'
> {
  return {
    projectLimits: { maxWorkspaces: config.PROJECT_MAX_WORKSPACES, maxBytes: config.PROJECT_MAX_BYTES },
    stateCache: { maxProjects: config.STATE_CACHE_MAX_PROJECTS, maxBytes: config.STATE_CACHE_MAX_BYTES },
    dbName: config.MONGODB_DB,
    dbTimeoutMs: config.DB_TIMEOUT_MS,
    projectionDelayMs: config.PROJECTION_DELAY_MS,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    busResyncMs: config.BUS_RESYNC_MS,
    urlSigningSecret: config.URL_SIGNING_SECRET,
    wsTicketTtlMs: config.WS_TICKET_TTL_MS,
  };
}

/** The Redis bus, with `ioredis` loaded only now. Waits up to `waitMs` for Redis; a node starts without it. */
export async function createRedisBus(options: {
  url: string;
  prefix?: string | undefined;
  logger: Logger;
  waitMs?: number;
}): Promise<EventBus> {
  const { RedisBus } = await import('./bus/redis.js');
  const bus = new RedisBus({
    url: options.url,
    logger: options.logger,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  if (!(await bus.waitUntilConnected(options.waitMs ?? 3_000))) {
    options.logger.warn(
      'Redis is not reachable yet; starting anyway (events reach other nodes once it is, and are repaired from the event log)',
    );
  }
  return bus;
}

/** Everything both apps share: one database connection, the models, the service and the bus. */
export interface Core {
  connection: Connection;
  models: Models;
  service: WorkspaceService;
  bus: EventBus;
  /** Reads what the bus missed from the event log: the ws-server passes it to its rooms. */
  busRepair: BusRepairSource;
  logger: Logger;
  /** Signs short-lived links (videos) with the key every node shares. */
  signer: UrlSigner;
  /** Single-use WebSocket tickets: tokens stay out of URLs. */
  tickets: WsTickets;
  /** Where budgets of paid work are counted across nodes: Redis with REDIS_URL, else the database. */
  budgetStore: BudgetStore;
  /** True while the database answers (used by /ready). */
  isDatabaseReady(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const connection = await connectDatabase({
    uri: options.mongodbUri,
    dbName: options.dbName,
    timeoutMs: options.dbTimeoutMs ?? CONFIG_DEFAULTS.DB_TIMEOUT_MS,
  });
  let ownBus: EventBus | undefined;
  const availability = databaseAvailability(connection);
  let budgetRedis: { quit(): Promise<unknown>; disconnect(): void } | undefined;
  try {
    const models = await createModels(connection);
    const signer = await urlSignerFor(models, options.urlSigningSecret);
    let budgetStore: BudgetStore = { kind: 'database', connection };
    if (options.redisUrl !== undefined) {
      const { Redis } = await import('ioredis');
      const client = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
      client.on('error', () => {}); // a use while Redis is down is answered UNAVAILABLE; ioredis reconnects
      budgetRedis = client;
      budgetStore = { kind: 'redis', client, prefix: options.redisPrefix ?? CONFIG_DEFAULTS.REDIS_PREFIX };
    }
    const tickets = new WsTickets(signer, connection, options.wsTicketTtlMs ?? CONFIG_DEFAULTS.WS_TICKET_TTL_MS);
    if (options.bus === undefined && options.redisUrl !== undefined) {
      ownBus = await createRedisBus({
        url: options.redisUrl,
        prefix: options.redisPrefix,
        logger: options.logger.child({ module: 'bus' }),
      });
    }
    const bus = options.bus ?? ownBus ?? new InProcessBus();
    const service = new WorkspaceService({
      models,
      bus,
      logger: options.logger.child({ module: 'core' }),
      isAvailable: () => availability.isAvailable(),
      ...(options.projectionDelayMs === undefined ? {} : { projectionDelayMs: options.projectionDelayMs }),
      ...(options.projectLimits === undefined ? {} : { projectLimits: options.projectLimits }),
      ...(options.stateCache === undefined ? {} : { stateCache: options.stateCache }),
    });
    const busRepair: BusRepairSource = {
      fetchAfter: (projectId, afterSeq) => service.eventsBetween(projectId, afterSeq, undefined, BUS_REPAIR_PAGE),
      // The in-process bus loses nothing: no periodic check of the log.
      resyncIntervalMs: bus instanceof InProcessBus ? 0 : (options.busResyncMs ?? CONFIG_DEFAULTS.BUS_RESYNC_MS),
      logger: options.logger.child({ module: 'rooms' }),
    };
    const repaired = await service.repairAll();
    if (repaired > 0) options.logger.debug(`checked ${repaired} project logs against the read model`);
    let closed = false;
    return {
      connection,
      models,
      service,
      bus,
      busRepair,
      logger: options.logger,
      signer,
      tickets,
      budgetStore,
      async isDatabaseReady() {
        if (closed || !availability.isAvailable() || connection.db === undefined) return false;
        try {
          await connection.db.admin().command({ ping: 1 }, { timeoutMS: 1_000 });
          return true;
        } catch {
          return false;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await service.drain();
        await bus.close();
        availability.stop();
        await budgetRedis?.quit().catch(() => budgetRedis?.disconnect());
        await connection.close();
      },
    };
  } catch (error) {
    await ownBus?.close().catch(() => {});
    availability.stop();
    budgetRedis?.disconnect();
    await connection.close().catch(() => {});
    throw error;
  }
}
