// Generated interleavings and faults over the write path (group commit, event log, idempotency,
// state cache) of two nodes sharing one database double: commands are delayed and reordered by
// fast-check's scheduler, fail, lose their replies, pause the node, have a document refused, and
// the second node takes seqs. Checked after every answer:
//   - every acked write is in the log exactly once, with the data it was acked with (so a retry with
//     the same request id gets the original ack);
//   - a refusal (CONFLICT, NOT_FOUND) names a state the log went through while the request was in
//     flight, and never a request whose event is stored (docs/decisions/0011-refusals-only-from-stored-events.md);
//   - a failure (UNAVAILABLE, INVALID_MESSAGE, INTERNAL) only when a fault was met meanwhile:
//     contention is never an error;
//   - no read returns a state older than a seq already acked, nor one the log never held;
//   - nothing is published that the log does not hold at that seq;
//   - every request is answered, and both nodes end with the log's state;
//   - on a replica set (generated: standalone or replica set), every event read asks for read concern majority.
// Replay: FC_SEED=<seed> [FC_PATH=<path>]; FC_RUNS=<n>; FC_LONG=1 for a longer run.
import { isDeepStrictEqual } from 'node:util';
import type { Workspace } from '@app/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../src/bus/in-process.js';
import { EventLog } from '../src/event-log.js';
import { silentLogger } from '../src/testing.js';
import { WorkspaceService } from '../src/workspace-service.js';
import { FaultDatabase, type Fault } from './doubles/fault-database.js';
import { fcOptions } from './doubles/fc-options.js';
import { installManualClock } from './doubles/manual-clock.js';
import { runUntil } from './doubles/run-until.js';
import { logStates, sameWorkspace, storedLog, type LogState } from './doubles/stored-log.js';

const P = 'project';
const SUBJECT = 's';
/** Workspaces created before the generated requests; the requests name them by index. */
const SEEDED = 3;

type Op =
  | {
      kind: 'update';
      node: number;
      target: number;
      name: string;
      expected: 'none' | 'current' | 'stale';
      retries: number;
    }
  | { kind: 'delete'; node: number; target: number; expected: 'none' | 'current'; retries: number }
  | { kind: 'create'; node: number; retries: number }
  | { kind: 'reorder'; node: number; retries: number }
  | { kind: 'list'; node: number };

const node = fc.integer({ min: 0, max: 1 });
const target = fc.integer({ min: 0, max: SEEDED - 1 });
const retries = fc.constantFrom(0, 1, 1, 2);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      node,
      target,
      name: fc.constantFrom('a', 'b', 'c'),
      expected: fc.constantFrom('none' as const, 'current' as const, 'stale' as const),
      retries,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      node,
      target,
      expected: fc.constantFrom('none' as const, 'current' as const),
      retries,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('create' as const), node, retries }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reorder' as const), node, retries }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), node }) },
);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('ok' as const) },
  { weight: 1, arbitrary: fc.constantFrom<Fault>('fail', 'fail', 'lose', 'refuse', 'refuse-last', 'pause') },
);

/** Per collection, the fate of each of its commands in turn. */
const faults = fc.array(fault, { maxLength: 8 });
/** The request index is written after the ack, where a failure is silent: it fails more often. */
const indexFaults = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Fault>('ok') },
    { weight: 1, arbitrary: fc.constantFrom<Fault>('fail', 'lose') },
  ),
  { maxLength: 8 },
);
const faultPlan = fc.record({
  events: faults,
  requests: indexFaults,
  projects: faults,
  workspaces: faults,
  directory: faults,
});

type Input = Record<string, unknown>;

/** Whether a refusal of `op` with `input` is right against the stored state `state`. */
function refusalHolds(
  op: Op,
  input: Input,
  error: { code?: string; details?: Record<string, unknown> },
  state: LogState,
): boolean {
  if (op.kind === 'update' || op.kind === 'delete') {
    const current = state.workspaces.get(input.id as string)?.workspace;
    if (error.code === 'NOT_FOUND') return current === undefined;
    if (error.code !== 'CONFLICT' || current === undefined) return false;
    return current.version !== input.expectedVersion && sameWorkspace(current, error.details?.workspace as Workspace);
  }
  if (op.kind === 'reorder') {
    if (error.code === 'NOT_FOUND') return state.seq === 0;
    const wanted = input.order as string[];
    const permutation = wanted.length === state.order.length && wanted.every((id) => state.order.includes(id));
    return error.code === 'CONFLICT' && !permutation && isDeepStrictEqual(error.details?.order, state.order);
  }
  return false;
}

