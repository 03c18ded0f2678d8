// The `resume` scenario's clients (in the receiver processes): many subscribed connections that drop
// at once and come back, each counting which events it holds. Ours resumes with `subscribe {sinceSeq,
// epoch}` after a server restart; Socket.IO with its connection state recovery (reconnect with the
// session's `pid` and the last packet `offset`, within `maxDisconnectionDuration`), which keeps the
// missed packets in the server's memory and so cannot survive a restart. Every event carries its
// project's `seq` (both servers), which is how lost and duplicated events are counted.
import WebSocket from 'ws';
import { extractNumber, nowMs, sleep, type ServerKind } from './common.js';

export interface ResumeOpenCommand {
  cmd: 'resumeOpen';
  url: string;
  kind: ServerKind;
  /** Client i subscribes to projects[i % projects.length]. */
  projects: string[];
  count: number;
  concurrency: number;
  timeoutMs: number;
}

export interface ResumeReconnectCommand {
  cmd: 'resumeReconnect';
  url: string;
  /** Events each client must receive after the drop (the same number for every project). */
  missed: number;
  /** Monotonic time the reconnection counts from (the driver's, shared across processes). */
  startedAt: number;
  concurrency: number;
  timeoutMs: number;
}

export interface ResumeResult {
  clients: number;
  /** Clients holding every missed event, each once. */
  complete: number;
  /** Missed events that never arrived (summed over clients). */
  lost: number;
  duplicated: number;
  /** Clients whose server could not resume them (ours: `resync`; Socket.IO: not recovered). */
  notResumed: number;
  /** From `startedAt` until the last complete client had its last missed event. */
  lastCompleteMs: number | null;
  failed: number;
  firstError: string | null;
}

const SEQ_KEY = Buffer.from('"seq":');
const EVENT_PREFIX = Buffer.from('{"type":"workspace.');

interface Resumer {
  projectId: string;
  ws: WebSocket | undefined;
  /** ours */
  epoch: string | undefined;
  /** Socket.IO session id and last packet offset. */
  pid: string | undefined;
  offset: string | undefined;
  /** Last seq held before the drop, and the seqs received since. */
  lastSeq: number;
  base: number;
  received: Set<number>;
  duplicated: number;
  notResumed: boolean;
  completeAt: number | null;
}

let resumers: Resumer[] = [];
let kind: ServerKind = 'ours';
let missedTarget = 0;

function onEventSeq(resumer: Resumer, seq: number): void {
  if (Number.isNaN(seq)) return;
  if (seq > resumer.lastSeq) resumer.lastSeq = seq;
  if (seq <= resumer.base) {
    resumer.duplicated += 1;
    return;
  }
  if (resumer.received.has(seq)) resumer.duplicated += 1;
  else resumer.received.add(seq);
  if (resumer.completeAt === null && missedTarget > 0 && resumer.received.size >= missedTarget)
    resumer.completeAt = nowMs();
}

/** Opens one connection; resolves once subscribed (first time) or resumed (after a drop). */
function open(url: string, resumer: Resumer, resume: boolean, timeoutMs: number): Promise<void> {
  const target = kind === 'sio' ? `${url.replace(/\/$/, '')}/socket.io/?EIO=4&transport=websocket` : url;
  const ws = new WebSocket(target, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  resumer.ws = ws;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no subscription in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    ws.on('error', (error) => done(error));
    ws.on('close', (code) => done(new Error(`closed (${code})`)));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      if (kind === 'sio') onSocketIo(ws, resumer, data, resume, done);
      else onOurs(ws, resumer, data, resume, done);
    });
  });
}

function onOurs(ws: WebSocket, resumer: Resumer, frame: Buffer, resume: boolean, done: (error?: Error) => void): void {
  if (
    frame.length > EVENT_PREFIX.length &&
    frame.compare(EVENT_PREFIX, 0, EVENT_PREFIX.length, 0, EVENT_PREFIX.length) === 0
  ) {
    onEventSeq(resumer, extractNumber(frame, SEQ_KEY));
    return;
  }
  const message = JSON.parse(frame.toString()) as {
    type: string;
    id?: string;
    data?: Record<string, unknown>;
    code?: string;
    message?: string;
  };
  if (message.type === 'hello') {
    const data: Record<string, unknown> = { projectId: resumer.projectId };
    if (resume) Object.assign(data, { sinceSeq: resumer.base, epoch: resumer.epoch });
    ws.send(JSON.stringify({ type: 'subscribe', id: 's', data }));
  } else if (message.type === 'ack' && message.id === 's') {
    const ack = message.data ?? {};
    if (!resume) {
      resumer.epoch = ack['epoch'] as string;
      resumer.lastSeq = ack['seq'] as number;
    } else if (ack['resync'] === true) {
      resumer.notResumed = true;
    }
    done();
  } else if (message.type === 'error') {
    done(new Error(`${message.code}: ${message.message}`));
  }
}

