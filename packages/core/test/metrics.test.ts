import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter, CellHistogram, createMetrics } from '../src/metrics.js';

describe('cell metrics', () => {
  it('a CellCounter renders its cells as one labelled counter, current at every scrape', async () => {
    const registry = new Registry();
    const counter = new CellCounter({
      name: 'test_frames_total',
      help: 'Frames',
      labelName: 'type',
      registers: [registry],
    });
    const ping = counter.cell('ping');
    ping.inc();
    ping.inc();
    counter.inc('ack', 5);
    expect(await registry.metrics()).toContain('test_frames_total{type="ping"} 2\ntest_frames_total{type="ack"} 5');
    ping.inc();
    const text = await registry.metrics();
    expect(text).toMatch(/^test_frames_total\{type="ping"\} 3$/m);
    expect(text).toMatch(/^# TYPE test_frames_total counter$/m);
  });

  it("a CellHistogram renders the same text as prom-client's Histogram for the same observations", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const cells = new CellHistogram({
      name: 'test_latency_seconds',
      help: 'Latency',
      labelName: 'type',
      buckets,
      registers: [ours],
    });
    const reference = new Histogram({
      name: 'test_latency_seconds',
      help: 'Latency',
      labelNames: ['type'],
      buckets,
      registers: [theirs],
    });
    const observations: [string, number][] = [
      ['ping', 0.0005],
      ['ping', 0.001], // on a bound: counted in that bucket (le is "less than or equal")
      ['ping', 0.05],
      ['ping', 7], // above every bound: only +Inf
      ['subscribe', 0.2],
    ];
    for (const [type, value] of observations) {
      cells.cell(type).observe(value);
      reference.labels(type).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    cells.reset();
    expect(await ours.metrics()).not.toContain('test_latency_seconds_bucket');
  });

  it('forRequest hands out the same cells per type, and the service metrics render them', async () => {
    const metrics = createMetrics();
    const ping = metrics.forRequest('ping');
    expect(metrics.forRequest('ping')).toBe(ping);
    ping.received.inc();
    ping.answered.inc();
    ping.latency.observe(0.0002);
    metrics.errors.inc('UNKNOWN_TYPE');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ws_messages_in_total\{type="ping"\} 1$/m);
    expect(text).toMatch(/^ws_messages_out_total\{type="pong"\} 1$/m);
    expect(text).toMatch(/^ws_errors_total\{code="UNKNOWN_TYPE"\} 1$/m);
    expect(text).toMatch(/^ws_ack_latency_seconds_bucket\{le="0.001",type="ping"\} 1$/m);
    expect(text).toMatch(/^ws_ack_latency_seconds_count\{type="ping"\} 1$/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
