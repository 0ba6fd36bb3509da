import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import type { LiveMessage } from '../../../api/live/live-messages';
import { LIVE_PROTOCOL } from '../../../api/routes/live';
import { saveAccountSnapshot } from '../../../db/account-snapshots';
import { setTradingState } from '../../../db/risk';
import { closeTracking, openTracking } from '../../../db/scanner-trackings';
import { takerOrder } from '../../../workers/sim-world';
import {
  authHeader,
  createSimWorld,
  startHarness,
  TEST_API_READ_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { gridConfig, gridParams, resting } from '../grid/grid-kit';

/**
 * The live feed (`GET /live`, WebSocket): history on connect, then the orders and trade_event messages of a
 * fill caused in the simulator, and the position after it; refusals before the upgrade.
 */
const SYMBOL = 'LIV-USDT';
const OTHER = 'LVO-USDT';

describe('live feed: a WebSocket of the ledger’s changes', () => {
  const sim = createSimWorld([SYMBOL, OTHER]);
  const market = sim.exchange.market('binance', 'spot');
  const ref = testOrchestratorRef('live', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;
  let base: string;

  /** Opens the feed; every message it receives, in order. */
  const connect = async (query: string, protocols: string[]) => {
    const messages: LiveMessage[] = [];
    const socket = new WebSocket(`${base}/live${query}`, protocols);
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as LiveMessage));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return { socket, messages };
  };
  /** The HTTP status a refused upgrade answered with, and its message. */
  const refusal = (query: string, protocols: string[]) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(`${base}/live${query}`, protocols);
      socket.once('open', () => reject(new Error('the feed accepted the connection')));
      socket.once('unexpected-response', (request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          // With this listener, ws leaves the refused request to its caller to end.
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body });
        });
      });
      socket.once('error', () => undefined);
    });
  /** `npm run export -- ...args` against this API; never synchronous: the API answering it runs in this process. */
  const exportCli = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/export.ts', ...args],
        {
          cwd: join(import.meta.dirname, '../../..'),
          env: {
            ...process.env,
            KEEL_API_URL: base.replace('ws:', 'http:'),
            KEEL_API_READ_TOKEN: TEST_API_READ_TOKEN,
          },
          encoding: 'utf8',
        },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const add = async (symbol: string) => {
    const added = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: { symbol, config: gridConfig('spot', gridParams({ referencePrice: '101' })) },
    });
    assert.equal(added.statusCode, 201, added.body);
    await waitFor(
      `${symbol}'s buys`,
      () => JSON.stringify(resting(market, symbol)) === '["buy 90","buy 95"]',
    );
  };

  before(async () => {
    for (const asset of ['LIV', 'LVO']) sim.exchange.venue('binance').deposit('spot', 'taker', asset, '100');
    sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000');
    const started = await startHarness({
      database: 'live_feed',
      worker: { deps: { connectors: sim.connectors, settleWindowMs: () => 0 } },
      orchestrator: ref,
      api: { liveStatusIntervalMs: 200 },
    });
    harness = started;
    ({ app, database } = started);
    const { port } = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
    base = `ws://127.0.0.1:${port}`;
  });
  after(() => harness.stop());

  test('refused before the upgrade: no token, a bad symbol list, a symbol Keel does not run', async () => {
    const noToken = await refusal('', [LIVE_PROTOCOL]);
    assert.equal(noToken.status, 401);
    const wrongToken = await refusal('', [LIVE_PROTOCOL, 'bearer.not-the-token']);
    assert.equal(wrongToken.status, 401);
    const bad = await refusal('?symbols=btcusdt', [LIVE_PROTOCOL, `bearer.${TEST_API_READ_TOKEN}`]);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /comma-separated symbols/);
    const unknown = await refusal('?symbols=NOPE-USDT', [LIVE_PROTOCOL, `bearer.${TEST_API_READ_TOKEN}`]);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /NOPE-USDT is not registered/);
  });

  test('history on connect, then orders, trade_event and position for a fill caused in the simulator', async () => {
    await add(SYMBOL);
    await add(OTHER);
    const { socket, messages } = await connect(`?symbols=${SYMBOL}`, [
      LIVE_PROTOCOL,
      `bearer.${TEST_API_READ_TOKEN}`,
    ]);
    try {
      assert.equal(socket.protocol, LIVE_PROTOCOL);
      await waitFor('history', () => messages.length >= 1);
      const [history] = messages;
      assert.equal(history?.type, 'history');
      assert.ok(history?.type === 'history');
      assert.deepEqual(
        history.data.orders
          .map((order) => `${order.symbol} ${order.side} ${Number(order.price)} ${order.status}`)
          .sort(),
        [`${SYMBOL} buy 90 open`, `${SYMBOL} buy 95 open`],
      );
      assert.deepEqual(history.data.trades, []);
      const buy95 = history.data.orders.find((order) => Number(order.price) === 95)!;

      takerOrder(market, { symbol: OTHER, side: 'sell', price: '95' }); // not followed: nothing of it arrives
      takerOrder(market, { symbol: SYMBOL, side: 'sell', price: '95' });
      const trade = await waitFor('the trade_event', () =>
        messages.find((message) => message.type === 'trade_event'),
      );
      assert.deepEqual(trade.data, {
        id: buy95.id,
        symbol: SYMBOL,
        strategy: 'grid',
        side: 'buy',
        price: '95',
        amount: '1',
        time: trade.type === 'trade_event' ? trade.data.time : 0,
      });
      const filled = messages.find(
        (message) =>
          message.type === 'orders' && message.data.id === buy95.id && message.data.status === 'filled',
      );
      assert.ok(filled, 'the order went filled');
      const position = await waitFor('the position', () =>
        messages.find((message) => message.type === 'position'),
      );
      assert.deepEqual(position.data, {
        symbol: SYMBOL,
        venue: 'binance',
        market: 'spot',
        account: 'keel',
        amount: '1',
        lastPrice: '95',
      });
      // The replacement sell at 100, as it is recorded and sent.
      await waitFor('the replacement sell', () =>
        messages.some(
          (message) =>
            message.type === 'orders' && message.data.side === 'sell' && message.data.status === 'open',
        ),
      );
      // The other symbol's fill was handled too (its replacement rests), so its messages had their chance.
      await waitFor(
        `${OTHER}'s replacement`,
        () => JSON.stringify(resting(market, OTHER)) === '["buy 90","sell 100"]',
      );
      assert.ok(
        messages.every(
          (message) =>
            message.type === 'history' || !('symbol' in message.data) || message.data.symbol === SYMBOL,
        ),
        'only the followed symbol',
      );
    } finally {
      socket.close();
    }
  });

  test('symbol, risk, account and tracking state: the current on connect, then each change', async () => {
    const { socket, messages } = await connect(`?symbols=${SYMBOL}`, [
      LIVE_PROTOCOL,
      `bearer.${TEST_API_READ_TOKEN}`,
    ]);
    const latest = <T extends LiveMessage['type']>(type: T) =>
      messages.findLast((message): message is Extract<LiveMessage, { type: T }> => message.type === type);
    try {
      const status = await waitFor('the symbol status', () => latest('symbol'));
      assert.deepEqual(status.data, { symbol: SYMBOL, status: 'running', problems: [] });
      assert.equal(messages[0]?.type, 'history', 'state follows the history');
      assert.deepEqual((await waitFor('the risk states', () => latest('risk'))).data, { states: [] });
      assert.ok(
        messages.every((message) => message.type !== 'symbol' || message.data.symbol === SYMBOL),
        'only the followed symbol’s status',
      );

      await setTradingState(database.pool, {
        scope: 'symbol',
        key: 'ZZZ-USDT',
        state: 'HALTED',
        source: 'operator',
        actor: 'test',
        reason: 'live feed test',
      });
      const halted = await waitFor('the risk change', () => {
        const risk = latest('risk');
        return risk && risk.data.states.length === 1 ? risk : undefined;
      });
      assert.deepEqual(halted.data.states, [
        { scope: 'symbol', key: 'ZZZ-USDT', source: 'operator', state: 'HALTED', reason: 'live feed test' },
      ]);

      await saveAccountSnapshot(database.pool, {
        venue: 'binance',
        account: 'keel',
        balances: { spot: [{ asset: 'USDT', free: '900', locked: '100' }] },
        positions: [],
        funding: [],
        discrepancies: [],
      });
      const account = await waitFor('the account', () => latest('account'));
      assert.deepEqual(account.data.balances, { spot: [{ asset: 'USDT', free: '900', locked: '100' }] });

      const trackingId = `scanner-track:${SYMBOL}/run-1`;
      await openTracking(database.pool, {
        id: trackingId,
        symbol: SYMBOL,
        direction: 'binance-spot/bybit-perp',
        openedAt: Date.now(),
        entryBps: 42,
        exitBps: 5,
        intervalMs: 200,
      });
      const tracking = await waitFor('the tracking', () => latest('tracking'));
      assert.equal(tracking.data.id, trackingId);
      assert.equal(tracking.data.outcome, null);

      // Nothing changed for three rounds: nothing sent again. The tracking then closing arrives alone, so the
      // rounds were being read all along.
      const count = messages.length;
      await new Promise((resolve) => setTimeout(resolve, 600));
      await closeTracking(database.pool, { id: trackingId, outcome: 'CONVERGED', closedAt: Date.now() });
      await waitFor('the tracking closed', () => latest('tracking')?.data.outcome === 'CONVERGED');
      assert.deepEqual(
        messages.slice(count).map((message) => message.type),
        ['tracking'],
        'unchanged state is not sent again',
      );
    } finally {
      socket.close();
    }
  });

  test('the CSV export of trades matches the ledger row for row, from the API and from the CLI', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const ledger = (
      await database.pool.query<{
        client_order_id: string;
        symbol: string;
        side: string;
        quantity: string;
        price: string;
      }>(
        `SELECT client_order_id, symbol, side, quantity::text, price::text FROM ledger_fills WHERE symbol = $1 ORDER BY id`,
        [SYMBOL],
      )
    ).rows.map((row) =>
      [row.client_order_id, row.symbol, row.side, Number(row.quantity), Number(row.price)].join(' '),
    );
    assert.ok(ledger.length >= 1, 'the fill of the test before');
    const rowsOf = (csv: string) => {
      const [header, ...lines] = csv.trimEnd().split('\r\n');
      assert.equal(
        header,
        'time,fill_id,client_order_id,venue,market,account,symbol,strategy,side,quantity,price,notional',
      );
      return lines.map((line) => {
        const [, , id, , , , symbol, , side, quantity, price, notional] = line.split(',');
        assert.equal(Number(notional), Number(quantity) * Number(price));
        return [id, symbol, side, Number(quantity), Number(price)].join(' ');
      });
    };
    const query = `symbol=${SYMBOL}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const response = await app.inject({
      method: 'GET',
      url: `/exports/trades.csv?${query}`,
      headers: { authorization: `Bearer ${TEST_API_READ_TOKEN}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    assert.deepEqual(rowsOf(response.body), ledger);

    const cli = await exportCli(['trades', '--symbol', SYMBOL, '--from', from, '--to', to]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(rowsOf(cli.stdout), ledger);

    // Bad input: a 4xx that says why, from the API and the CLI alike.
    const refused = async (url: string, status: number, why: RegExp) => {
      const answer = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${TEST_API_READ_TOKEN}` },
      });
      assert.equal(answer.statusCode, status, answer.body);
      assert.match(answer.json<{ message: string }>().message, why);
    };
    await refused('/exports/trades.csv?symbol=NOPE-USDT', 404, /nothing of NOPE-USDT/);
    await refused(
      `/exports/trades.csv?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`,
      400,
      /must be before to/,
    );
    await refused('/exports/trades.csv?from=yesterday', 400, /from/);
    await refused(
      '/exports/trades.csv?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      400,
      /at most 366 days/,
    );
    const badCli = await exportCli(['trades', '--symbol', 'NOPE-USDT']);
    assert.equal(badCli.status, 1);
    assert.match(badCli.stderr, /export refused \(404\): the ledger has nothing of NOPE-USDT/);
  });

  test('the Authorization header works too; a message sent to the feed closes it with a reason', async () => {
    const socket = new WebSocket(`${base}/live`, [LIVE_PROTOCOL], {
      headers: { authorization: `Bearer ${TEST_API_READ_TOKEN}` },
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send('hello');
    assert.deepEqual(await closed, { code: 1008, reason: 'the feed takes no messages' });
  });
});
