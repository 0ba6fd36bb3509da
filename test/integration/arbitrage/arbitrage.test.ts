import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { accountWorkflowId } from '../../../domain/ids';
import { accountStateQuery } from '../../../workflows/accounts/account-messages';
import { accountWorkflow } from '../../../workflows/accounts/account-workflow';
import type { ArbitrageParamsInput } from '../../../workflows/strategies/arbitrage/arbitrage-params';
import type { ArbitrageState } from '../../../workflows/strategies/arbitrage/arbitrage-strategy';
import {
  authHeader,
  createSimWorld,
  listExecutions,
  readAuthHeader,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';
import { startGridHarness } from '../grid/grid-kit';
import { perpPerpParams, quoteBook } from './arbitrage-kit';

/**
 * Perp-perp arbitrage across two simulated venues (long binance perp, short bybit perp), every leg through
 * the one exactly-once order path: a spread is entered on both legs and exited when it converges, with
 * the PnL worked out by hand; a rejected second leg is unwound to flat; an unwind that cannot fill leaves
 * the symbol degraded and entering nothing more.
 */
const CONVERGE = 'ARB-USDT';
const UNWIND = 'ARU-USDT';
const STUCK = 'ARS-USDT';
const SPOT_PERP = 'ASP-USDT';
const BEHIND = 'ABH-USDT';

describe('arbitrage on the simulator: perp-perp across two venues, spot-perp on one', () => {
  const sim = createSimWorld([CONVERGE, UNWIND, STUCK, SPOT_PERP, BEHIND]);
  const binanceSpot = sim.exchange.market('binance', 'spot');
  const binance = sim.exchange.market('binance', 'perp');
  const bybit = sim.exchange.market('bybit', 'perp');
  const ref = testOrchestratorRef('arbitrage', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  /** The market maker's quotes on one book: replaces whatever it showed before. */
  const add = async (symbol: string, arbitrage: ArbitrageParamsInput) => {
    const response = await app.inject({
      method: 'POST',
      url: '/symbols',
      headers: authHeader,
      payload: {
        symbol,
        config: {
          venues: [{ venue: 'binance', market: 'perp', account: 'keel' }],
          strategies: [{ name: 'arbitrage', params: arbitrage }],
        },
      },
    });
    assert.equal(response.statusCode, 201, response.body);
  };
  const detail = async (symbol: string) => {
    const response = await app.inject({ method: 'GET', url: `/symbols/${symbol}`, headers: readAuthHeader });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{
      workflowId: string;
      status: string;
      problems: string[];
      strategies: Array<{ state: ArbitrageState; health: string }>;
    }>();
    return {
      workflowId: body.workflowId,
      status: body.status,
      problems: body.problems,
      state: body.strategies[0]!.state,
      health: body.strategies[0]!.health,
    };
  };
  const ledger = async (symbol: string) =>
    (
      await database.pool.query<{
        venue: string;
        side: string;
        status: string;
        filled_quantity: string;
        client_order_id: string;
      }>(
        `SELECT venue, side, status, filled_quantity, client_order_id FROM ledger_orders WHERE symbol = $1 ORDER BY created_at`,
        [symbol],
      )
    ).rows;
  before(async () => {
    sim.exchange.fundAccount('mm');
    const started = await startGridHarness('arbitrage_perp_perp', sim.connectors, ref);
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('arbitrage params that cannot work are refused with a 400 that says why, and nothing is registered', async () => {
    const refused = async (arbitrage: unknown, why: RegExp) => {
      const response = await app.inject({
        method: 'POST',
        url: '/symbols',
        headers: authHeader,
        payload: {
          symbol: 'ARX-USDT',
          config: {
            venues: [{ venue: 'binance', market: 'perp', account: 'keel' }],
            strategies: [{ name: 'arbitrage', params: arbitrage }],
          },
        },
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(response.json<{ message: string }>().message, why);
    };
    await refused({ ...perpPerpParams(), short: { venue: 'kraken', market: 'perp' } }, /short\.venue/);
    await refused(
      { ...perpPerpParams(), short: { venue: 'binance', market: 'perp' } },
      /perp-perp trades across two venues/,
    );
    // Round trip: 2 × (5 + 5.5) = 21 bps of fees, plus the 5 bps exit: an entry at 20 bps never pays.
    await refused(
      perpPerpParams({ entryThresholdBps: 20 }),
      /entry threshold 20 bps can never trade at a profit/,
    );
    await refused(
      perpPerpParams({ entryThresholdBps: 5, exitThresholdBps: 5 }),
      /must be below entryThresholdBps/,
    );
    await refused(perpPerpParams({ size: '0' }), /size/);
    const lookup = await app.inject({ method: 'GET', url: '/symbols/ARX-USDT', headers: readAuthHeader });
    assert.equal(lookup.statusCode, 404);
  });

  test('a 50 bps spread is entered on both legs and exited at 5 bps, PnL with fees as worked out by hand', async () => {
    quoteBook(binance, CONVERGE, '99.9', '100');
    quoteBook(bybit, CONVERGE, '100.5', '100.6'); // (100.5 − 100) / 100 = 50 bps ≥ 30
    await add(CONVERGE, perpPerpParams());
    const entered = await waitFor('both legs entered', async () => {
      const { state } = await detail(CONVERGE);
      return state.phase === 'open' && state;
    });
    assert.equal(entered.current?.entrySpreadBps, 50);
    assert.deepEqual(
      entered.current?.legs.long.entries.map((f) => [f.price, f.quantity]),
      [['100', '2']],
    );
    assert.deepEqual(
      entered.current?.legs.short.entries.map((f) => [f.price, f.quantity]),
      [['100.5', '2']],
    );

    // Converges: selling the long at 100.2 and buying the short back at 100.25 is a 4.99 bps closing spread.
    quoteBook(binance, CONVERGE, '100.2', '100.3');
    quoteBook(bybit, CONVERGE, '100.15', '100.25');
    const closed = await waitFor('both legs exited', async () => {
      const { state } = await detail(CONVERGE);
      return state.closed.length === 1 && state;
    });
    assert.equal(closed.phase, 'flat');
    const [done] = closed.closed;
    assert.equal(done?.outcome, 'closed');
    // Long: bought 2 at 100, sold 2 at 100.2 → +0.4. Short: sold 2 at 100.5, bought 2 at 100.25 → +0.5.
    // Fees: binance 0.05 % of (200 + 200.4) = 0.2002; bybit 0.055 % of (201 + 200.5) = 0.220825.
    // Net: 0.9 − 0.421025 = 0.478975.
    assert.equal(Number(done?.pnl.grossPnl), 0.9);
    assert.equal(Number(done?.pnl.fees), 0.421025);
    assert.equal(Number(done?.pnl.netPnl), 0.478975);
    assert.equal(Number(closed.realizedPnl), 0.478975);

    const orders = await ledger(CONVERGE);
    assert.deepEqual(
      orders.map((o) => `${o.venue} ${o.side} ${o.status} ${Number(o.filled_quantity)}`),
      ['binance buy filled 2', 'bybit sell filled 2', 'binance sell filled 2', 'bybit buy filled 2'],
    );
    assert.equal(new Set(orders.map((o) => o.client_order_id)).size, 4);
  });

  test('spot-perp on one venue: entered and exited, with the fee of the spot buy (charged in the base asset) counted at its price', async () => {
    quoteBook(binanceSpot, SPOT_PERP, '99.9', '100');
    quoteBook(binance, SPOT_PERP, '100.5', '100.6');
    // Round trip: 2 × (10 spot + 5 perp) = 30 bps of fees, plus the 5 bps exit: entering at 40 pays.
    await add(
      SPOT_PERP,
      perpPerpParams({
        kind: 'spot-perp',
        long: { venue: 'binance', market: 'spot' },
        short: { venue: 'binance', market: 'perp' },
        entryThresholdBps: 40,
      }),
    );
    await waitFor('both legs entered', async () => (await detail(SPOT_PERP)).state.phase === 'open');
    quoteBook(binanceSpot, SPOT_PERP, '100.2', '100.3');
    quoteBook(binance, SPOT_PERP, '100.15', '100.25');
    const closed = await waitFor('both legs exited', async () => {
      const { state } = await detail(SPOT_PERP);
      return state.closed.length === 1 && state;
    });
    const pnl = closed.closed[0]!.pnl;
    // Spot: bought 2 at 100 (fee 0.1 % charged in the base: 0.002 × 100 = 0.2), sold 2 at 100.2 (fee 0.2004).
    // Perp: sold 2 at 100.5 (0.05 %: 0.1005), bought 2 at 100.25 (0.10025). Gross 0.4 + 0.5 = 0.9;
    // fees 0.60115; net 0.29885.
    assert.equal(Number(pnl.grossPnl), 0.9);
    assert.equal(Number(pnl.fees), 0.60115);
    assert.equal(Number(pnl.netPnl), 0.29885);
    assert.deepEqual(
      (await ledger(SPOT_PERP)).map((o) => `${o.venue} ${o.side} ${o.status}`),
      ['binance buy filled', 'binance sell filled', 'binance sell filled', 'binance buy filled'],
    );
  });

  test('a rejected second leg is unwound: the arbitrage ends flat, recorded as unwound', async () => {
    quoteBook(binance, UNWIND, '99.9', '100');
    quoteBook(bybit, UNWIND, '100.5', '100.6');
    // The short leg trades an account the venue has never funded: its order is rejected.
    await add(
      UNWIND,
      perpPerpParams({
        short: { venue: 'bybit', market: 'perp', account: 'empty', fees: { takerBps: 5.5 } },
      }),
    );
    const unwound = await waitFor('the first leg unwound', async () => {
      const { state } = await detail(UNWIND);
      return state.closed.length >= 1 && state;
    });
    assert.equal(unwound.closed[0]?.outcome, 'unwound');
    assert.match(unwound.lastDecision ?? '', /short leg fell short/);
    assert.equal(unwound.closed[0]?.pnl.long.open, '0');
    const orders = await ledger(UNWIND);
    assert.deepEqual(
      orders.slice(0, 3).map((o) => `${o.venue} ${o.side} ${o.status}`),
      ['binance buy filled', 'bybit sell rejected', 'binance sell filled'],
    );
    // A second leg that failed is not tried again at once: the next entry waits out a cooldown.
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // five poll intervals
    assert.equal((await ledger(UNWIND)).length, 3, 'no new entry during the cooldown');
    const after = await detail(UNWIND);
    assert.equal(after.status, 'running');
    assert.equal(after.state.closed.length, 1);
  });

  test('an unwind that cannot fill leaves the symbol degraded, shown in the API, and it enters nothing more', async () => {
    quoteBook(binance, STUCK, '99.9', '100', '0.5'); // the long leg's book bids for 0.5 only: its unwind of 2 falls short
    quoteBook(bybit, STUCK, '100.5', '100.6');
    await add(
      STUCK,
      perpPerpParams({
        short: { venue: 'bybit', market: 'perp', account: 'empty', fees: { takerBps: 5.5 } },
      }),
    );
    const degraded = await waitFor('the symbol degraded', async () => {
      const found = await detail(STUCK);
      return found.status === 'degraded' && found;
    });
    assert.equal(degraded.health, 'degraded');
    await waitFor('the SymbolStatus search attribute degraded', async () => {
      const found = await listExecutions(
        harness.client,
        `WorkflowId = "${degraded.workflowId}" AND SymbolStatus = "degraded"`,
      );
      return found.length === 1;
    });
    assert.equal(degraded.state.phase, 'degraded');
    assert.match(
      degraded.problems.join('\n'),
      /long leg held 2 more than the short leg and closing it failed \(expired, filled 0\.5 of 2\): 1\.5 still exposed/,
    );
    const orders = await ledger(STUCK);
    assert.deepEqual(
      orders.slice(0, 3).map((o) => `${o.venue} ${o.side} ${o.status} ${Number(o.filled_quantity)}`),
      ['binance buy filled 2', 'bybit sell rejected 0', 'binance sell expired 0.5'],
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // five poll intervals
    const entries = (await ledger(STUCK)).filter((o) => o.side === 'buy' || o.venue === 'bybit');
    assert.equal(entries.length, 2, 'no new entry while degraded (only unwind retries may follow)');
  });

  test('the account workflow sees a leg closed on the venue behind the back of Keel, and the arbitrage closes the other', async () => {
    quoteBook(binance, BEHIND, '99.9', '100');
    quoteBook(bybit, BEHIND, '100.5', '100.6');
    await add(BEHIND, perpPerpParams());
    await waitFor('both legs entered', async () => (await detail(BEHIND)).state.phase === 'open');

    // Someone closes the short on the venue's own site: Keel's account buys 2 back, outside Keel.
    bybit.placeOrder({
      account: 'keel',
      symbol: BEHIND,
      side: 'buy',
      type: 'limit',
      price: '100.6',
      quantity: '2',
    });
    const account = await harness.client.workflow.start(accountWorkflow, {
      taskQueue: harness.taskQueue,
      workflowId: accountWorkflowId(ref.input?.idPrefix ?? '', 'bybit', 'keel'),
      args: [
        {
          venue: 'bybit',
          account: 'keel',
          markets: ['perp'],
          intervalMs: 1_000,
          fundingSymbols: [BEHIND],
          idPrefix: ref.input?.idPrefix ?? '',
        },
      ],
    });
    try {
      const reacted = await waitFor('the arbitrage flat after the change', async () => {
        const { state } = await detail(BEHIND);
        return state.closed.length === 1 && state;
      });
      assert.equal(reacted.closed[0]?.outcome, 'external');
      assert.equal(reacted.phase, 'flat');
      assert.match(
        reacted.lastDecision ?? '',
        /short leg on bybit perp changed behind Keel's back: the venue holds 0, Keel's fills -2/,
      );
      // Keel closed the long itself, through its own order path.
      assert.deepEqual(
        (await ledger(BEHIND)).map((o) => `${o.venue} ${o.side} ${o.status}`),
        ['binance buy filled', 'bybit sell filled', 'binance sell filled'],
      );
      const seen = await account.query(accountStateQuery);
      assert.ok(seen.reconciliations >= 1);
      assert.deepEqual(
        seen.last?.funding.map((f) => f.symbol),
        [BEHIND],
      );
      const stored = await database.pool.query<{ discrepancies: Array<{ symbol: string }> }>(
        `SELECT discrepancies FROM account_snapshots WHERE venue = 'bybit' AND account = 'keel' ORDER BY id`,
      );
      assert.ok(stored.rows.some((row) => row.discrepancies.some((d) => d.symbol === BEHIND)));
    } finally {
      await account.terminate('test over');
    }
  });
});
