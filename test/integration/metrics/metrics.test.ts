import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { setTradingState } from '../../../db/risk';
import { findFreePort } from '../../../temporal/port-check';
import { takerOrder } from '../../../workers/sim-world';
import {
  authHeader,
  createSimWorld,
  installTestRuntime,
  readAuthHeader,
  startHarness,
  TEST_API_READ_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { metricFamilies, parseSamples, total } from '../../support/prometheus-text';
import type { TestDatabase } from '../../support/test-database';
import { testEnvironment } from '../../support/test-env';
import { waitFor } from '../../support/wait';
import { gridConfig, gridParams, resting } from '../grid/grid-kit';

/**
 * `GET /metrics` after a grid traded on the simulator: the order path's counters moved by exactly what the
 * ledger holds, its latency histograms by one observation per order, the state gauges agree with the
 * ledger; every query of the Grafana dashboard names a series Keel or the Temporal SDK exports; and, where
 * Debian's Prometheus is installed, a real Prometheus scrapes Keel and answers a query for one of its series.
 */
const SYMBOL = 'MTR-USDT';
const PROMETHEUS = '/usr/bin/prometheus';

describe('metrics: Keel’s /metrics and the Temporal SDK’s, as Prometheus and Grafana read them', () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  const ref = testOrchestratorRef('metrics', { shardCount: 1 });
  let sdkMetricsAddress: string;
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics', headers: readAuthHeader });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return response.body;
  };
  const gridLabels = { venue: 'binance', market: 'spot', account: 'keel', strategy: 'grid' };

  before(async () => {
    // Before anything else in this process touches Temporal: the SDK's metrics on a port of their own.
    sdkMetricsAddress = `127.0.0.1:${await findFreePort()}`;
    installTestRuntime({ sdkMetricsAddress });
    sim.exchange.venue('binance').deposit('spot', 'taker', 'MTR', '100');
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'metrics',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
    });
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('a scrape without the token is refused', async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 401);
  });

  test('after a grid traded, the counters and histograms moved by what the ledger holds', async () => {
    const before = parseSamples(await scrape());
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol: SYMBOL, config: gridConfig('spot', gridParams({ referencePrice: '101' })) },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      'the initial buys',
      () => JSON.stringify(resting(market, SYMBOL)) === '["buy 90","buy 95"]',
    );
    takerOrder(market, { symbol: SYMBOL, side: 'sell', price: '95' }); // fills the 95 buy: a sell at 100 replaces it
    await waitFor(
      'the replacement',
      () => JSON.stringify(resting(market, SYMBOL)) === '["buy 90","sell 100"]',
    );

    // The venue shows the replacement resting a moment before its placement's answer is in the ledger.
    const ledgerStatuses = async () => {
      const { rows } = await database.pool.query<{ status: string; count: number }>(
        `SELECT status, count(*)::int AS count FROM ledger_orders WHERE symbol = $1 GROUP BY status`,
        [SYMBOL],
      );
      return Object.fromEntries(rows.map((row) => [row.status, row.count]));
    };
    await waitFor('the replacement recorded', async () => !('sending' in (await ledgerStatuses())));
    assert.deepEqual(await ledgerStatuses(), { open: 2, filled: 1 });
    const fills = await database.pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ledger_fills WHERE symbol = $1`,
      [SYMBOL],
    );

    const now = parseSamples(await scrape());
    const moved = (name: string, labels: Record<string, string> = gridLabels) =>
      total(now, name, labels) - total(before, name, labels);
    assert.equal(moved('keel_orders_sent_total'), 3, 'three orders sent: buy 95, buy 90, sell 100');
    assert.equal(moved('keel_orders_acknowledged_total'), 3);
    assert.equal(moved('keel_orders_filled_total'), 1);
    assert.equal(moved('keel_fills_total'), fills.rows[0]?.count);
    assert.equal(moved('keel_orders_rejected_total'), 0);
    assert.equal(moved('keel_orders_denied_total'), 0);
    const where = { venue: 'binance', market: 'spot' };
    assert.equal(moved('keel_order_decision_to_ack_seconds_count', where), 3, 'one observation per order');
    assert.ok(moved('keel_order_decision_to_ack_seconds_sum', where) > 0);
    assert.equal(
      moved('keel_fill_to_replacement_seconds_count', { ...where, strategy: 'grid' }),
      1,
      'the sell at 100, placed by the watch the moment the buy filled',
    );
    assert.ok(
      moved('keel_venue_call_duration_seconds_count', { ...where, operation: 'createOrder' }) >= 3,
      'each createOrder timed',
    );

    // State, read from the ledger at the scrape.
    assert.equal(total(now, 'keel_open_orders', gridLabels), 2);
    const book = { venue: 'binance', market: 'spot', account: 'keel' };
    assert.equal(total(now, 'keel_positions_open', book), 1);
    assert.equal(total(now, 'keel_position_notional_quote', book), 95, 'bought 1 at 95');
    assert.equal(total(now, 'keel_pnl_quote', book), 0, 'marked at the last fill: nothing made yet');
    assert.equal(total(now, 'keel_metrics_source_up', { source: 'postgres' }), 1);
    assert.equal(total(now, 'keel_metrics_source_up', { source: 'temporal' }), 1);
    await waitFor('the symbol workflow counted', async () =>
      total(parseSamples(await scrape()), 'keel_workflows_running', { workflow_type: 'symbolWorkflow' }) >= 1
        ? true
        : undefined,
    );
  });

  test('breaker trips are counted from the risk change log: a renewed state is no new trip', async () => {
    const trips = async () =>
      total(parseSamples(await scrape()), 'keel_breaker_trips_total', { breaker: 'latency' });
    const before = await trips();
    const breaker = (state: 'HALTED' | 'ACTIVE') =>
      setTradingState(database.pool, {
        scope: 'venue',
        key: 'metrics-test-venue',
        state,
        source: 'breaker:latency',
        actor: 'risk workflow',
        reason: 'p99 over the limit',
      });
    await breaker('HALTED');
    await breaker('HALTED'); // renewed while in force
    assert.equal(await trips(), before + 1);
    await breaker('ACTIVE');
    await breaker('HALTED');
    assert.equal(await trips(), before + 2);
    await breaker('ACTIVE');
  });

  test('every query of the Grafana dashboard names a series that Keel or the Temporal SDK exports', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../../deploy/grafana/keel-overview.json'), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const sdk = await (await fetch(`http://${sdkMetricsAddress}/metrics`)).text();
    const exported = new Set([...metricFamilies(await scrape()).keys(), ...metricFamilies(sdk).keys()]);
    const histogramPart = /_(bucket|sum|count)$/;
    const checked: string[] = [];
    for (const panel of dashboard.panels)
      for (const { expr } of panel.targets)
        for (const [name] of expr.matchAll(/\b(keel|temporal)_[a-z0-9_]+/g)) {
          const family = exported.has(name) ? name : name.replace(histogramPart, '');
          assert.ok(exported.has(family), `panel "${panel.title}" queries ${name}, which nothing exports`);
          checked.push(name);
        }
    assert.ok(checked.length >= 15, `checked ${checked.length} series names`);
  });

  test(
    'a real Prometheus scrapes Keel and answers a query for one of its series',
    {
      skip: !existsSync(PROMETHEUS) && `${PROMETHEUS} is not installed (Debian: apt-get install prometheus)`,
    },
    async () => {
      const apiPort = await findFreePort();
      await app.listen({ host: '127.0.0.1', port: apiPort });
      const promPort = await findFreePort();
      const dir = mkdtempSync(join(testEnvironment().tmpDir, 'prometheus-'));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          '  - job_name: keel',
          `    authorization: { credentials: ${TEST_API_READ_TOKEN} }`,
          `    static_configs: [{ targets: ['127.0.0.1:${apiPort}'] }]`,
        ].join('\n'),
      );
      const server = spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: 'ignore' },
      );
      try {
        const expected = total(parseSamples(await scrape()), 'keel_orders_sent_total', gridLabels);
        const query = `keel_orders_sent_total{strategy="grid",venue="binance",market="spot"}`;
        const answered = await waitFor(
          'Prometheus to hold the series',
          async () => {
            const response = await fetch(
              `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(query)}`,
            );
            const body = (await response.json()) as {
              status: string;
              data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
            };
            return body.status === 'success' && body.data.result.length > 0 && body.data.result;
          },
          30_000,
          500,
        );
        assert.equal(answered[0]?.metric.job, 'keel');
        assert.equal(Number(answered[0]?.value[1]), expected);
      } finally {
        server.kill('SIGTERM');
      }
    },
  );
});
