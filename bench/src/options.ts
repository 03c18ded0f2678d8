// Bench sizes: full defaults (the issue's sizes), `--quick` defaults (a smoke run under a minute),
// and overrides as `--name=value` flags or BENCH_NAME environment variables (flags win).
import type { ServerKind } from './common.js';

export const SCENARIOS = [
  'bundle',
  'idle',
  'ping',
  'fanout',
  'mutations',
  'connections',
  'scale',
  'resume',
  'video',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

interface NumberSpec {
  full: number;
  quick: number;
  help: string;
}

export const NUMBER_SPECS = {
  idleConnections: { full: 5000, quick: 200, help: 'idle memory: connections opened' },
  pings: {
    full: 5000,
    quick: 300,
    help: 'ping round trip: sequential pings on one connection per server, interleaved ping by ping across the servers',
  },
  fanoutSubscribers: { full: 1000, quick: 50, help: 'fan-out: subscribers in one project' },
  fanoutUpdates: { full: 2000, quick: 60, help: 'fan-out: updates sent' },
  fanoutInFlight: { full: 32, quick: 32, help: 'fan-out: updates in flight' },
  mutations: { full: 2000, quick: 64, help: 'durable mutations: workspace.updates sent (ours only)' },
  mutationInFlight: { full: 64, quick: 16, help: 'durable mutations: updates in flight' },
  mutationConnections: { full: 8, quick: 4, help: 'durable mutations: connections the updates are spread over' },
  mutationWorkspaces: {
    full: 64,
    quick: 8,
    help: 'durable mutations: workspaces (one project) the updates are spread over',
  },
  videoJobs: { full: 200, quick: 50, help: 'video: concurrent video jobs against the Runway simulator (ours only)' },
  videoPollMs: { full: 1000, quick: 1000, help: 'video: VIDEO_POLL_MS of the server (Runway asks for at least 5000)' },
  videoStepMs: { full: 1000, quick: 1000, help: 'video: length of each simulated task step' },
  bareWrites: { full: 2000, quick: 100, help: 'bare mongoose write rate: writes per operation kind' },
  bareInFlight: { full: 64, quick: 64, help: 'bare mongoose write rate: writes in flight' },
  bareMaxPoolSize: { full: 20, quick: 20, help: 'bare mongoose write rate: connection pool (the server uses 20)' },
  connectionRate: { full: 10, quick: 20, help: 'connections: updates per second (paced) at each step' },
  connectionUpdates: { full: 50, quick: 10, help: 'connections: updates sent at each step' },
  connectionWarmupUpdates: { full: 10, quick: 2, help: 'connections: unmeasured updates sent first at each step' },
  connectionP99Ms: { full: 100, quick: 100, help: 'connections: a step passes while fan-out p99 stays under this' },
  scaleProjects: { full: 5000, quick: 200, help: 'scale: projects seeded through the driver (ours only)' },
  scaleEventsPerProject: {
    full: 100,
    quick: 100,
    help: 'scale: events per seeded project (projects x this = events in the seeded database)',
  },
  scaleWorkspacesPerProject: { full: 10, quick: 10, help: 'scale: workspaces per seeded project' },
  scaleMeasuredProjects: { full: 50, quick: 10, help: 'scale: projects the requests go to (in both databases)' },
  scaleSamples: {
    full: 1000,
    quick: 100,
    help: 'scale: subscribe, list and update requests of each kind, one at a time',
  },
  scaleMutations: {
    full: 2000,
    quick: 200,
    help: 'scale: workspace.updates for the durable rate (mutation-in-flight / -connections as above)',
  },
  stormClients: { full: 1000, quick: 200, help: 'scale: clients subscribing at once to one project (subscribe storm)' },
  resumeClients: {
    full: 2000,
    quick: 200,
    help: 'resume: subscribed clients that drop and resume at once (ours after a restart; Socket.IO with connection state recovery)',
  },
  resumeProjects: { full: 20, quick: 4, help: 'resume: projects the clients are spread over' },
  resumeMissed: { full: 100, quick: 20, help: 'resume: events each client misses while away' },
  resumeWriterUpdates: {
    full: 200,
    quick: 40,
    help: 'resume: updates of the concurrent writer (to another project, paced at 50/s)',
  },
  payloadBytes: { full: 64, quick: 64, help: 'bytes of filler text in every update' },
  workers: { full: 2, quick: 2, help: 'receiver processes of the load generator (plus one control process)' },
  connectConcurrency: { full: 64, quick: 64, help: 'handshakes in flight per receiver process' },
  profile: {
    full: 0,
    quick: 0,
    help: '1: run every server process under node --cpu-prof; profiles go to bench/results/profiles/<run>/',
  },
  restartPerScenario: {
    full: 1,
    quick: 0,
    help: '1: a fresh server process (and, for ours, a fresh database) for every scenario; 0: one process per server',
  },
  scenarioTimeoutSec: { full: 300, quick: 12, help: 'bound on each scenario of each server' },
} satisfies Record<string, NumberSpec>;

export type NumberOption = keyof typeof NUMBER_SPECS;

export interface Options extends Record<Exclude<NumberOption, 'restartPerScenario' | 'profile'>, number> {
  restartPerScenario: boolean;
  profile: boolean;
  quick: boolean;
  servers: ServerKind[];
  scenarios: Scenario[];
  connectionSteps: number[];
  /** Which latency the connections scenario bounds: `fanout` (ack of the update to receive) or `send` (send to receive, includes the durable write). */
  connectionLatency: 'fanout' | 'send';
  out: string | undefined;
}

const ALL_SERVERS: ServerKind[] = ['raw', 'sio', 'ours'];

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function envName(name: string): string {
  return `BENCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function usage(): string {
  const lines = [
    'pnpm bench [--quick] [--servers=raw,sio,ours] [--scenarios=idle,ping,fanout,mutations,connections] [--name=value ...]',
    '',
    'Sizes (flag / environment variable: full default, quick default):',
  ];
  for (const [name, spec] of Object.entries(NUMBER_SPECS) as [NumberOption, NumberSpec][]) {
    lines.push(`  --${kebab(name)} / ${envName(name)}: ${spec.full}, ${spec.quick}  ${spec.help}`);
  }
  lines.push(
    '  --connection-steps / BENCH_CONNECTION_STEPS: 1000,2000,4000,8000,16000 ; 50,100,200  connections: subscribers at each step',
  );
  lines.push(
    '  --connection-latency / BENCH_CONNECTION_LATENCY: fanout  connections: the latency a step bounds, fanout (update ack -> event received) or send (update sent -> event received, includes the durable write)',
  );
  lines.push('  --out / BENCH_OUT: results file (default bench/results/<timestamp>.json)');
  return lines.join('\n');
}

export function parseOptions(argv: string[], env: Record<string, string | undefined>): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    }
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new Error(`unknown argument ${arg}\n${usage()}`);
    flags.set(match[1]!, match[2] ?? 'true');
  }
  const quick = flags.get('quick') === 'true' || env['BENCH_QUICK'] === '1';
  flags.delete('quick');
  const take = (name: string): string | undefined => {
    const value = flags.get(kebab(name)) ?? env[envName(name)];
    flags.delete(kebab(name));
    return value;
  };
  const options = { quick } as Options;
  for (const [name, spec] of Object.entries(NUMBER_SPECS) as [NumberOption, NumberSpec][]) {
    const raw = take(name);
    const value =
      raw === undefined ? (quick ? spec.quick : spec.full) : raw === 'true' ? 1 : raw === 'false' ? 0 : Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${kebab(name)} must be a non-negative number, not ${raw}`);
    (options as unknown as Record<string, number>)[name] = value;
  }
  const list = (name: string, fallback: string): string[] =>
    (take(name) ?? fallback)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  options.servers = list('servers', ALL_SERVERS.join(',')).map((server) => {
    if (!ALL_SERVERS.includes(server as ServerKind)) throw new Error(`unknown server ${server} (raw, sio, ours)`);
    return server as ServerKind;
  });
  options.scenarios = list('scenarios', SCENARIOS.join(',')).map((scenario) => {
    if (!(SCENARIOS as readonly string[]).includes(scenario))
      throw new Error(`unknown scenario ${scenario} (${SCENARIOS.join(', ')})`);
    return scenario as Scenario;
  });
  options.connectionSteps = list('connectionSteps', quick ? '50,100,200' : '1000,2000,4000,8000,16000').map(Number);
  if (options.connectionSteps.some((step) => !Number.isInteger(step) || step <= 0))
    throw new Error('--connection-steps: positive integers');
  const latency = take('connectionLatency') ?? 'fanout';
  if (latency !== 'fanout' && latency !== 'send') throw new Error('--connection-latency: fanout or send');
  options.connectionLatency = latency;
  options.out = take('out');
  if (flags.size > 0)
    throw new Error(`unknown option(s): ${[...flags.keys()].map((f) => `--${f}`).join(', ')}\n${usage()}`);
  options.workers = Math.max(1, Math.round(options.workers));
  options.restartPerScenario = Boolean(options.restartPerScenario);
  options.profile = Boolean(options.profile);
  return options;
}
