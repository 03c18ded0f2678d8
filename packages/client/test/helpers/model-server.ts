import type { AckData, RequestData, RequestType, ServerEvent, Workspace } from '@app/protocol';
import { ProtocolError } from '@app/protocol';
import { ClientError } from '../../src/errors.js';
import type { ProjectStoreClient } from '../../src/project-store.js';
import type { SubscriptionHandlers } from '../../src/subscriptions.js';

/**
 * How the server treats one request: `ok`; `unavailable`: answers UNAVAILABLE without applying it;
 * `apply-unavailable`: applies it (its event goes out) but answers UNAVAILABLE; `lost`: the request never
 * arrives (the client times out); `apply-lost`: applied, the reply is lost (the client times out).
 */
export type Fault = 'ok' | 'unavailable' | 'apply-unavailable' | 'lost' | 'apply-lost';

/** Runs one step of work later: at once in order (`manual` tests call `step`), or when a scheduler says. */
export type Schedule = (label: string, run: () => void) => void;

type Delivery =
  | { kind: 'reply'; id: string; ack?: unknown; error?: Error }
  | { kind: 'event'; event: ServerEvent }
  | { kind: 'snapshot'; workspaces: Workspace[]; seq: number };

interface Request {
  type: RequestType;
  id: string;
  data: any;
}

/**
 * An in-memory model of the protocol's write path for one project, with faults: conditional updates,
 * idempotent mutations by request id, events to every subscriber in seq order (one FIFO per connection,
 * replies and events in the order the server sent them). It records what the store invariants need: who wrote
 * each version, how often each request was applied, and every write over a version its writer had not seen.
 */
export class ModelServer {
  readonly projectId = 'p1';
  workspaces: Workspace[] = [];
  seq = 0;
  readonly clients: ModelClient[] = [];
  /** Request id -> times applied (an idempotent server applies each once). */
  readonly applied = new Map<string, number>();
  /** `workspaceId@version` -> the name of the client that wrote it. */
  readonly authors = new Map<string, string>();
  /** Writes over another client's version the writer had not seen. */
  readonly violations: string[] = [];
  /** Faults to use, one per request taken, in order (then `ok`). */
  faults: Fault[] = [];
  readonly #replies = new Map<string, unknown>();
  readonly #schedule: Schedule;
  #nextId = 1;

  constructor(schedule: Schedule) {
    this.#schedule = schedule;
  }

