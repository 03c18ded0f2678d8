// Result shape, the printed tables (Markdown, so a run can be pasted into docs/performance.md) and
// the issue's targets as ratios. Targets are reported as met / not met; nothing is asserted.
import type { LatencySummary, ServerKind } from './common.js';
import type { BundleSizes } from './bundle-size.js';
import type { VideoJobsResult } from './video-jobs.js';
import type { BareWriteResult } from './loadgen.js';
import type { LatencyResult, StormResult } from './scale.js';
import type { Options } from './options.js';

export interface ConnectionStep {
  target: number;
  subscribed: number;
  passed: boolean;
  reason: string;
  delivered?: number;
  expected?: number;
  /** Update sent -> event received (includes the server's write). */
  latency?: LatencySummary;
  /** Update acked at the publisher -> event received: the fan-out alone. */
  fanoutLatency?: LatencySummary;
  /** Update sent -> ack received at the publisher. */
  ackLatency?: LatencySummary;
  cpuUsPerEvent?: number | null;
  rssKiB?: number;
  publisherMaxLagMs?: number;
}

/** One database of the `scale` scenario: what it held, and what the same requests measured on it. */
export interface ScalePhase {
  projects: number;
  events: number;
  seedMs: number;
  /** Start of a fresh server process on this database, until it listened. */
  serverStartMs: number;
  latency: LatencyResult;
  mutations: { acked: number; errors: number; firstError: string | null; perSec: number | null };
  storm: StormResult;
  peakRssKiB: number;
}

export interface ServerResult {
  kind: ServerKind;
  label: string;
  pid: number;
  errors: string[];
  /** 1, 5 and 15 minute load averages when the server started (other work on the machine skews timings). */
  loadAvgAtStart: number[];
  idle?: {
    connections: number;
    failed: number;
    firstError: string | null;
    connectMs: number;
    rssBeforeKiB: number;
    rssAfterKiB: number;
    peakRssKiB: number;
    kibPerConnection: number | null;
  };
  ping?: {
    count: number;
    timedOut: boolean;
    /** 1 / mean round trip. */
    perSec: number | null;
    rtt: LatencySummary;
    /** 90 % bootstrap interval of this server's p99 / raw ws' p99 (how precisely this run measures the ratio). */
    p99VsRawInterval?: [number, number] | null;
    cpuUsPerPing: number | null;
    peakRssKiB: number;
  };
  fanout?: {
    subscribers: number;
    connectFailed: number;
    firstError: string | null;
    updatesSent: number;
    updatesAcked: number;
    updateErrors: number;
    expected: number;
    delivered: number;
    complete: boolean;
    closedUnexpectedly: number;
    timedOut: boolean;
    durationMs: number | null;
    eventsPerSec: number | null;
    updatesPerSec: number | null;
    latency: LatencySummary;
    ackLatency: LatencySummary;
    cpuMs: number;
    cpuUsPerEvent: number | null;
    dbCpuMs: number | null;
    /** CPU of all load generator processes over the phase, and the phase's wall time: the generator saturates near wallMs x workers. */
    loadgenCpuMs: number;
    /** CPU time of the whole machine over the phase (null off Linux). */
    machineBusyMs: number | null;
    wallMs: number;
    peakRssKiB: number;
  };
  mutations?: {
    sent: number;
    acked: number;
    errors: number;
    firstError: string | null;
    timedOut: boolean;
    ackedPerSec: number | null;
    ackLatency: LatencySummary;
    cpuUsPerMutation: number | null;
    dbCpuUsPerMutation: number | null;
    peakRssKiB: number;
  };
  connections?: { maxPassed: number; stopReason: string; steps: ConnectionStep[]; peakRssKiB: number };
  scale?: { measuredProjects: number; empty: ScalePhase; seeded: ScalePhase };
  resume?: {
    clients: number;
    projects: number;
    missedPerClient: number;
    /** Ours is restarted between the drop and the reconnect; Socket.IO is not (its recovery is in memory). */
    restarted: boolean;
    complete: number;
    lost: number;
    duplicated: number;
    notResumed: number;
    failed: number;
    firstError: string | null;
    /** From the reconnect until every client held every missed event (null unless all did). */
    recoverMs: number | null;
    writerAcked: number;
    writerErrors: number;
    writerAck: LatencySummary;
    cpuMs: number;
    peakRssKiB: number;
  };
  peakRssKiB?: number;
  serverLog?: string[];
}