function onSocketIo(
  ws: WebSocket,
  resumer: Resumer,
  frame: Buffer,
  resume: boolean,
  done: (error?: Error) => void,
): void {
  const text = frame.toString();
  if (text === '2') {
    ws.send('3');
    return;
  }
  if (text.startsWith('0')) {
    // Engine.IO open -> Socket.IO connect, with the session to recover after a drop.
    ws.send(
      resume && resumer.pid !== undefined ? `40${JSON.stringify({ pid: resumer.pid, offset: resumer.offset })}` : '40',
    );
    return;
  }
  if (text.startsWith('40')) {
    const connect = JSON.parse(text.slice(2)) as { sid: string; pid?: string };
    if (!resume) {
      resumer.pid = connect.pid;
      ws.send(`421${JSON.stringify(['subscribe', { projectId: resumer.projectId }])}`);
    } else {
      // Recovered sessions keep their pid; missed packets follow the connect.
      if (connect.pid !== resumer.pid) resumer.notResumed = true;
      done();
    }
    return;
  }
  if (text.startsWith('431')) {
    const [ack] = JSON.parse(text.slice(3)) as [{ seq: number }];
    resumer.lastSeq = ack.seq;
    done();
    return;
  }
  if (text.startsWith('42[')) {
    const packet = JSON.parse(text.slice(2)) as [string, { seq: number }, string?];
    if (packet[0] !== 'event') return;
    if (typeof packet[2] === 'string') resumer.offset = packet[2];
    onEventSeq(resumer, packet[1].seq);
  }
}

async function inLanes(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next;
      next += 1;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
}

export async function resumeOpen(
  command: ResumeOpenCommand,
): Promise<{ opened: number; failed: number; firstError: string | null }> {
  kind = command.kind;
  missedTarget = 0;
  resumers = Array.from({ length: command.count }, (_, i) => ({
    projectId: command.projects[i % command.projects.length]!,
    ws: undefined,
    epoch: undefined,
    pid: undefined,
    offset: undefined,
    lastSeq: 0,
    base: 0,
    received: new Set<number>(),
    duplicated: 0,
    notResumed: false,
    completeAt: null,
  }));
  let failed = 0;
  let firstError: string | null = null;
  const deadline = nowMs() + command.timeoutMs;
  await inLanes(resumers.length, command.concurrency, async (i) => {
    try {
      await open(command.url, resumers[i]!, false, Math.max(1_000, deadline - nowMs()));
    } catch (error) {
      failed += 1;
      firstError ??= (error as Error).message;
    }
  });
  return { opened: resumers.length - failed, failed, firstError };
}

/** Waits until every client holds an event of at least `seq` (each got its project's latest event). */
export async function resumeWait(command: {
  cmd: 'resumeWait';
  seq: number;
  timeoutMs: number;
}): Promise<{ holding: number; clients: number }> {
  const deadline = nowMs() + command.timeoutMs;
  const holding = (): number => resumers.filter((resumer) => resumer.lastSeq >= command.seq).length;
  while (holding() < resumers.length && nowMs() < deadline) await sleep(20);
  return { holding: holding(), clients: resumers.length };
}

/** Cuts every connection at once, as a network drop would (no close handshake). */
export async function resumeDrop(): Promise<{ dropped: number }> {
  for (const resumer of resumers) {
    resumer.base = resumer.lastSeq;
    resumer.received.clear();
    resumer.duplicated = 0;
    resumer.completeAt = null;
    resumer.ws?.removeAllListeners('close');
    resumer.ws?.removeAllListeners('error');
    resumer.ws?.on('error', () => {});
    resumer.ws?.terminate();
  }
  return { dropped: resumers.length };
}

export async function resumeReconnect(command: ResumeReconnectCommand): Promise<ResumeResult> {
  missedTarget = command.missed;
  const deadline = nowMs() + command.timeoutMs;
  let failed = 0;
  let firstError: string | null = null;
  await inLanes(resumers.length, command.concurrency, async (i) => {
    try {
      await open(command.url, resumers[i]!, true, Math.max(1_000, deadline - nowMs()));
    } catch (error) {
      failed += 1;
      firstError ??= (error as Error).message;
    }
  });
  // Events may still be arriving after the acks (Socket.IO sends the missed packets after the connect).
  while (
    nowMs() < deadline &&
    resumers.some((r) => r.completeAt === null && !r.notResumed && r.ws?.readyState === WebSocket.OPEN)
  )
    await sleep(20);
  let complete = 0;
  let lost = 0;
  let duplicated = 0;
  let notResumed = 0;
  let last: number | null = null;
  for (const resumer of resumers) {
    duplicated += resumer.duplicated;
    if (resumer.notResumed) notResumed += 1;
    let missing = 0;
    for (let seq = resumer.base + 1; seq <= resumer.base + command.missed; seq += 1)
      if (!resumer.received.has(seq)) missing += 1;
    lost += missing;
    if (missing === 0 && resumer.completeAt !== null) {
      complete += 1;
      last = Math.max(last ?? 0, resumer.completeAt - command.startedAt);
    }
  }
  return { clients: resumers.length, complete, lost, duplicated, notResumed, lastCompleteMs: last, failed, firstError };
}

export async function resumeClose(): Promise<{ closed: number }> {
  const all = resumers;
  resumers = [];
  for (const resumer of all) {
    resumer.ws?.removeAllListeners();
    resumer.ws?.on('error', () => {});
    resumer.ws?.terminate();
  }
  return { closed: all.length };
}