/** About 6 s on an idle machine. */
const options = fcOptions<[fc.Scheduler, Op[], Record<string, Fault[]>, string | null]>(100);

describe('the write path under generated interleavings and faults', () => {
  it(
    'acks each write once, refuses only against stored state, answers retries with the original ack',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(op, { minLength: 2, maxLength: 12 }),
          faultPlan,
          fc.constantFrom(null, 'rs0'),
          async (s, ops, faults, setName) => {
            const clock = installManualClock();
            const db = new FaultDatabase(s, faults, clock, setName);
            const buses = [new InProcessBus(), new InProcessBus()];
            const nodes = [0, 1].map(
              (i) =>
                new WorkspaceService({
                  models: db.models(`n${i}`),
                  bus: buses[i]!,
                  logger: silentLogger(),
                  projectionDelayMs: 50,
                }),
            );
            const problems: string[] = [];
            // Nothing is published that the log does not hold at that seq.
            for (const [i, bus] of buses.entries()) {
              bus.subscribe(P, (event) => {
                const stored = storedLog(db, P)[event.seq - 1];
                const same =
                  stored?.seq === event.seq && stored.type === event.type && isDeepStrictEqual(stored.data, event.data);
                if (!same)
                  problems.push(`n${i} published seq ${event.seq} (${event.type}), which the log does not hold`);
              });
            }
            let outstanding = 0;
            const drive = (done: () => boolean) =>
              runUntil(s, clock, done, () => `${outstanding} requests never answered`);
            try {
              // Seeded without faults: three workspaces.
              db.armed = false;
              const seeded: string[] = [];
              outstanding = SEEDED;
              for (let i = 0; i < SEEDED; i += 1) {
                void nodes[0]!
                  .create({ projectId: P, name: `w${i}` }, { subject: SUBJECT, requestId: `seed${i}` })
                  .then(
                    (ack) => {
                      seeded[i] = ack.workspace.id;
                      outstanding -= 1;
                    },
                    (error: unknown) => {
                      problems.push(`seeding w${i} failed without a fault: ${String(error)}`);
                      outstanding -= 1;
                    },
                  );
                await drive(() => outstanding === SEEDED - i - 1);
              }
              expect(problems).toEqual([]);
              db.armed = true;

              let maxAckedSeq = SEEDED;
              const head = () => logStates(db, P).length - 1;
              const check = (ok: boolean, message: () => string) => {
                if (!ok) problems.push(message());
              };
              const submit = (index: number, attempt: number, given?: Input): void => {
                const o = ops[index]!;
                const states = logStates(db, P);
                const now = states.at(-1)!;
                const startSeq = now.seq;
                const faultsBefore = db.faultsMet;
                const service = nodes[o.node]!;
                const requestId = `r${index}`;
                const ctx = { subject: SUBJECT, requestId };
                const key = EventLog.requestKey(SUBJECT, requestId);
                const label = `#${index}.${attempt} ${o.kind} on n${o.node}`;
                let input: Input = {};
                outstanding += 1;
                const finish = () => {
                  if (o.kind !== 'list' && attempt < o.retries) {
                    outstanding += 1; // the retry, until it is sent
                    void s.schedule(Promise.resolve(), `retry #${index}`).then(() => {
                      outstanding -= 1;
                      submit(index, attempt + 1, input);
                    });
                  }
                  outstanding -= 1;
                };
                if (o.kind === 'list') {
                  const seen = maxAckedSeq;
                  service.list(P).then(
                    (answer) => {
                      const after = logStates(db, P);
                      check(
                        answer.seq >= seen,
                        () => `${label}: list at seq ${answer.seq}, older than acked seq ${seen}`,
                      );
                      const state = after[answer.seq];
                      check(
                        state !== undefined &&
                          isDeepStrictEqual(
                            answer.workspaces.map((w) => w.id),
                            state.order,
                          ) &&
                          answer.workspaces.every((w) => sameWorkspace(w, state.workspaces.get(w.id)?.workspace)),
                        () => `${label}: list at seq ${answer.seq} is not the log's state at that seq`,
                      );
                      finish();
                    },
                    (error: { code?: string }) => {
                      check(db.faultsMet > faultsBefore, () => `${label}: list failed (${error.code}) without a fault`);
                      finish();
                    },
                  );
                  return;
                }
                const id = o.kind === 'update' || o.kind === 'delete' ? seeded[o.target]! : undefined;
                const version = id === undefined ? undefined : (now.workspaces.get(id)?.workspace.version ?? 1);
                input =
                  given ??
                  (o.kind === 'update'
                    ? {
                        id,
                        patch: { name: o.name },
                        ...(o.expected === 'none'
                          ? {}
                          : { expectedVersion: o.expected === 'current' ? version : Math.max(1, version! - 1) }),
                      }
                    : o.kind === 'delete'
                      ? { id, ...(o.expected === 'none' ? {} : { expectedVersion: version }) }
                      : o.kind === 'create'
                        ? { projectId: P, name: `new${index}` }
                        : { projectId: P, order: [...now.order].reverse() });
                const sent =
                  o.kind === 'update'
                    ? service.update(input as never, ctx)
                    : o.kind === 'delete'
                      ? service.delete(input as never, ctx)
                      : o.kind === 'create'
                        ? service.create(input as never, ctx)
                        : service.reorder(input as never, ctx);
                sent.then(
                  (ack) => {
                    const stored = storedLog(db, P).filter((event) => event.key === key);
                    check(
                      stored.length === 1,
                      () => `${label}: acked, but the log holds its key ${stored.length} times`,
                    );
                    if (stored[0] !== undefined) {
                      check(
                        isDeepStrictEqual(ack, stored[0].data),
                        () => `${label}: acked ${JSON.stringify(ack)}, stored ${JSON.stringify(stored[0]!.data)}`,
                      );
                      maxAckedSeq = Math.max(maxAckedSeq, stored[0].seq);
                    }
                    finish();
                  },
                  (error: { code?: string; message?: string; details?: Record<string, unknown> }) => {
                    const after = logStates(db, P);
                    const endSeq = after.length - 1;
                    if (error.code === 'CONFLICT' || error.code === 'NOT_FOUND') {
                      const applied = storedLog(db, P).some((event) => event.key === key);
                      check(!applied, () => `${label}: refused ${error.code} although its event is stored`);
                      const holds = after
                        .slice(startSeq, endSeq + 1)
                        .some((state) => refusalHolds(o, input, error, state));
                      check(
                        holds,
                        () =>
                          `${label}: ${error.code} "${error.message}" matches no stored state in seqs ${startSeq}..${endSeq}`,
                      );
                    } else {
                      check(
                        db.faultsMet > faultsBefore,
                        () => `${label}: ${error.code} "${error.message}" without a fault`,
                      );
                    }
                    finish();
                  },
                );
              };
              outstanding += ops.length;
              for (const index of ops.keys()) {
                void s.schedule(Promise.resolve(), `submit #${index}`).then(() => {
                  outstanding -= 1;
                  submit(index, 0);
                });
              }
              await drive(() => outstanding === 0);

              // Without faults, both nodes read the log's state.
              db.armed = false;
              const finals: { seq: number; workspaces: Workspace[] }[] = [];
              outstanding = 2;
              for (const service of nodes) {
                void service.list(P).then(
                  (answer) => {
                    finals.push(answer);
                    outstanding -= 1;
                  },
                  (error: unknown) => {
                    problems.push(`final list failed: ${String(error)}`);
                    outstanding -= 1;
                  },
                );
              }
              await drive(() => outstanding === 0);
              for (const answer of finals)
                check(answer.seq === head(), () => `a node ends at seq ${answer.seq}, the log at ${head()}`);
              // On a replica set every event read asks for read concern majority (db/read-concern.ts).
              problems.push(...new Set(db.unsafeEventReads));
              expect(problems).toEqual([]);
            } finally {
              clock.uninstall();
            }
          },
        ),
        options,
      );
    },
    Math.max(60_000, (options.numRuns ?? 0) * 250),
  );
});