  connect(name: string): ModelClient {
    const client = new ModelClient(this, name, this.#schedule);
    this.clients.push(client);
    return client;
  }

  /** Workspaces there before the stores connect (written by `seed`). */
  seed(names: readonly string[]): void {
    const now = new Date(0).toISOString();
    for (const name of names) {
      const workspace: Workspace = {
        id: `w${this.#nextId++}`,
        projectId: this.projectId,
        name,
        position: 0,
        version: 1,
        data: {},
        createdAt: now,
        updatedAt: now,
      };
      this.workspaces.push(workspace);
      this.authors.set(`${workspace.id}@1`, 'seed');
    }
    this.#positions();
    this.seq = names.length;
  }

  /** Another client's write that goes around every store (e.g. the REST API): always on the newest version. */
  externalUpdate(workspaceId: string, patch: { name?: string }): void {
    const workspace = this.workspaces.find((w) => w.id === workspaceId);
    if (workspace === undefined) return;
    const updated = this.#update(workspace, patch, 'external');
    this.#publish({ type: 'workspace.updated', projectId: this.projectId, data: { workspace: updated } }, undefined);
  }

  /** The client sent a request; the server takes it now. */
  receive(client: ModelClient, request: Request): void {
    const fault = this.faults.shift() ?? 'ok';
    if (fault === 'lost') return client.push({ kind: 'reply', id: request.id, error: timeout(request.id) });
    const repeated = this.#replies.get(request.id);
    if (repeated !== undefined) return client.push({ kind: 'reply', id: request.id, ack: repeated });
    if (fault === 'unavailable') return client.push({ kind: 'reply', id: request.id, error: unavailable() });
    let ack: unknown;
    let event: Omit<ServerEvent, 'seq'> | undefined;
    try {
      [ack, event] = this.#apply(client, request);
    } catch (error) {
      return client.push({ kind: 'reply', id: request.id, error: error as Error });
    }
    this.#replies.set(request.id, ack);
    this.applied.set(request.id, (this.applied.get(request.id) ?? 0) + 1);
    if (fault === 'ok') client.push({ kind: 'reply', id: request.id, ack });
    else if (fault === 'apply-unavailable') client.push({ kind: 'reply', id: request.id, error: unavailable() });
    else client.push({ kind: 'reply', id: request.id, error: timeout(request.id) });
    if (event !== undefined) this.#publish(event, request.id);
  }

  /** A fresh snapshot for one subscriber (as after a resync). */
  resync(client: ModelClient): void {
    client.push({ kind: 'snapshot', workspaces: structuredClone(this.workspaces), seq: this.seq });
  }

  #apply(client: ModelClient, request: Request): [unknown, Omit<ServerEvent, 'seq'> | undefined] {
    const now = new Date(0).toISOString();
    const projectId = this.projectId;
    switch (request.type) {
      case 'workspace.create': {
        const data = request.data as RequestData<'workspace.create'>;
        const workspace: Workspace = {
          id: `w${this.#nextId++}`,
          projectId,
          name: data.name,
          position: 0,
          version: 1,
          data: data.data ?? {},
          createdAt: now,
          updatedAt: now,
        };
        this.workspaces.splice(Math.min(data.position ?? this.workspaces.length, this.workspaces.length), 0, workspace);
        this.authors.set(`${workspace.id}@1`, client.name);
        this.#positions();
        return [
          { workspace: structuredClone(workspace) },
          { type: 'workspace.created', projectId, data: { workspace: structuredClone(workspace) } },
        ];
      }
      case 'workspace.update': {
        const data = request.data as RequestData<'workspace.update'>;
        const workspace = this.#find(data.id);
        if (data.expectedVersion !== undefined && data.expectedVersion !== workspace.version) {
          throw new ProtocolError('CONFLICT', 'Version is stale', {
            details: { workspace: structuredClone(workspace) },
          });
        }
        const author = this.authors.get(`${workspace.id}@${workspace.version}`);
        const seen = client.seenAtFirstSend(request.id, workspace.id);
        if (data.expectedVersion === undefined)
          this.violations.push(`${client.name}: update ${request.id} without expectedVersion`);
        else if (author !== client.name && seen < workspace.version) {
          this.violations.push(
            `${client.name} wrote over ${workspace.id}@${workspace.version} by ${author} (had seen ${seen})`,
          );
        }
        const updated = this.#update(workspace, data.patch, client.name);
        return [
          { workspace: updated },
          { type: 'workspace.updated', projectId, data: { workspace: structuredClone(updated) } },
        ];
      }
      case 'workspace.delete': {
        const data = request.data as RequestData<'workspace.delete'>;
        const workspace = this.#find(data.id);
        this.workspaces.splice(this.workspaces.indexOf(workspace), 1);
        this.#positions();
        return [{ id: data.id }, { type: 'workspace.deleted', projectId, data: { id: data.id } }];
      }
      case 'workspace.reorder': {
        const { order } = request.data as RequestData<'workspace.reorder'>;
        const ids = this.workspaces.map((w) => w.id);
        if (order.length !== ids.length || [...order].sort().join() !== [...ids].sort().join()) {
          throw new ProtocolError('CONFLICT', 'Not a permutation', { details: { order: ids } });
        }
        this.workspaces = order.map((id) => this.#find(id));
        this.#positions();
        return [{ order }, { type: 'workspace.reordered', projectId, data: { order } }];
      }
      default:
        throw new Error(`the model has no ${request.type}`);
    }
  }

  #update(workspace: Workspace, patch: { name?: string | undefined; data?: unknown }, author: string): Workspace {
    if (patch.name !== undefined) workspace.name = patch.name;
    if (patch.data !== undefined) workspace.data = structuredClone(patch.data) as Workspace['data'];
    workspace.version += 1;
    this.authors.set(`${workspace.id}@${workspace.version}`, author);
    return structuredClone(workspace);
  }

  #publish(event: Omit<ServerEvent, 'seq'>, requestId: string | undefined): void {
    this.seq += 1;
    const full = { ...event, seq: this.seq, origin: { sessionId: 's', requestId } } as ServerEvent;
    for (const client of this.clients)
      if (client.subscribed) client.push({ kind: 'event', event: structuredClone(full) });
  }

  #find(id: string): Workspace {
    const workspace = this.workspaces.find((w) => w.id === id);
    if (workspace === undefined) throw new ProtocolError('NOT_FOUND', `Workspace ${id} not found`);
    return workspace;
  }

  #positions(): void {
    this.workspaces.forEach((w, index) => (w.position = index));
  }
}

function unavailable(): ProtocolError {
  return new ProtocolError('UNAVAILABLE', 'Storage is temporarily unavailable');
}

function timeout(id: string): ClientError {
  return new ClientError('TIMEOUT', 'No reply in time', { details: { id } });
}