export interface TargetResult {
  target: string;
  ratio: number | null;
  required: string;
  met: boolean | null;
}

export interface Results {
  runId: string;
  startedAt: string;
  quick: boolean;
  command: string;
  options: Options;
  machine: {
    nproc: number;
    cpuModel: string;
    memTotalMiB: number;
    node: string;
    kernel: string;
    loadAvgAtStart: number[];
  };
  git: { commit: string; changedFiles: number } | null;
  redisUrlSet: boolean;
  database: { kind: string; dbName: string } | null;
  bare: (BareWriteResult & { dbCpuMs?: number }) | null;
  servers: Record<string, ServerResult>;
  durationSec: number;
  /** The `bundle` scenario: browser bundle sizes of @app/client and Socket.IO's client. */
  bundle?: BundleSizes;
  /** The `video` scenario: concurrent video jobs through apps/server against the Runway simulator. */
  video?: VideoJobsResult;
  targets?: TargetResult[];
  /** Set when the run stopped early (a server exited, the database did not start). */
  fatal?: string;
}

const dash = '-';

function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function mib(kib: number | null | undefined): string {
  return kib === null || kib === undefined || !Number.isFinite(kib) ? dash : num(kib / 1024, 1);
}

function ratio(value: number | null | undefined, base: number | null | undefined): number | null {
  if (
    value === null ||
    value === undefined ||
    base === null ||
    base === undefined ||
    !Number.isFinite(value) ||
    !Number.isFinite(base) ||
    base === 0
  ) {
    return null;
  }
  return value / base;
}

function times(value: number | null): string {
  return value === null ? dash : `${value.toFixed(2)}x`;
}

function table(title: string, note: string, header: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    `### ${title}`,
    ...(note === '' ? [] : [note]),
    '',
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
    '',
  ].join('\n');
}

/** Ratio columns of one metric against both baselines. */
function versus(
  results: Results,
  pick: (server: ServerResult) => number | null | undefined,
  server: ServerResult,
): string[] {
  return [
    times(ratio(pick(server), results.servers['raw'] ? pick(results.servers['raw']) : null)),
    times(ratio(pick(server), results.servers['sio'] ? pick(results.servers['sio']) : null)),
  ];
}

export function computeTargets(results: Results): TargetResult[] {
  const ours = results.servers['ours'];
  const raw = results.servers['raw'];
  const sio = results.servers['sio'];
  const check = (target: string, value: number | null, required: string, ok: (r: number) => boolean): TargetResult => ({
    target,
    ratio: value,
    required,
    met: value === null ? null : ok(value),
  });
  return [
    check(
      'fan-out: server CPU per delivered event vs raw ws',
      ratio(ours?.fanout?.cpuUsPerEvent, raw?.fanout?.cpuUsPerEvent),
      '<= 0.5x',
      (r) => r <= 0.5,
    ),
    check(
      'fan-out: delivered events/s vs raw ws',
      ratio(ours?.fanout?.eventsPerSec, raw?.fanout?.eventsPerSec),
      '>= 2x',
      (r) => r >= 2,
    ),
    check(
      'fan-out: delivered events/s vs Socket.IO',
      ratio(ours?.fanout?.eventsPerSec, sio?.fanout?.eventsPerSec),
      '>= 2x',
      (r) => r >= 2,
    ),
    check(
      'idle memory per connection vs raw ws',
      ratio(ours?.idle?.kibPerConnection, raw?.idle?.kibPerConnection),
      '<= 1.2x',
      (r) => r <= 1.2,
    ),
    check('ping round trip p99 vs raw ws', ratio(ours?.ping?.rtt.p99, raw?.ping?.rtt.p99), '<= 1.2x', (r) => r <= 1.2),
    check(
      'durable mutations/s vs bare mongoose updateOne/s',
      ratio(ours?.mutations?.ackedPerSec, results.bare?.updateOne.perSec),
      '>= 1x',
      (r) => r >= 1,
    ),
    ...scaleTargets(ours?.scale, check),
    ...(ours?.resume !== undefined || sio?.resume !== undefined
      ? [
          check(
            'resume storm: time until every client holds every missed event, ours (across a restart) vs Socket.IO (recovery, no restart), with none lost or duplicated',
            ours?.resume !== undefined && ours.resume.lost === 0 && ours.resume.duplicated === 0
              ? ratio(ours.resume.recoverMs, sio?.resume?.recoverMs)
              : null,
            '<= 1.5x',
            (r) => r <= 1.5,
          ),
        ]
      : []),
  ];
}

