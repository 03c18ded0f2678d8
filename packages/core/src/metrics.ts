import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the service exports at GET /metrics (Prometheus text format). */
export interface Metrics {
  registry: Registry;
  connections: Gauge;
  messagesIn: CellCounter;
  messagesOut: CellCounter;
  errors: CellCounter;
  ackLatency: CellHistogram;
  closes: Counter<'code'>;
  rateLimited: Counter;
  /** REST requests refused with RATE_LIMITED (429). */
  httpRateLimited: Counter;
  upgradesRefused: Counter<'reason'>;
  /** Connection slots held (upgrades being decided plus open connections), against MAX_CONNECTIONS. */
  connectionSlots: Gauge;
  /** Client addresses holding at least one slot (each against MAX_CONNECTIONS_PER_IP). */
  connectionSlotAddresses: Gauge;
  /** The per-message metrics of one request type, looked up once per type. */
  forRequest(type: string): RequestMetrics;
}

export interface RequestMetrics {
  received: CounterCell;
  /** The ack (or pong) sent for it. */
  answered: CounterCell;
  latency: HistogramCell;
}

/** One labelled series of a {@link CellCounter}: a plain number, added to on the request path. */
export class CounterCell {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * A counter with one label whose series are plain numbers ({@link CounterCell}), read by prom-client
 * only when /metrics is scraped. prom-client's own `inc` hashes and validates the labels on every
 * call, even through `labels()`: a cost paid per message that this keeps off the request path.
 */
export class CellCounter {
  private readonly cells = new Map<string, CounterCell>();

  constructor(config: { name: string; help: string; labelName: string; registers: Registry[] }) {
    const { cells } = this;
    const { labelName } = config;
    new Counter({
      name: config.name,
      help: config.help,
      labelNames: [labelName],
      registers: config.registers,
      collect() {
        this.reset();
        for (const [label, cell] of cells) this.inc({ [labelName]: label }, cell.value);
      },
    });
  }

  /** The series of `label`; keep it where it is used per message. Label values must come from a bounded set. */
  cell(label: string): CounterCell {
    let cell = this.cells.get(label);
    if (cell === undefined) {
      cell = new CounterCell();
      this.cells.set(label, cell);
    }
    return cell;
  }

  inc(label: string, by = 1): void {
    this.cell(label).inc(by);
  }
}

/** One labelled series of a {@link CellHistogram}: a count per bucket, their sum and count. */
export class HistogramCell {
  /** counts[i]: observations in (bounds[i - 1], bounds[i]]; the last is above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i += 1;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

/** One line of a rendered metric, as prom-client's registry reads it. */
interface MetricLine {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A Prometheus histogram with one label, observed with plain adds ({@link HistogramCell}) and
 * rendered only when /metrics is scraped, in the same series prom-client's Histogram renders
 * (`_bucket{le}` cumulative, `+Inf`, `_sum`, `_count`).
 */
export class CellHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelName: string;
  private readonly bounds: readonly number[];
  private readonly cells = new Map<string, HistogramCell>();

  constructor(config: {
    name: string;
    help: string;
    labelName: string;
    buckets: readonly number[];
    registers: Registry[];
  }) {
    this.name = config.name;
    this.help = config.help;
    this.labelName = config.labelName;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    // The registry asks a metric only for name, type, get() and reset(); prom-client types it as its own classes.
    for (const registry of config.registers)
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  cell(label: string): HistogramCell {
    let cell = this.cells.get(label);
    if (cell === undefined) {
      cell = new HistogramCell(this.bounds);
      this.cells.set(label, cell);
    }
    return cell;
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricLine[] }> {
    const values: MetricLine[] = [];
    for (const [label, cell] of this.cells) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: bound, [this.labelName]: label },
          value: cumulative,
        });
      });
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', [this.labelName]: label }, value: cell.count },
        { metricName: `${this.name}_sum`, labels: { [this.labelName]: label }, value: cell.sum },
        { metricName: `${this.name}_count`, labels: { [this.labelName]: label }, value: cell.count },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.cells.clear();
  }
}

/** One registry per process (both apps share it when they run together). Includes event-loop lag. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const registers = [registry];
  const byType = new Map<string, RequestMetrics>();
  const metrics: Metrics = {
    registry,
    connections: new Gauge({ name: 'ws_connections_open', help: 'Open WebSocket connections', registers }),
    messagesIn: new CellCounter({
      name: 'ws_messages_in_total',
      help: 'Frames received, by request type',
      labelName: 'type',
      registers,
    }),
    messagesOut: new CellCounter({
      name: 'ws_messages_out_total',
      help: 'Frames sent, by type',
      labelName: 'type',
      registers,
    }),
    errors: new CellCounter({ name: 'ws_errors_total', help: 'Error replies, by code', labelName: 'code', registers }),
    ackLatency: new CellHistogram({
      name: 'ws_ack_latency_seconds',
      help: 'Time from a request frame to its reply, by request type',
      labelName: 'type',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    closes: new Counter({
      name: 'ws_closes_total',
      help: 'Closed connections, by close code',
      labelNames: ['code'],
      registers,
    }),
    rateLimited: new Counter({ name: 'ws_rate_limited_total', help: 'Requests refused with RATE_LIMITED', registers }),
    httpRateLimited: new Counter({
      name: 'http_rate_limited_total',
      help: 'REST requests refused with RATE_LIMITED (429)',
      registers,
    }),
    upgradesRefused: new Counter({
      name: 'ws_upgrades_refused_total',
      help: 'Upgrades refused, by reason',
      labelNames: ['reason'],
      registers,
    }),
    connectionSlots: new Gauge({
      name: 'ws_connection_slots',
      help: 'Connection slots held: upgrades being decided plus open connections',
      registers,
    }),
    connectionSlotAddresses: new Gauge({
      name: 'ws_connection_slot_addresses',
      help: 'Client addresses holding at least one connection slot',
      registers,
    }),
    forRequest(type) {
      let found = byType.get(type);
      if (found === undefined) {
        found = {
          received: metrics.messagesIn.cell(type),
          answered: metrics.messagesOut.cell(type === 'ping' ? 'pong' : 'ack'),
          latency: metrics.ackLatency.cell(type),
        };
        byType.set(type, found); // bounded: request types are the protocol's, validated before they get here
      }
      return found;
    },
  };
  return metrics;
}

/**
 * Close codes counted under their own `code` label: those of RFC 6455 (section 7.4.1, IANA registry) and
 * the server's own (CLOSE_CODES). The peer chooses its close code; any other becomes `other`, so a peer
 * cannot create thousands of series.
 */
const KNOWN_CLOSE_CODES: ReadonlySet<number> = new Set([
  1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 4001, 4003,
]);

/** The `code` label of `ws_closes_total` for a close code. */
export function closeCodeLabel(code: number): string {
  return KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other';
}

/**
 * Whether a `/metrics` request may read the metrics: always without a token configured (METRICS_TOKEN),
 * else only with `Authorization: Bearer <token>` (compared in constant time).
 */
export function metricsRequestAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (typeof authorization !== 'string') return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) return false;
  const given = createHash('sha256').update(match[1]!).digest();
  return timingSafeEqual(given, createHash('sha256').update(token).digest());
}
