import type { Ack, ErrorFrame, Page, Pong, RequestType, Workspace } from '@app/protocol';
import { checkReplyData, errorFromFrame } from '@app/protocol/lite';
import { ClientError } from './errors.js';

/** One request, from `request()` until its reply, timeout or rejection. */
export interface PendingRequest {
  readonly id: string;
  readonly type: RequestType;
  /** The exact text sent, and resent after a reconnect (same `id`). */
  readonly frame: string;
  readonly timeoutMs: number;
  /** Made by the client itself (subscribe, unsubscribe): never queued or resent; rejected when the connection drops. */
  readonly internal: boolean;
}

/** Receives a request's outcome synchronously, while the reply frame is being handled. */
export interface ReplyCallbacks {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
}

interface Entry extends ReplyCallbacks {
  request: PendingRequest;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Workspaces of the `page` frames received for this request so far (a list or snapshot too long for one frame). */
  pages?: Workspace[] | undefined;
}

/** Where a paged reply keeps its list. */
const PAGED_FIELDS: Partial<Record<RequestType, string>> = { 'workspace.list': 'workspaces', subscribe: 'snapshot' };

/**
 * id -> resolve / reject / reply timer. The reply timer runs exactly while the request is on the wire,
 * so a request with a timer is one that was sent on the current connection.
 */
export class PendingRequests {
  readonly #entries = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** Registers a request; the promise settles with the validated reply data or an error. */
  add(request: PendingRequest): Promise<unknown> {
    return new Promise((resolve, reject) => this.track(request, { resolve, reject }));
  }

  /**
   * Registers a request whose outcome is delivered synchronously, so it keeps its place among the
   * events around the reply on the wire (subscribe acks must be handled before the next event).
   */
  track(request: PendingRequest, callbacks: ReplyCallbacks): void {
    this.#entries.set(request.id, { request, ...callbacks, timer: undefined });
  }

  /** The frame was written to a socket: start waiting `timeoutMs` for the reply. */
  sent(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      const { type, timeoutMs } = entry.request;
      this.reject(id, new ClientError('TIMEOUT', `No reply to ${type} within ${timeoutMs} ms`, { details: { id } }));
    }, entry.request.timeoutMs);
  }

  /**
   * Keeps the workspaces of a `page` frame for the request it belongs to; its ack puts them in front
   * of its own. False if no request has that id. A page also shows the request is being answered, so
   * the reply timer starts again (a long reply is not a lost one).
   */
  page(message: Page): boolean {
    if (message.id === undefined) return false;
    const entry = this.#entries.get(message.id);
    if (entry === undefined || PAGED_FIELDS[entry.request.type] === undefined) return false;
    const pages = (entry.pages ??= []);
    for (const workspace of message.data.workspaces) pages.push(workspace);
    if (entry.timer !== undefined) this.sent(message.id);
    return true;
  }

  /** Settles the request an `ack`, `pong` or `error` frame answers. False if no request has that id. */
  settle(message: Ack | Pong | ErrorFrame): boolean {
    if (message.id === undefined) return false;
    const entry = this.#entries.get(message.id);
    if (entry === undefined) return false;
    if (message.type === 'error') return this.reject(message.id, errorFromFrame(message));
    const { type } = entry.request;
    const expected = type === 'ping' ? 'pong' : 'ack';
    const data = withPages(message.data, entry.pages, PAGED_FIELDS[type]);
    if (message.type !== expected || !checkReplyData(type, data)) {
      const reason = message.type !== expected ? `a ${message.type}` : 'data that does not match the schema';
      return this.reject(message.id, new ClientError('INVALID_REPLY', `The reply to ${type} is ${reason}`));
    }
    this.#delete(message.id, entry);
    entry.resolve(data);
    return true;
  }

  reject(id: string, error: Error): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#delete(id, entry);
    entry.reject(error);
    return true;
  }

  /**
   * The connection dropped. Stops every reply timer, rejects internal requests with `CONNECTION_LOST` and
   * returns the other requests that were on the wire, oldest first, to be resent with the same id.
   * Requests still waiting in the outbox are left alone.
   */
  disconnected(): PendingRequest[] {
    const resend: PendingRequest[] = [];
    for (const [id, entry] of [...this.#entries]) {
      if (entry.timer === undefined) continue;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.pages = undefined; // the reply starts over on the next connection
      if (entry.request.internal) {
        this.reject(
          id,
          new ClientError('CONNECTION_LOST', `Connection lost before the reply to ${entry.request.type}`),
        );
      } else {
        resend.push(entry.request);
      }
    }
    return resend;
  }

  /** Rejects everything (close, terminal close). */
  rejectAll(error: Error): void {
    for (const id of [...this.#entries.keys()]) this.reject(id, error);
  }

  #delete(id: string, entry: Entry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    this.#entries.delete(id);
  }
}

/** A paged reply's data with the workspaces of its pages in front of those the ack carries. */
function withPages(data: unknown, pages: Workspace[] | undefined, field: string | undefined): unknown {
  if (pages === undefined || field === undefined || typeof data !== 'object' || data === null) return data;
  const own = (data as Record<string, unknown>)[field];
  if (!Array.isArray(own)) return data;
  return { ...data, [field]: [...pages, ...own] };
}