function scaleTargets(
  scale: ServerResult['scale'],
  check: (target: string, value: number | null, required: string, ok: (r: number) => boolean) => TargetResult,
): TargetResult[] {
  if (scale === undefined) return [];
  const { empty, seeded } = scale;
  const atMost = (limit: number) => (r: number) => r <= limit;
  const big = `${seeded.events.toLocaleString('en-US')} events`;
  return [
    ...(['subscribe', 'list', 'update'] as const).flatMap((op) =>
      (['p50', 'p99'] as const).map((q) =>
        check(
          `scale: ${op} ${q} on ${big} vs on the measured projects alone`,
          ratio(seeded.latency[op][q], empty.latency[op][q]),
          '<= 1.5x',
          atMost(1.5),
        ),
      ),
    ),
    check(
      `scale: durable mutations/s on ${big} vs on the measured projects alone`,
      ratio(seeded.mutations.perSec, empty.mutations.perSec),
      '>= 0.67x',
      (r) => r >= 0.67,
    ),
    check(
      `subscribe storm on ${big}: ${seeded.storm.clients} subscribes acked vs the same connections' hellos`,
      ratio(seeded.storm.subscribeMs, seeded.storm.helloMs),
      '<= 2x',
      atMost(2),
    ),
  ];
}

export function renderReport(results: Results): string {
  const o = results.options;
  const servers = Object.values(results.servers);
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `## Bench ${results.runId}${results.quick ? ' (quick)' : ''}: ${m.nproc} CPUs (${m.cpuModel}), ${m.memTotalMiB} MiB, node ${m.node}, database ${results.database?.kind ?? 'none'}`,
    '',
    `Code: ${results.git === null ? 'unknown' : `commit ${results.git.commit} + ${results.git.changedFiles} changed file(s)`}; load average at start ${m.loadAvgAtStart.join(' ')}` +
      `${results.redisUrlSet ? '; REDIS_URL set (ours on the Redis bus)' : ''}; run took ${Math.round(results.durationSec)} s.`,
    '',
  );

  if (results.bundle !== undefined) {
    const { client, socketIo, ratio } = results.bundle;
    const kb = (bytes: number): string => (bytes / 1000).toFixed(1); // KB of 1000 bytes
    out.push(
      table(
        'Browser bundle (esbuild, minified, gzip -9): connect and send one request',
        `@app/client / Socket.IO: ${ratio.toFixed(2)}; target: @app/client at most 15 KB min+gzip.`,
        ['client', 'min KB', 'min+gzip KB'],
        [
          ['@app/client', kb(client.minBytes), kb(client.gzipBytes)],
          ['socket.io-client', kb(socketIo.minBytes), kb(socketIo.gzipBytes)],
        ],
      ),
    );
  }

  out.push(
    table(
      `Idle memory per connection (${o.idleConnections} connections)`,
      'RSS of the server process after GC, before and after opening the connections.',
      ['server', 'connections', 'KiB/connection', 'RSS before MiB', 'RSS after MiB', 'vs raw ws', 'vs Socket.IO'],
      servers
        .filter((s) => s.idle)
        .map((s) => [
          s.label,
          `${s.idle!.connections}${s.idle!.failed > 0 ? ` (${s.idle!.failed} failed)` : ''}`,
          num(s.idle!.kibPerConnection),
          mib(s.idle!.rssBeforeKiB),
          mib(s.idle!.rssAfterKiB),
          ...versus(results, (x) => x.idle?.kibPerConnection, s),
        ]),
    ),
  );

  out.push(
    table(
      `Request/ack round trip (1 client, ${o.pings} sequential pings per server)`,
      'The servers run at once, one connection each, and the pings are interleaved: every round pings each server once, in an order that cycles through every permutation, so other work on the machine affects each alike. ' +
        "pings/s is 1 / mean round trip; CPU is the server's per round trip. The interval is where 90 % of block-bootstrap resamples of the rounds put the p99 ratio: how precisely this run measures it.",
      [
        'server',
        'pings',
        'p50 ms',
        'p99 ms',
        'max ms',
        'pings/s',
        'CPU µs/ping',
        'p99 vs raw ws',
        '90 % interval',
        'p99 vs Socket.IO',
      ],
      servers
        .filter((s) => s.ping)
        .map((s) => {
          const [vsRaw, vsSio] = versus(results, (x) => x.ping?.rtt.p99, s);
          const interval = s.ping!.p99VsRawInterval;
          return [
            s.label,
            String(s.ping!.count),
            num(s.ping!.rtt.p50, 3),
            num(s.ping!.rtt.p99, 3),
            num(s.ping!.rtt.max, 3),
            num(s.ping!.perSec, 0),
            num(s.ping!.cpuUsPerPing, 1),
            vsRaw!,
            interval === undefined || interval === null ? dash : `${interval[0].toFixed(2)}-${interval[1].toFixed(2)}x`,
            vsSio!,
          ];
        }),
    ),
  );

  out.push(
    table(
      `Fan-out (${o.fanoutSubscribers} subscribers in one project, ${o.fanoutUpdates} updates, ${o.fanoutInFlight} in flight)`,
      'Latency is send (timestamp in the update) to receive, over every delivered event. CPU is the server process (utime+stime). ' +
        `CPU % is of one core over the phase: the server, the load generator (all its processes), the database (ours only), and everything else on the machine (kernel, other work); ${m.nproc * 100} % is the whole machine.`,
      [
        'server',
        'delivered',
        'updates acked',
        'events/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'CPU µs/event',
        'CPU % server / loadgen / db / other',
        'peak RSS MiB',
        'events/s vs raw ws',
        'vs Socket.IO',
        'CPU/event vs raw ws',
        'vs Socket.IO',
      ],
      servers
        .filter((s) => s.fanout)
        .map((s) => {
          const f = s.fanout!;
          return [
            s.label,
            `${f.delivered}/${f.expected}${f.complete ? '' : ' (incomplete)'}`,
            `${f.updatesAcked}/${f.updatesSent}${f.updateErrors > 0 ? ` (${f.updateErrors} errors)` : ''}`,
            num(f.eventsPerSec, 0),
            num(f.latency.p50),
            num(f.latency.p99),
            num(f.latency.max),
            num(f.cpuUsPerEvent, 2),
            f.wallMs > 0
              ? [
                  num((100 * f.cpuMs) / f.wallMs, 0),
                  num((100 * f.loadgenCpuMs) / f.wallMs, 0),
                  f.dbCpuMs === null ? dash : num((100 * f.dbCpuMs) / f.wallMs, 0),
                  f.machineBusyMs === null
                    ? dash
                    : num((100 * (f.machineBusyMs - f.cpuMs - f.loadgenCpuMs - (f.dbCpuMs ?? 0))) / f.wallMs, 0),
                ].join(' / ')
              : dash,
            mib(f.peakRssKiB),
            ...versus(results, (x) => x.fanout?.eventsPerSec, s),
            ...versus(results, (x) => x.fanout?.cpuUsPerEvent, s),
          ];
        }),
    ),
  );

  const ours = results.servers['ours'];
  if (ours?.mutations || results.bare) {
    const bareRate = results.bare?.updateOne.perSec;
    const rows: string[][] = [];
    if (ours?.mutations) {
      const mu = ours.mutations;
      rows.push([
        `ours: workspace.update acked (${o.mutationConnections} connections, ${o.mutationWorkspaces} workspaces)`,
        `${mu.acked}${mu.errors > 0 ? ` (${mu.errors} errors)` : ''}`,
        num(mu.ackedPerSec, 0),
        num(mu.ackLatency.p50),
        num(mu.ackLatency.p99),
        num(mu.cpuUsPerMutation, 0),
        num(mu.dbCpuUsPerMutation, 0),
        times(ratio(mu.ackedPerSec, bareRate)),
      ]);
    }
    if (results.bare) {
      const bare = results.bare;
      for (const [name, r] of [
        ['bare mongoose updateOne (one document)', bare.updateOne],
        ['bare mongoose insertOne', bare.insertOne],
      ] as const) {
        rows.push([
          name,
          String(r.count),
          num(r.perSec, 0),
          num(r.latency.p50),
          num(r.latency.p99),
          dash,
          dash,
          times(ratio(r.perSec, bareRate)),
        ]);
      }
    }
    out.push(
      table(
        `Durable mutations (${o.mutationInFlight} in flight; bare writes ${o.bareInFlight} in flight, pool ${o.bareMaxPoolSize}, w:majority j:true)`,
        'The bare single-document write rate on the same database is the limit to compare against.',
        ['writer', 'acked', 'per s', 'p50 ms', 'p99 ms', 'server CPU µs/op', 'db CPU µs/op', 'vs bare updateOne'],
        rows,
      ),
    );
  }

  const bounded = o.connectionLatency === 'fanout' ? 'ack -> receive' : 'send -> receive';
  out.push(
    table(
      `Connections held with fan-out p99 (${bounded}) < ${o.connectionP99Ms} ms (steps ${o.connectionSteps.join(', ')}; ${o.connectionUpdates} updates at ${o.connectionRate}/s per step after ${o.connectionWarmupUpdates} unmeasured)`,
      'Each step adds subscribed connections to one project, then sends paced updates; a step passes when every event arrived and the bounded p99 stayed under the limit. ' +
        'Per step: subscribers: p99 ack -> receive / p99 send -> receive (ms); x marks the failed step.',
      ['server', 'held', 'per step', 'stopped because', 'vs raw ws', 'vs Socket.IO'],
      servers
        .filter((s) => s.connections)
        .map((s) => [
          s.label,
          String(s.connections!.maxPassed),
          s
            .connections!.steps.map(
              (step) =>
                `${step.subscribed}: ${num(step.fanoutLatency?.p99)} / ${num(step.latency?.p99)}${step.passed ? '' : ' x'}`,
            )
            .join(', '),
          s.connections!.stopReason,
          ...versus(results, (x) => x.connections?.maxPassed, s),
        ]),
    ),
  );

  const resumeRows = servers.filter((server) => server.resume);
  if (resumeRows.length > 0) {
    const first = resumeRows[0]!.resume!;
    out.push(
      table(
        `Resume storm (${first.clients} subscribed clients over ${first.projects} projects drop at once, each misses ${first.missedPerClient} events, all reconnect at once)`,
        'Ours is restarted while the clients are away and they resume with sinceSeq; Socket.IO keeps running with connection state recovery (missed packets in memory: it cannot survive a restart). ' +
          'Time is from the reconnect until the last client held every missed event; lost and duplicated count events by their seq. The writer sends 50 updates/s to another project during the reconnect.',
        [
          'server',
          'restarted',
          'complete clients',
          'time ms',
          'lost',
          'duplicated',
          'not resumed',
          'writer ack p50 / p99 ms',
          'server CPU ms',
          'peak RSS MiB',
          'time vs Socket.IO',
        ],
        resumeRows.map((server) => {
          const r = server.resume!;
          return [
            server.label,
            r.restarted ? 'yes' : 'no',
            `${r.complete}/${r.clients}${r.failed > 0 ? ` (${r.failed} failed: ${r.firstError})` : ''}`,
            num(r.recoverMs, 0),
            String(r.lost),
            String(r.duplicated),
            String(r.notResumed),
            `${num(r.writerAck.p50)} / ${num(r.writerAck.p99)}${r.writerErrors > 0 ? ` (${r.writerErrors} errors)` : ''}`,
            num(r.cpuMs, 0),
            mib(r.peakRssKiB),
            times(ratio(r.recoverMs, results.servers['sio']?.resume?.recoverMs)),
          ];
        }),
      ),
    );
  }

  const scale = ours?.scale;
  if (scale !== undefined) {
    const phases = [
      [`measured projects alone (${scale.empty.events.toLocaleString('en-US')} events)`, scale.empty],
      [`all seeded projects (${scale.seeded.events.toLocaleString('en-US')} events)`, scale.seeded],
    ] as const;
    const rows: string[][] = phases.map(([name, phase]) => [
      name,
      `${num(phase.seedMs / 1000, 0)} s / ${num(phase.serverStartMs / 1000, 1)} s`,
      ...(['subscribe', 'list', 'update'] as const).map(
        (op) => `${num(phase.latency[op].p50, 2)} / ${num(phase.latency[op].p99, 2)}`,
      ),
      `${num(phase.mutations.perSec, 0)}${phase.mutations.errors > 0 ? ` (${phase.mutations.errors} errors)` : ''}`,
      `${phase.storm.clients}: ${num(phase.storm.helloMs, 0)} / ${num(phase.storm.subscribeMs, 0)}${phase.storm.failed > 0 ? ` (${phase.storm.failed} failed)` : ''}`,
      mib(phase.peakRssKiB),
    ]);
    const r = (pick: (phase: ScalePhase) => number | null | undefined): string =>
      times(ratio(pick(scale.seeded), pick(scale.empty)));
    rows.push([
      'ratio',
      dash,
      ...(['subscribe', 'list', 'update'] as const).map(
        (op) => `${r((x) => x.latency[op].p50)} / ${r((x) => x.latency[op].p99)}`,
      ),
      r((x) => x.mutations.perSec),
      `${times(ratio(scale.empty.storm.subscribeMs, scale.empty.storm.helloMs))} / ${times(ratio(scale.seeded.storm.subscribeMs, scale.seeded.storm.helloMs))} (subscribes vs hellos)`,
      dash,
    ]);
    out.push(
      table(
        `Scale: the same requests on ${scale.measuredProjects} projects, alone and among ${scale.seeded.projects.toLocaleString('en-US')} seeded projects (${o.scaleSamples} of each request, one at a time)`,
        'Both databases seeded through the driver (the seeded one holds the measured projects too), each served by a fresh server process, both at once; ' +
          'the requests go to the two in turn, one at a time (whichever first alternates), so other work on the machine slows both alike. ' +
          'subscribe is a new subscription with its snapshot (the first to each project loads it); update is send -> ack. ' +
          `Mutations: ${o.scaleMutations} updates per database, ${o.mutationInFlight} in flight over ${o.mutationConnections} connections, to one project, in two halves (order A B B A). ` +
          'Storm: that many new connections opened at once (ms until every hello), then every one subscribes at once to a project not loaded yet (ms until every ack).',
        [
          'database',
          'seed / server start',
          'subscribe p50 / p99 ms',
          'list p50 / p99 ms',
          'update p50 / p99 ms',
          'mutations/s',
          'storm: hellos / subscribes ms',
          'peak RSS MiB',
        ],
        rows,
      ),
    );
  }

  out.push(
    table(
      'Server process totals',
      'Peak RSS is VmHWM, reset before each scenario (clear_refs); the largest per-scenario peak is shown.',
      ['server', 'peak RSS MiB', 'vs raw ws', 'vs Socket.IO', 'errors'],
      servers.map((s) => [
        s.label,
        mib(s.peakRssKiB),
        ...versus(results, (x) => x.peakRssKiB, s),
        s.errors.length === 0 ? 'none' : s.errors.join('; '),
      ]),
    ),
  );

  const targets = results.targets ?? computeTargets(results);
  out.push(
    table(
      'Targets (issues 5, 10 and 11), as ratios measured in this run',
      '',
      ['target', 'measured', 'required', 'status'],
      targets.map((t) => [
        t.target,
        times(t.ratio),
        t.required,
        t.met === null ? 'not measured' : t.met ? 'met' : 'not met',
      ]),
    ),
  );
  return out.filter((part) => part !== '').join('\n');
}

/** Computes the targets into `results`, prints the report and returns its Markdown. */
export function printReport(results: Results): string {
  results.targets = computeTargets(results);
  const markdown = renderReport(results);
  process.stdout.write(`\n${markdown}\n`);
  return markdown;
}