/** One client connection to the model server: what `ProjectStore` needs of a `Client`. */
export class ModelClient implements ProjectStoreClient {
  readonly state = 'open' as const;
  readonly name: string;
  subscribed = false;
  /** Newest version of each workspace delivered to the store (snapshots and events). */
  readonly seen = new Map<string, number>();
  readonly #server: ModelServer;
  readonly #schedule: Schedule;
  readonly #uplink: Request[] = [];
  readonly #downlink: Delivery[] = [];
  readonly #pending = new Map<
    string,
    { request: Request; resolve: (ack: any) => void; reject: (error: unknown) => void }
  >();
  readonly #seenAtSend = new Map<string, Map<string, number>>();
  #handlers: SubscriptionHandlers | undefined;

  constructor(server: ModelServer, name: string, schedule: Schedule) {
    this.#server = server;
    this.name = name;
    this.#schedule = schedule;
  }

  subscribe(_projectId: string, handlers: SubscriptionHandlers): () => void {
    this.#handlers = handlers;
    this.subscribed = true;
    this.#server.resync(this);
    return () => {
      this.subscribed = false;
      this.#handlers = undefined;
    };
  }

  on(): () => void {
    return () => {};
  }

  request<TType extends RequestType>(
    type: TType,
    data: RequestData<TType>,
    options: { id?: string } = {},
  ): Promise<AckData<TType>> {
    const id = options.id!;
    if (this.#pending.has(id))
      return Promise.reject(new ProtocolError('INVALID_MESSAGE', `Request id ${id} is already in use`));
    if (!this.#seenAtSend.has(id)) this.#seenAtSend.set(id, new Map(this.seen));
    return new Promise((resolve, reject) => {
      const request = { type, id, data: structuredClone(data) };
      this.#pending.set(id, { request, resolve, reject });
      this.#send(request);
    });
  }

  #send(request: Request): void {
    this.#uplink.push(request);
    this.#schedule(`${this.name} sends ${request.type}`, () => {
      const next = this.#uplink.shift();
      if (next !== undefined) this.#server.receive(this, next);
    });
  }

  /**
   * The connection drops and comes back: what the server had sent and this client had not read is lost, the
   * requests without a reply are sent again with their ids, and the subscription starts from a new snapshot.
   */
  reconnect(): void {
    this.#downlink.splice(0);
    this.#uplink.splice(0);
    for (const { request } of this.#pending.values()) this.#send(request);
    if (this.subscribed) this.#server.resync(this);
  }

  /** What this client had been shown of a workspace when it first sent the request. */
  seenAtFirstSend(requestId: string, workspaceId: string): number {
    return this.#seenAtSend.get(requestId)?.get(workspaceId) ?? 0;
  }

  /** Something the server sends this client; delivered later, in order. */
  push(delivery: Delivery): void {
    this.#downlink.push(delivery);
    this.#schedule(`${this.name} receives ${delivery.kind}`, () => {
      const next = this.#downlink.shift();
      if (next !== undefined) this.#deliver(next);
    });
  }

  #deliver(delivery: Delivery): void {
    switch (delivery.kind) {
      case 'reply': {
        const pending = this.#pending.get(delivery.id);
        if (pending === undefined) return;
        this.#pending.delete(delivery.id);
        if (delivery.error === undefined) pending.resolve(delivery.ack);
        else pending.reject(delivery.error);
        return;
      }
      case 'event': {
        const { event } = delivery;
        if (event.type === 'workspace.created' || event.type === 'workspace.updated') {
          this.seen.set(
            event.data.workspace.id,
            Math.max(this.seen.get(event.data.workspace.id) ?? 0, event.data.workspace.version),
          );
        }
        this.#handlers?.onEvent?.(event);
        return;
      }
      case 'snapshot':
        for (const w of delivery.workspaces) this.seen.set(w.id, Math.max(this.seen.get(w.id) ?? 0, w.version));
        this.#handlers?.onSnapshot?.(delivery.workspaces, delivery.seq);
    }
  }
}

/** A schedule that queues work for `step` / `drain` (deterministic tests). */
export function manualSchedule(): {
  schedule: Schedule;
  step: () => boolean;
  drain: () => Promise<void>;
  labels: () => string[];
} {
  const tasks: { label: string; run: () => void }[] = [];
  const step = (): boolean => {
    const task = tasks.shift();
    task?.run();
    return task !== undefined;
  };
  return {
    schedule: (label, run) => tasks.push({ label, run }),
    step,
    labels: () => tasks.map((t) => t.label),
    drain: async () => {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (!step()) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (tasks.length === 0) return;
        }
      }
    },
  };
}
