import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadVenuesConfig } from '../../../config/venues';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../../../connectors/exchange-connector';
import { createSimWorld } from '../../../workers/sim-world';
import { authHeader, startHarness, testOrchestratorRef, type Harness } from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { addThroughApi, gridConfig, gridParams, restingAre } from '../grid/grid-kit';

const SYMBOL = 'STR-USDT';

interface StreamView {
  market: string;
  worker: string;
  state: 'live' | 'down';
  detail: string;
}

describe("an account's order stream, as GET /venues and /status show it", () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  /** Set to end the binance stream with this error; while set, subscribing again fails with it too. */
  let failure: ConnectorError | undefined;
  let endStream: (() => void) | undefined;
  const connectors: ConnectorFactory = (venue, kind, account) => {
    const real = sim.connectors(venue, kind, account);
    if (venue !== 'binance') return real;
    const flaky: ExchangeConnector = Object.create(real) as ExchangeConnector;
    flaky.watchOrders = (onOrder, signal, onLive) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        const inner = new AbortController();
        signal.addEventListener('abort', () => inner.abort());
        endStream = () => {
          inner.abort();
          if (failure) reject(failure);
        };
        real.watchOrders!(onOrder, inner.signal, onLive).then(resolve, reject);
      });
    return flaky;
  };
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  before(async () => {
    // The simulator's venues, with binance's account listed so that GET /venues shows it.
    const dir = mkdtempSync(join(tmpdir(), 'keel-streams-'));
    const file = join(dir, 'keel.config.yaml');
    writeFileSync(file, 'venues:\n  binance:\n    kind: sim\n    accounts: [{ name: keel }]\n');
    const venues = loadVenuesConfig(file, {});
    rmSync(dir, { recursive: true, force: true });
    const started = await startHarness({
      database: 'order_stream_health',
      worker: { deps: { connectors, settleWindowMs: () => 0 } },
      orchestrator: testOrchestratorRef('streams'),
      api: { venues },
    });
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  const streams = async (): Promise<StreamView[]> => {
    const response = await app.inject({ method: 'GET', url: '/venues', headers: authHeader });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{
      venues: Array<{ venue: string; accounts: Array<{ name: string; orderStreams: StreamView[] }> }>;
    }>();
    const binance = body.venues.find((venue) => venue.venue === 'binance');
    return binance?.accounts.find((account) => account.name === 'keel')?.orderStreams ?? [];
  };
  const status = async () => {
    const response = await app.inject({ method: 'GET', url: '/status', headers: authHeader });
    return {
      code: response.statusCode,
      venues: response.json<{ checks: { venues: { ok: boolean; detail: string } } }>().checks.venues,
    };
  };

  test('live while subscribed; down with the reason once it drops; /status fails only when down over a minute', async () => {
    await addThroughApi(app, SYMBOL, gridConfig('spot', gridParams({ referencePrice: '101' })));
    await waitFor('the grid laid out', restingAre(market, SYMBOL, ['buy 90', 'buy 95']), 20_000, 100);
    const [live] = await waitFor('the stream shown live', async () => {
      const shown = await streams();
      return shown.length > 0 && shown.every((stream) => stream.state === 'live') && shown;
    });
    assert.equal(live?.market, 'spot');
    assert.match(live?.worker ?? '', /^\d+@/, "the worker's Temporal identity");
    assert.equal((await status()).venues.ok, true);

    failure = new ConnectorError('retryable', 'user data stream closed by the venue');
    endStream?.();
    const [down] = await waitFor('the stream shown down', async () => {
      const shown = await streams();
      return shown.some((stream) => stream.state === 'down') && shown;
    });
    assert.equal(down?.detail, 'retryable');
    assert.equal((await status()).venues.ok, true, 'a drop shorter than a reconnect takes is no failure yet');

    // A minute passes with the stream still down (its watches poll meanwhile).
    await database.pool.query(
      `UPDATE venue_order_streams SET changed_at = now() - interval '2 minutes' WHERE NOT live`,
    );
    const failing = await status();
    assert.equal(failing.code, 503);
    assert.equal(failing.venues.ok, false);
    assert.match(
      failing.venues.detail,
      /binance\/spot\/keel: order stream down in \d+@\S+ since .* \(retryable\); its watches poll/,
    );

    failure = undefined;
    await waitFor(
      'the stream live again',
      async () => (await streams()).every((stream) => stream.state === 'live'),
      30_000,
    );
    assert.equal((await status()).venues.ok, true);
  });
});
