import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadVenuesConfig } from '../../../config/venues';
import { resetSharedExchanges } from '../../../connectors/ccxt';
import { createBybitFront, type BybitFront } from '../../../sim/fronts/bybit';
import { takerOrder } from '../../../workers/sim-world';
import { venueConnectors } from '../../../workers/venue-connectors';
import {
  authHeader,
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { waitFor } from '../../support/wait';
import { gridParams } from '../grid/grid-kit';

const SYMBOL = 'BYB-USDT';
const KEY = `key${randomBytes(12).toString('hex')}`;
const SECRET = `sec${randomBytes(24).toString('hex')}`;

describe('a grid through ccxt bybit on the simulator Bybit v5 front, configured only through the file', () => {
  const sim = createSimWorld([SYMBOL], 'carol');
  const bybit = sim.exchange.market('bybit', 'spot');
  const dir = mkdtempSync(join(tmpdir(), 'keel-bybit-'));
  const ref = testOrchestratorRef('bybit-venue', { shardCount: 1 });
  let front: BybitFront;
  let stack: Harness | undefined;
  let app: FastifyInstance;

  const resting = () =>
    bybit
      .openOrders('carol', SYMBOL)
      .map((order) => `${order.side} ${Number(order.price)}`)
      .sort()
      .join(', ');

  before(async () => {
    sim.exchange.venue('bybit').deposit('spot', 'taker', 'BYB', '100');
    sim.exchange.venue('bybit').deposit('spot', 'taker', 'USDT', '100000');
    front = createBybitFront({
      exchange: sim.exchange,
      credentials: [{ apiKey: KEY, secret: SECRET, account: 'carol' }],
    });
    const base = await front.listen();
    const file = join(dir, 'keel.config.yaml');
    writeFileSync(
      file,
      [
        'venues:',
        '  bybit:',
        '    kind: ccxt',
        `    frontUrl: ${base}`,
        '    markets: [spot]',
        '    accounts:',
        '      - name: main',
        '        credentials: { env: { apiKey: T_BYBIT_KEY, secret: T_BYBIT_SECRET } }',
        '',
      ].join('\n'),
    );
    const config = loadVenuesConfig(file, { T_BYBIT_KEY: KEY, T_BYBIT_SECRET: SECRET });
    const venues = venueConnectors(config);
    const checks = await venues.checkAccounts();
    assert.deepEqual(
      checks.map((check) => `${check.venue}/${check.account} ${check.state}`),
      ['bybit/main ok'],
      JSON.stringify(checks),
    );
    const started = await startHarness({
      database: 'bybit_venue',
      worker: { deps: { connectors: venues.connectors, settleWindowMs: venues.settleWindowMs } },
      orchestrator: ref,
      api: { venues: config },
    });
    stack = started;
    app = started.app;
  });
  after(async () => {
    await stack?.stop();
    await front?.close();
    resetSharedExchanges();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lays out on the front and replaces a filled level one step over', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: {
        symbol: SYMBOL,
        config: {
          venues: [{ venue: 'bybit', market: 'spot', account: 'main' }],
          strategies: [{ name: 'grid', params: gridParams({ referencePrice: '101' }) }],
        },
      },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor('the grid resting on the Bybit front', () => resting() === 'buy 90, buy 95');
    takerOrder(bybit, { symbol: SYMBOL, side: 'sell', price: '95' });
    await waitFor('the sell one level up', () => resting() === 'buy 90, sell 100');
  });
});
