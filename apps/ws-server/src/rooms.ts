import type { ServerEvent } from '@app/protocol';
import { encodeEventOnce } from './event-frames.js';
import { BUS_REPAIR_PAGE, type EventBus, type Logger, type Metrics } from '@app/core';
import type { Subscription } from './subscription.js';

/** Stored events of a project with seq > afterSeq, in seq order (may be capped per call). */
export type FetchAfter = (projectId: string, afterSeq: number) => Promise<ServerEvent[]>;

export interface RoomsOptions {
  /**
   * Reads the event log, to fill what the bus missed (the server passes `core.busRepair.fetchAfter`).
   * Without it, rooms only pass bus events on.
   */
  fetchAfter?: FetchAfter | undefined;
  /**
   * Every this many ms each room asks the event log for events after the last one it delivered, so a
   * bus message lost without a reconnect (a failed publish, a dropped subscriber) is delivered
   * anyway. 0 (the default) turns it off; the server passes `core.busRepair.resyncIntervalMs`
   * (BUS_RESYNC_MS with Redis, 0 with the in-process bus).
   */
  resyncIntervalMs?: number | undefined;
  logger?: Logger | undefined;
  /** Bus events held per room while it reads the log; past it they are dropped and read from the log. Default 10,000. */
  maxHeld?: number | undefined;
  /** Counts events sent, by type (once per fan-out, not per subscriber). */
  metrics?: Metrics | undefined;
}

export interface RoomStats {
  /** Log reads started (gap, bus reconnect, periodic check). */
  repairs: number;
  /** Events delivered from the log that the bus had not delivered (yet). */
  backfilled: number;
  /** Log reads that failed (database down). */
  failures: number;
}

interface Room {
  projectId: string;
  subscriptions: Set<Subscription>;
  stopListening: () => void;
  /** Highest seq fanned out to this room; undefined until the room knows where it stands. */
  lastSeq: number | undefined;
  repairing: boolean;
  /** Another log read is wanted after the current one (reconnect or gap during a read). */
  recheck: boolean;
  /** Bus events that arrived past a gap or during a log read, delivered after it in seq order. */
  held: ServerEvent[];
}

/** A full page of `core.busRepair.fetchAfter` (BUS_REPAIR_PAGE events): read on after it. */
const FULL_PAGE = BUS_REPAIR_PAGE;
/** Pages read per pass: up to 100,000 events, one page in memory at a time. */
const MAX_PAGES = Math.ceil(100_000 / FULL_PAGE);
const MAX_PASSES = 4;
/** Bus events a room holds while it reads the log, unless `maxHeld` says otherwise. */
const MAX_HELD_EVENTS = 10_000;

/**
 * projectId -> subscriptions on this node. One bus listener per project with local subscribers;
 * each event is encoded once and the same text goes to every subscriber.
 *
 * Node-level completeness: the bus is only a doorbell (Redis pub/sub is at-most-once). Each room
 * remembers the last seq it delivered; a bus event past a gap, a bus reconnect, or the periodic
 * check makes it read the stored events after that seq and deliver them first, in order, once. Each
 * subscription still drops what it already has and repairs its own gaps (the last line of defence).
 */
