import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { marketDataHubs } from '../../../activities/quote-watch';
import { buildApp, type ApiDependencies } from '../../../api/app';
import { takePerformanceSnapshot } from '../../../db/performance';
import { quotePort } from '../../../workers/market-port';
import { takerOrder } from '../../../workers/sim-world';
import {
  authHeader,
  createSimWorld,
  startHarness,
  TEST_API_READ_TOKEN,
  TEST_API_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import { repositoryRoot } from '../../support/shared-data';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { addThroughApi, gridConfig, gridParams, restingAre } from '../grid/grid-kit';

/**
 * The web dashboard in a real headless Chromium against a running stack (Temporal, PostgreSQL, a worker, the
 * API): it lists the symbols, draws the chart, follows a fill, shows the API going away and coming back,
 * and its pause button without the mutation token is refused.
 */
const CHROMIUM = '/usr/bin/chromium';
const SYMBOL = 'DSH-USDT';
/** Where the test leaves its screenshot: the local data dir, which git ignores. */
const SCREENSHOT = join(repositoryRoot, '.keel-data', 'test-artifacts', 'dashboard.png');

const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
if (chromiumMissing && process.env.CI === 'true') throw new Error(chromiumMissing);

describe('web dashboard: a real browser on a running stack', { skip: chromiumMissing }, () => {
  const sim = createSimWorld([SYMBOL]);
  const market = sim.exchange.market('binance', 'spot');
  const ref = testOrchestratorRef('dashboard', { shardCount: 1 });
  const apiExtras = {
    market: quotePort(marketDataHubs(sim.connectors)),
    klineIntervalSeconds: 1,
    temporalUiUrl: 'http://127.0.0.1:8233',
  };
  let harness: Harness;
  let database: TestDatabase;
  let app: FastifyInstance;
  let port: number;
  let browser: Browser;
  let page: Page;

  const text = (selector: string) => page.locator(selector).innerText();
  const rows = (selector: string) => page.locator(`${selector} tr`).allInnerTexts();
  /** Waits until the page satisfies `check` (polled in Node: the page may be reloading its data). */
  const pageShows = (what: string, check: () => Promise<boolean>) =>
    waitFor(what, () => check().catch(() => false), 20_000);

  before(async () => {
    sim.exchange.venue('binance').deposit('spot', 'taker', 'DSH', '100');
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'dashboard',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
      api: apiExtras,
    });
    harness = started;
    ({ app, database } = started);
    port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
    await addThroughApi(app, SYMBOL, gridConfig('spot', gridParams({ referencePrice: '101' })));
    await waitFor('the grid’s buys', restingAre(market, SYMBOL, ['buy 90', 'buy 95']));
    // Someone else's ask, so the book has two sides and a mid to chart.
    market.placeOrder({
      account: 'taker',
      type: 'limit',
      symbol: SYMBOL,
      side: 'sell',
      price: '110',
      quantity: '1',
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await harness?.stop();
  });

  test('the page and its script are public; the data behind them is not', async () => {
    const html = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(html.status, 200);
    assert.match(await html.text(), /data-temporal-ui="http:\/\/127.0.0.1:8233"/);
    const script = await fetch(`http://127.0.0.1:${port}/dashboard/dashboard.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/symbols`)).status, 401);
  });

  test('loads, lists the running symbol, draws its chart and orders, follows a fill', async () => {
    await page.goto(`http://127.0.0.1:${port}/#${SYMBOL}`);
    await page.fill('#token', TEST_API_READ_TOKEN);
    await page.click('#token-form button');

    await pageShows('CONNECTED', async () => (await text('#connection')) === 'CONNECTED');
    await pageShows('the symbol running', async () =>
      (await rows('#symbols')).some((row) => row.startsWith(SYMBOL) && row.includes('running')),
    );
    const link = await page.locator(`#symbols tr[data-symbol="${SYMBOL}"] a`).getAttribute('href');
    assert.match(link ?? '', /^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\/workflows\/.+/);
    await pageShows('the two resting buys', async () => {
      const orders = await rows('#orders');
      return orders.length === 2 && orders.every((row) => row.startsWith('buy'));
    });
    await pageShows('candles on the chart', async () => {
      const candles = Number(await page.locator('#chart').getAttribute('data-candles'));
      return candles >= 1 && (await page.locator('#chart canvas').count()) > 0;
    });
    await pageShows('the book', async () => (await text('#book')).includes('110'));

    takerOrder(market, { symbol: SYMBOL, side: 'sell', price: '95' });
    await pageShows('the fill in the fills table', async () => {
      const fills = await rows('#fills');
      return fills.length === 1 && /buy\s+95\s+1\s+grid/.test(fills[0] ?? '');
    });
    await pageShows(
      'the fill marked on the chart',
      async () => (await page.locator('#chart').getAttribute('data-fills')) === '1',
    );
    await pageShows('the position', async () => (await text('#position')).includes('1 @ 95'));
    await pageShows('the replacement sell', async () =>
      (await rows('#orders')).some((row) => row.startsWith('sell') && row.includes('100')),
    );
    // Two performance snapshots (the schedule's work, taken here at once): the PnL chart draws them.
    await takePerformanceSnapshot(database.pool, new Date(Date.now() - 60_000));
    await takePerformanceSnapshot(database.pool, new Date());
    await pageShows(
      'the PnL chart',
      async () => (await page.locator('#pnl-chart').getAttribute('data-points')) === '2',
    );
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
  });

  test('a pause without the mutation token is refused, and the symbol keeps running', async () => {
    await page.click('button[data-action="pause"]');
    await pageShows('the refusal', async () => /pause DSH-USDT refused: 401/.test(await text('#notice')));
    const detail = await app.inject({ url: `/symbols/${SYMBOL}`, headers: authHeader });
    assert.equal(detail.json<{ status: string; paused: boolean }>().paused, false);
    assert.equal(detail.json<{ status: string }>().status, 'running');
  });

  test('shows DISCONNECTED when the API stops and CONNECTED again when it returns', async () => {
    await app.close();
    await pageShows('DISCONNECTED', async () => (await text('#connection')) === 'DISCONNECTED');
    const deps: ApiDependencies = {
      temporal: harness.client,
      pool: database.pool,
      taskQueue: harness.taskQueue,
      orchestrator: ref,
      apiToken: TEST_API_TOKEN,
      readToken: TEST_API_READ_TOKEN,
      ...apiExtras,
    };
    const restarted = await buildApp(deps);
    try {
      await restarted.listen({ host: '127.0.0.1', port });
      await pageShows('CONNECTED again', async () => (await text('#connection')) === 'CONNECTED');
      // The feed came back whole: its history again holds the fill.
      await pageShows('the fill after reconnecting', async () => (await rows('#fills')).length === 1);
    } finally {
      await restarted.close();
    }
  });
});
