import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { orchestratorControl } from '../../../api/orchestrator';
import { loadVenuesConfig } from '../../../config/venues';
import { resetSharedExchanges } from '../../../connectors/ccxt';
import { recordAccountChecks } from '../../../db/venue-accounts';
import { PUBLISHED_ORDER_RATES } from '../../../domain/venue-order-rates';
import { createBinanceFront, type BinanceFront } from '../../../sim/fronts/binance';
import { takerOrder } from '../../../workers/sim-world';
import { venueConnectors, type AccountCheck } from '../../../workers/venue-connectors';
import {
  authHeader,
  capturedLogs,
  createSimWorld,
  startHarness,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { gridParams } from '../grid/grid-kit';

const SYMBOL = 'CFG-USDT';
const OTHER = 'OTH-USDT';
const secret = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const KEY = secret('key');
const SECRET = secret('sec');
/** An account whose keys the venue does not know: a file of mode 0600 holds them. */
const STALE_KEY = secret('stalekey');
const STALE_SECRET = secret('stalesec');
const SECRETS = [KEY, SECRET, STALE_KEY, STALE_SECRET];

const grid = (venue: 'binance' | 'bybit', account: string) => ({
  venues: [{ venue, market: 'spot' as const, account }],
  strategies: [{ name: 'grid', params: gridParams({ referencePrice: '101' }) }],
});

describe('venues from a configuration file: ccxt binance on the simulator front, credentials kept out of sight', () => {
  const sim = createSimWorld([SYMBOL, OTHER, 'STL-USDT'], 'alice');
  sim.exchange.fundAccount('keel');
  const binance = sim.exchange.market('binance', 'spot');
  const bybit = sim.exchange.market('bybit', 'spot');
  const dir = mkdtempSync(join(tmpdir(), 'keel-venues-'));
  const ref = testOrchestratorRef('venues', { shardCount: 2 });
  let front: BinanceFront;
  let stack: Harness | undefined;
  let database: TestDatabase;
  let app: FastifyInstance;
  let checks: AccountCheck[];
  /** Every text an operator or a log could see during the run, searched for credentials at the end. */
  const seen: string[] = [];
  const logLines: string[] = [];

  const request = async (options: InjectOptions) => {
    const response = await app.inject({ ...options, headers: { ...authHeader, ...options.headers } });
    seen.push(response.body);
    return response;
  };
  const restingOn = (market: typeof binance, account: string, symbol: string) =>
    market
      .openOrders(account, symbol)
      .map((order) => `${order.side} ${Number(order.price)}`)
      .sort()
      .join(', ');

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'taker', 'CFG', '100');
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    front = createBinanceFront({
      exchange: sim.exchange,
      credentials: [{ apiKey: KEY, secret: SECRET, account: 'alice' }],
    });
    const base = await front.listen();
    const staleFile = join(dir, 'stale.json');
    writeFileSync(staleFile, JSON.stringify({ apiKey: STALE_KEY, secret: STALE_SECRET }));
    chmodSync(staleFile, 0o600);
    const configFile = join(dir, 'keel.config.yaml');
    writeFileSync(
      configFile,
      [
        'venues:',
        '  binance:',
        '    kind: ccxt',
        `    frontUrl: ${base}`,
        '    markets: [spot]',
        '    rateLimit: 7',
        '    accounts:',
        '      - name: main',
        '        credentials: { env: { apiKey: T_BINANCE_KEY, secret: T_BINANCE_SECRET } }',
        '      - name: stale',
        '        credentials: { file: stale.json }',
        '  bybit:',
        '    kind: sim',
        '',
      ].join('\n'),
    );
    const config = loadVenuesConfig(configFile, { T_BINANCE_KEY: KEY, T_BINANCE_SECRET: SECRET });
    const venues = venueConnectors(config, { simExchange: sim.exchange });
    checks = await venues.checkAccounts();
    const started = await startHarness({
      database: 'venues',
      worker: { deps: { connectors: venues.connectors, settleWindowMs: venues.settleWindowMs } },
      orchestrator: ref,
      api: {
        venues: config,
        logLevel: 'debug',
        logStream: { write: (line: string) => void logLines.push(line) },
      },
    });
    stack = started;
    database = started.database;
    app = started.app;
    await recordAccountChecks(database.pool, checks);
  });
  after(async () => {
    await stack?.stop();
    await front?.close();
    resetSharedExchanges();
    rmSync(dir, { recursive: true, force: true });
  });

  test('start-up checks each account once: ok, and bad credentials for keys the venue refuses', () => {
    assert.deepEqual(
      checks.map((check) => `${check.venue}/${check.account} ${check.state}`),
      ['binance/main ok', 'binance/stale bad-credentials'],
    );
    seen.push(JSON.stringify(checks));
  });

  test('a grid trades through ccxt binance on the front, configured only through the file', async () => {
    const added = await request({
      method: 'POST',
      url: '/symbols',
      payload: { symbol: SYMBOL, config: grid('binance', 'main') },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      'the grid resting on the front',
      () => restingOn(binance, 'alice', SYMBOL) === 'buy 90, buy 95',
    );
    takerOrder(binance, { symbol: SYMBOL, side: 'sell', price: '95' });
    await waitFor('the sell one level up', () => restingOn(binance, 'alice', SYMBOL) === 'buy 90, sell 100');
  });

  test('bad credentials: /status says so, symbols on that account are refused, other venues keep trading', async () => {
    const status = await request({ method: 'GET', url: '/status' });
    assert.equal(status.statusCode, 503, status.body);
    const venuesCheck = status.json<{ checks: { venues: { ok: boolean; detail: string } } }>().checks.venues;
    assert.equal(venuesCheck.ok, false);
    assert.match(venuesCheck.detail, /binance\/stale: bad-credentials/);

    const refused = await request({
      method: 'POST',
      url: '/symbols',
      payload: { symbol: OTHER, config: grid('binance', 'stale') },
    });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json<{ message: string }>().message, /account stale on binance has bad credentials/);
    const unknown = await request({
      method: 'POST',
      url: '/symbols',
      payload: { symbol: OTHER, config: grid('binance', 'nobody') },
    });
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.match(unknown.json<{ message: string }>().message, /account nobody is not configured on binance/);
    const unconfigured = await request({
      method: 'POST',
      url: '/symbols',
      payload: {
        symbol: OTHER,
        config: { ...grid('binance', 'main'), venues: [{ venue: 'okx', market: 'spot', account: 'main' }] },
      },
    });
    assert.equal(unconfigured.statusCode, 400, unconfigured.body);
    assert.match(unconfigured.json<{ message: string }>().message, /venue okx is not configured/);

    const onBybit = await request({
      method: 'POST',
      url: '/symbols',
      payload: { symbol: OTHER, config: grid('bybit', 'keel') },
    });
    assert.equal(onBybit.statusCode, 201, onBybit.body);
    await waitFor(
      'the bybit grid on the simulator',
      () => restingOn(bybit, 'keel', OTHER) === 'buy 90, buy 95',
    );
    assert.equal(restingOn(binance, 'alice', SYMBOL), 'buy 90, sell 100', 'the binance grid goes on');
  });

  test('GET /venues: venues, markets, accounts and their health, never a credential', async () => {
    const response = await request({ method: 'GET', url: '/venues' });
    assert.equal(response.statusCode, 200, response.body);
    const { venues } = response.json<{
      venues: Array<{
        venue: string;
        kind: string;
        emulated?: boolean;
        taskQueue: { name: string; rateLimit: number; pollers: string[] };
        accounts: Array<{ name: string; credentials: string; health: string; rateLimit: string }>;
      }>;
    }>();
    // Each venue's order queue: named from the workflow queue, paced at the file's rate or the published one,
    // and polled by the harness's worker.
    assert.deepEqual(
      venues.map(({ taskQueue }) => [taskQueue.name, taskQueue.rateLimit, taskQueue.pollers.length > 0]),
      [
        [`${stack!.taskQueue}@binance`, 7, true],
        [`${stack!.taskQueue}@bybit`, PUBLISHED_ORDER_RATES.bybit, true],
      ],
    );
    assert.deepEqual(
      venues.map((venue) => ({
        venue: venue.venue,
        kind: venue.kind,
        emulated: venue.emulated,
        accounts: venue.accounts.map((account) => `${account.name} ${account.credentials} ${account.health}`),
      })),
      [
        {
          venue: 'binance',
          kind: 'ccxt',
          emulated: true,
          accounts: ['main env ok', 'stale file bad-credentials'],
        },
        { venue: 'bybit', kind: 'sim', emulated: undefined, accounts: [] },
      ],
    );
    // The budget ccxt keeps to for the account (binance: one request unit per 50 ms).
    assert.deepEqual(
      venues[0]?.accounts.map((account) => account.rateLimit),
      [
        'ccxt throttle: 20 request units/s per account and process',
        'ccxt throttle: 20 request units/s per account and process',
      ],
    );
  });

  test('a symbol that reaches the worker on the refused keys fails loudly, and no credential shows anywhere', async () => {
    // Straight to the orchestrator (as `temporal workflow update` would), past the API's check: the venue
    // call fails on the refused keys, and its error (which ccxt builds from the request) enters history.
    const control = orchestratorControl(stack!.client, ref);
    await control.addSymbol('STL-USDT', grid('binance', 'stale'));
    const failed = await waitFor('the strategy failed on the refused keys', async () => {
      const entry = await control.registered('STL-USDT');
      const state = entry && (await control.symbolState(entry.workflowId));
      return state && ['failed', 'degraded'].includes(state.status) ? state : undefined;
    });
    assert.ok(
      failed.problems.some((problem) => /auth|API-key|credential/i.test(problem)),
      failed.problems.join('; '),
    );

    const histories: string[] = [];
    for await (const execution of stack!.client.workflow.list({
      query: `TaskQueue = '${stack!.taskQueue}'`,
    })) {
      const history = await stack!.client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .fetchHistory();
      const json = JSON.stringify(history);
      // Payloads (inputs, results, search attributes, failure details) travel base64-encoded: read them too.
      const decoded = [...json.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map(([, data]) =>
        Buffer.from(data ?? '', 'base64').toString('utf8'),
      );
      histories.push(json, ...decoded);
    }
    assert.ok(histories.length >= 3, `histories of the root, its shards and symbols (${histories.length})`);
    const { rows } = await database.pool.query('SELECT row_to_json(o)::text AS row FROM ledger_orders o');
    const accounts = await database.pool.query('SELECT row_to_json(a)::text AS row FROM venue_accounts a');
    const texts = {
      histories: histories.join('\n'),
      'API responses': seen.join('\n'),
      'API log': logLines.join('\n'),
      'worker log': capturedLogs
        .map((entry) => `${entry.message} ${JSON.stringify(entry.meta ?? {})}`)
        .join('\n'),
      ledger: rows.map((row: { row: string }) => row.row).join('\n'),
      'account checks': accounts.rows.map((row: { row: string }) => row.row).join('\n'),
    };
    assert.ok(texts.histories.includes('"account":"stale"'), 'the stale account is in the histories');
    assert.ok(texts.histories.includes('Invalid API-key'), 'the venue refusal is in the histories');
    for (const [where, text] of Object.entries(texts))
      assert.ok(text.length > 0, `the ${where} were searched, and hold something`);
    for (const [where, text] of Object.entries(texts))
      for (const value of SECRETS) assert.ok(!text.includes(value), `a credential appears in the ${where}`);
  });
});
