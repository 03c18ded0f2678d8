import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the service exports at GET /metrics (Prometheus text format). */
export interface Metrics {
  registry: Registry;
  connections: Gauge;
  messagesIn: Counter<'type'>;
  messagesOut: Counter<'type'>;
  errors: Counter<'code'>;
  ackLatency: Histogram<'type'>;
  closes: Counter<'code'>;
  rateLimited: Counter;
  upgradesRefused: Counter<'reason'>;
  /** The per-message metrics of one request type, labelled once (prom-client would hash the labels on every call). */
  forRequest(type: string): RequestMetrics;
}

export interface RequestMetrics {
  received: { inc(): void };
  /** The ack (or pong) sent for it. */
  answered: { inc(): void };
  latency: { observe(seconds: number): void };
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
    messagesIn: new Counter({ name: 'ws_messages_in_total', help: 'Frames received, by request type', labelNames: ['type'], registers }),
    messagesOut: new Counter({ name: 'ws_messages_out_total', help: 'Frames sent, by type', labelNames: ['type'], registers }),
    errors: new Counter({ name: 'ws_errors_total', help: 'Error replies, by code', labelNames: ['code'], registers }),
    ackLatency: new Histogram({
      name: 'ws_ack_latency_seconds',
      help: 'Time from a request frame to its reply, by request type',
      labelNames: ['type'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    closes: new Counter({ name: 'ws_closes_total', help: 'Closed connections, by close code', labelNames: ['code'], registers }),
    rateLimited: new Counter({ name: 'ws_rate_limited_total', help: 'Requests refused with RATE_LIMITED', registers }),
    upgradesRefused: new Counter({ name: 'ws_upgrades_refused_total', help: 'Upgrades refused, by reason', labelNames: ['reason'], registers }),
    forRequest(type) {
      let found = byType.get(type);
      if (found === undefined) {
        found = {
          received: metrics.messagesIn.labels(type),
          answered: metrics.messagesOut.labels(type === 'ping' ? 'pong' : 'ack'),
          latency: metrics.ackLatency.labels(type),
        };
        byType.set(type, found); // bounded: request types are the protocol's, validated before they get here
      }
      return found;
    },
  };
  return metrics;
}