export class Rooms {
  private readonly rooms = new Map<string, Room>();
  private readonly fetchAfter: FetchAfter | undefined;
  private readonly resyncIntervalMs: number;
  private readonly logger: Logger | undefined;
  private readonly maxHeld: number;
  private timer: NodeJS.Timeout | undefined;
  private stopReconnect: (() => void) | undefined;
  private closed = false;
  /** A log read failed and none succeeded since (one warning per outage, not one per room and tick). */
  private failing = false;
  readonly stats: RoomStats = { repairs: 0, backfilled: 0, failures: 0 };

  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly bus: EventBus,
    options: RoomsOptions = {},
  ) {
    this.fetchAfter = options.fetchAfter;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 0;
    this.logger = options.logger;
    this.maxHeld = options.maxHeld ?? MAX_HELD_EVENTS;
    this.metrics = options.metrics;
  }

  add(subscription: Subscription): void {
    if (this.closed) return;
    let room = this.rooms.get(subscription.projectId);
    if (room === undefined) {
      const projectId = subscription.projectId;
      const created: Room = {
        projectId,
        subscriptions: new Set(),
        stopListening: () => {},
        lastSeq: undefined,
        repairing: false,
        recheck: false,
        held: [],
      };
      created.stopListening = this.bus.subscribe(projectId, (event) => this.onBusEvent(created, event));
      this.rooms.set(projectId, created);
      if (this.rooms.size === 1) this.startWatching();
      room = created;
    }
    room.subscriptions.add(subscription);
  }

  remove(subscription: Subscription): void {
    const room = this.rooms.get(subscription.projectId);
    if (room === undefined || !room.subscriptions.delete(subscription)) return;
    if (room.subscriptions.size === 0) {
      room.stopListening();
      room.held = [];
      this.rooms.delete(subscription.projectId);
      if (this.rooms.size === 0) this.stopWatching();
    }
  }

  /** Projects with local subscribers, and subscriptions in total (for leak checks and metrics). */
  get counts(): { projects: number; subscriptions: number } {
    let subscriptions = 0;
    for (const room of this.rooms.values()) subscriptions += room.subscriptions.size;
    return { projects: this.rooms.size, subscriptions };
  }

  /** Checks every room against the event log now (also done on bus reconnect and periodically). */
  resyncAll(): void {
    for (const room of this.rooms.values()) void this.repair(room);
  }

  /** Stops the periodic check and every bus listener. Idempotent. */
  close(): void {
    this.closed = true;
    this.stopWatching();
    for (const room of this.rooms.values()) {
      room.stopListening();
      room.held = [];
    }
    this.rooms.clear();
  }

  private startWatching(): void {
    if (this.fetchAfter === undefined || this.closed) return;
    this.stopReconnect ??= this.bus.onReconnect?.(() => this.resyncAll());
    if (this.resyncIntervalMs > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.resyncAll(), this.resyncIntervalMs);
      this.timer.unref();
    }
  }

  private stopWatching(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.stopReconnect?.();
    this.stopReconnect = undefined;
  }

  private isCurrent(room: Room): boolean {
    return !this.closed && this.rooms.get(room.projectId) === room;
  }

  /**
   * The seq up to which every subscription of the room has its events: the last seq fanned out, or
   * before any, the lowest seq a started subscription reflects. Undefined while nothing is known
   * (no event yet and every subscription still preparing its reply).
   */
  private baseline(room: Room): number | undefined {
    if (room.lastSeq !== undefined) return room.lastSeq;
    let low: number | undefined;
    for (const subscription of room.subscriptions) {
      if (!subscription.started) continue; // its reply went out, so its `lastSeq` is where it stands (false once closed)
      if (low === undefined || subscription.lastSeq < low) low = subscription.lastSeq;
    }
    return low;
  }

  private onBusEvent(room: Room, event: ServerEvent): void {
    if (!this.isCurrent(room)) return;
    if (room.repairing) {
      this.hold(room, event);
      return;
    }
    const base = this.baseline(room);
    if (base !== undefined && event.seq <= base) return; // already delivered (from the log, or twice on the bus)
    if (base === undefined || event.seq === base + 1 || this.fetchAfter === undefined) {
      this.fanOut(room, event);
      return;
    }
    // A gap: the bus lost or reordered something. Deliver the stored events before this one.
    this.hold(room, event);
    void this.repair(room);
  }

  private hold(room: Room, event: ServerEvent): void {
    room.held.push(event);
    if (room.held.length > this.maxHeld) {
      // They are all in the log: drop them and read on from there instead of growing memory.
      room.held = [];
      room.recheck = true;
    }
  }

  /** Encodes the event once (UTF-8 bytes shared by every socket) and offers it to each subscription. */
  private fanOut(room: Room, event: ServerEvent): void {
    const frame = Buffer.from(encodeEventOnce(event));
    if (room.lastSeq === undefined || event.seq > room.lastSeq) room.lastSeq = event.seq;
    for (const subscription of room.subscriptions) subscription.deliver(event.seq, frame);
    this.metrics?.messagesOut.inc(event.type, room.subscriptions.size);
  }

  /** Reads the log after the room's baseline and delivers, then the held bus events; never throws. */
  private async repair(room: Room): Promise<void> {
    if (this.fetchAfter === undefined || !this.isCurrent(room)) return;
    if (room.repairing) {
      room.recheck = true;
      return;
    }
    room.repairing = true;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass += 1) {
        room.recheck = false;
        let ok = true;
        try {
          await this.backfill(room);
        } catch (error) {
          ok = false;
          this.stats.failures += 1;
          const message = `Could not read the event log of ${room.projectId} to repair delivery: ${(error as Error).message}`;
          if (this.failing) this.logger?.debug(message);
          else this.logger?.warn(`${message} (further failures are logged at debug level until a read succeeds)`);
          this.failing = true;
        }
        if (ok && this.failing) {
          this.failing = false;
          this.logger?.info('Reading the event log works again; delivery repairs resumed');
        }
        if (!this.isCurrent(room)) return;
        // After a failed read, or the last pass, deliver what is held anyway: each subscription then
        // repairs its own gap or closes with 1011 so its client resumes with sinceSeq.
        const stuck = this.flushHeld(room, !ok || pass === MAX_PASSES - 1);
        if (!ok || (!room.recheck && !stuck)) break;
      }
    } finally {
      room.repairing = false;
    }
  }

  private async backfill(room: Room): Promise<void> {
    const start = this.baseline(room);
    if (start === undefined) return;
    this.stats.repairs += 1;
    const target = room.held.length > 0 ? Math.min(...room.held.map((event) => event.seq)) - 1 : undefined;
    let cursor = start;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const events = await this.fetchAfter!(room.projectId, cursor);
      if (!this.isCurrent(room)) return;
      const before = cursor;
      for (const event of events) {
        if (event.seq <= cursor) continue;
        if (event.seq !== cursor + 1) break;
        if (room.lastSeq === undefined || event.seq > room.lastSeq) this.stats.backfilled += 1;
        this.fanOut(room, event);
        cursor = event.seq;
      }
      if (cursor > before) {
        this.logger?.debug(
          `Delivered ${cursor - before} events of ${room.projectId} from the event log (seq ${before + 1}-${cursor})`,
        );
      }
      const more = target !== undefined ? cursor < target : events.length >= FULL_PAGE;
      if (cursor === before || !more) return;
    }
  }

  /** Delivers held events in seq order; returns true when a gap is left (they stay held) unless `force`. */
  private flushHeld(room: Room, force: boolean): boolean {
    if (room.held.length === 0) return false;
    const held = room.held.sort((a, b) => a.seq - b.seq);
    room.held = [];
    for (let i = 0; i < held.length; i += 1) {
      const event = held[i]!;
      const base = this.baseline(room);
      if (base !== undefined && event.seq <= base) continue;
      if (base === undefined || event.seq === base + 1 || force) {
        this.fanOut(room, event);
        continue;
      }
      room.held = held.slice(i);
      return true;
    }
    return false;
  }
}
