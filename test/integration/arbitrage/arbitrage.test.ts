import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ArbitrageRecord } from '../../../db/arbitrages';
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
const LEGS = ['long', 'short'] as const;
const CONVERGE = 'ARB-USDT';
const UNWIND = 'ARU-USDT';
const STUCK = 'ARS-USDT';
const SPOT_PERP = 'ASP-USDT';
const BEHIND = 'ABH-USDT';
const THIN = 'ATH-USDT';
const LEAN = 'ALN-USDT';
const FUNDED = 'AFU-USDT';

describe('arbitrage on the simulator: perp-perp across two venues, spot-perp on one', () => {
  const sim = createSimWorld([CONVERGE, UNWIND, STUCK, SPOT_PERP, BEHIND, THIN, LEAN, FUNDED]);
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
  /** The symbol's finished arbitrages as the ledger's API gives them. */
  const arbitrages = async (symbol: string) => {
    const response = await app.inject({
      method: 'GET',
      url: `/symbols/${symbol}/arbitrages`,
      headers: readAuthHeader,
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ arbitrages: ArbitrageRecord[] }>().arbitrages;
  };
  /** How many times the symbol's workflow scheduled each activity type so far. */
  const activitiesScheduled = async (symbol: string) => {
    const { workflowId } = await detail(symbol);
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    const counts: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
      if (type) counts[type] = (counts[type] ?? 0) + 1;
    }
    return counts;
  };
  const rejectNextBybitOrder = () =>
    sim.exchange.faults.add({ venue: 'bybit', market: 'perp', op: 'createOrder', fault: 'reject', times: 1 });
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
    // The ledger's record of the arbitrage: its legs, spreads, PnL and the four orders, once.
    const recorded = await arbitrages(CONVERGE);
    assert.equal(recorded.length, 1);
    assert.deepEqual(
      {
        outcome: recorded[0]?.outcome,
        entrySpreadBps: recorded[0]?.entrySpreadBps,
        exitSpreadBps: recorded[0]?.exitSpreadBps,
        netPnl: Number(recorded[0]?.netPnl),
        fees: Number(recorded[0]?.fees),
        long: recorded[0]?.legs.long.venue,
        short: recorded[0]?.legs.short.venue,
      },
      {
        outcome: 'closed',
        entrySpreadBps: 50,
        exitSpreadBps: done?.exitSpreadBps,
        netPnl: 0.478975,
        fees: 0.421025,
        long: 'binance',
        short: 'bybit',
      },
    );
    assert.deepEqual(
      recorded[0]?.clientOrderIds,
      orders.map((o) => o.client_order_id),
    );
    // The exits may only shrink the perp positions: sent reduce-only, as the venue saw them.
    assert.deepEqual(
      orders.map(
        (o) =>
          (o.venue === 'binance' ? binance : bybit).getOrder('keel', { clientOrderId: o.client_order_id })
            .reduceOnly,
      ),
      [false, false, true, true],
    );
  });

  test('funding settled while the arbitrage is open is booked on its legs and in the ledger, and counts in its PnL', async () => {
    quoteBook(binance, FUNDED, '99.9', '100');
    quoteBook(bybit, FUNDED, '100.5', '100.6');
    await add(FUNDED, perpPerpParams());
    await waitFor('both legs entered', async () => (await detail(FUNDED)).state.phase === 'open');

    // The simulator's clock stands still at its 2024 start: the account workflows read funding from then on.
    const prefix = ref.input?.idPrefix ?? '';
    const accounts = await Promise.all(
      (['binance', 'bybit'] as const).map((venue) =>
        harness.client.workflow.start(accountWorkflow, {
          taskQueue: harness.taskQueue,
          workflowId: accountWorkflowId(prefix, venue, 'keel'),
          args: [
            {
              venue,
              account: 'keel',
              markets: ['perp'],
              intervalMs: 1_000,
              idPrefix: prefix,
              fundingSince: 0,
            },
          ],
        }),
      ),
    );
    try {
      // One settlement on each venue. Binance: rate −0.0005, so shorts pay longs: the long 2 at mark 100
      // receives 200 × 0.0005 = 0.1. Bybit: rate 0.0003, longs pay shorts: the short 2 at mark 100.5
      // receives 201 × 0.0003 = 0.0603.
      binance.setMarkPrice(FUNDED, '100');
      bybit.setMarkPrice(FUNDED, '100.5');
      sim.exchange.venue('binance').setFundingRate(FUNDED, '-0.0005');
      sim.exchange.venue('bybit').setFundingRate(FUNDED, '0.0003');
      sim.exchange.venue('binance').settleFunding();
      sim.exchange.venue('bybit').settleFunding();
      for (const venue of ['binance', 'bybit']) sim.exchange.venue(venue).setFundingRate(FUNDED, '0.0001');

      const funded = await waitFor('both payments booked on the open arbitrage', async () => {
        const { state } = await detail(FUNDED);
        return (
          state.current?.legs.long.funding.length === 1 &&
          state.current.legs.short.funding.length === 1 &&
          state
        );
      });
      assert.deepEqual(funded.current?.legs.long.funding, ['0.1']);
      assert.deepEqual(funded.current?.legs.short.funding, ['0.0603']);
      assert.equal(Number(funded.funding), 0.1603);
      const stored = await database.pool.query<{ venue: string; amount: string }>(
        `SELECT venue, amount::text FROM funding_payments WHERE account = 'keel' AND symbol = $1 ORDER BY venue`,
        [FUNDED],
      );
      assert.deepEqual(
        stored.rows.map((row) => `${row.venue} ${Number(row.amount)}`),
        ['binance 0.1', 'bybit 0.0603'],
      );

      // A payment read again is not booked again: two more readings of each account, same funding.
      const readings = await Promise.all(accounts.map((account) => account.query(accountStateQuery)));
      await waitFor('two more readings of each account', async () => {
        const now = await Promise.all(accounts.map((account) => account.query(accountStateQuery)));
        return now.every((state, i) => state.reconciliations >= readings[i]!.reconciliations + 2);
      });
      assert.equal(Number((await detail(FUNDED)).state.funding), 0.1603);

      quoteBook(binance, FUNDED, '100.2', '100.3');
      quoteBook(bybit, FUNDED, '100.15', '100.25');
      const closed = await waitFor('both legs exited', async () => {
        const { state } = await detail(FUNDED);
        return state.closed.length === 1 && state;
      });
      const [done] = closed.closed;
      // As the converging test: gross 0.9, fees 0.421025; plus funding 0.1 + 0.0603 = 0.1603.
      // Net: 0.9 − 0.421025 + 0.1603 = 0.639275.
      assert.equal(Number(done?.pnl.grossPnl), 0.9);
      assert.equal(Number(done?.pnl.fees), 0.421025);
      assert.equal(Number(done?.pnl.funding), 0.1603);
      assert.equal(Number(done?.pnl.netPnl), 0.639275);
      assert.equal(Number(closed.realizedPnl), 0.639275);
      const [recorded] = await arbitrages(FUNDED);
      assert.deepEqual(recorded?.legs.long.funding, ['0.1']);
      assert.deepEqual(recorded?.legs.short.funding, ['0.0603']);
      assert.equal(Number(recorded?.funding), 0.1603);
      assert.equal(Number(recorded?.netPnl), 0.639275);
    } finally {
      await Promise.all(accounts.map((account) => account.terminate('test over')));
    }
  });

  test('an entry the margin policy does not allow is refused before any order: the account lacks the headroom', async () => {
    quoteBook(binance, THIN, '99.9', '100');
    quoteBook(bybit, THIN, '100.5', '100.6');
    // The short leg trades an account with 300 USDT: 201 of margin for 2 at 100.5 leaves 33 % < 50 %.
    sim.exchange.venue('bybit').deposit('perp', 'thin', 'USDT', '300');
    await add(
      THIN,
      perpPerpParams({ short: { venue: 'bybit', market: 'perp', account: 'thin', fees: { takerBps: 5.5 } } }),
    );
    const refused = await waitFor('the entry refused by margin', async () => {
      const { state } = await detail(THIN);
      return state.lastDecision?.startsWith('margin:') && state;
    });
    assert.match(
      refused.lastDecision ?? '',
      /^margin: bybit perp thin: headroom after entry would be 33(\.\d+)?% \(equity 300, margin used 0 \+ 201\), below the minimum 50%$/,
    );
    assert.equal(refused.phase, 'flat');
    assert.deepEqual(await ledger(THIN), [], 'no order sent');
  });

  test('margin headroom falling on an open arbitrage halves both legs, and the rest is held', async () => {
    quoteBook(binance, LEAN, '99.9', '100');
    quoteBook(bybit, LEAN, '100.5', '100.6');
    sim.exchange.venue('bybit').deposit('perp', 'lean', 'USDT', '700');
    await add(
      LEAN,
      perpPerpParams({
        short: { venue: 'bybit', market: 'perp', account: 'lean', fees: { takerBps: 5.5 } },
        margin: { checkIntervalMs: 1_000 },
      }),
    );
    await waitFor('both legs entered', async () => (await detail(LEAN)).state.phase === 'open');
    // The short leg's mark rises to 200: equity 700 − 0.11055 fee − 2 × 99.5 = 500.88945 against 400 of
    // margin at the mark: 100.88945 / 500.88945 = 20.142 % of headroom, below the 30 % that calls for a reduction.
    sim.exchange.venue('bybit').perp.setMarkPrice(LEAN, '200');
    const reduced = await waitFor('both legs halved', async () => {
      const { state } = await detail(LEAN);
      return state.current?.legs.short.exits.length === 1 && state;
    });
    assert.equal(reduced.lastDecision, 'margin: bybit perp lean headroom 20.142% is below 30%: reduce');
    assert.deepEqual(
      LEGS.map((leg) => reduced.current?.legs[leg].exits.map((f) => f.quantity)),
      [['1'], ['1']],
    );
    // With 1 left on each leg the headroom is back above the marks: nothing more is closed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await detail(LEAN);
    assert.equal(after.state.phase, 'open');
    assert.ok(
      (after.state.headroomPct['bybit perp lean'] ?? 0) > 50,
      JSON.stringify(after.state.headroomPct),
    );
    assert.deepEqual(
      (await ledger(LEAN)).map((o) => `${o.venue} ${o.side} ${o.status} ${Number(o.filled_quantity)}`),
      ['binance buy filled 2', 'bybit sell filled 2', 'binance sell filled 1', 'bybit buy filled 1'],
    );
  });

  test('spot-perp on one venue: entered and exited, with the fee of the spot buy (charged in the base asset) counted at its price', async () => {
    quoteBook(binanceSpot, SPOT_PERP, '99.9', '100');
    quoteBook(binance, SPOT_PERP, '100.1', '100.2'); // 10 bps: nothing to do
    // Round trip: 2 × (10 spot + 5 perp) = 30 bps of fees, plus the 5 bps exit: entering at 40 pays.
    await add(
      SPOT_PERP,
      perpPerpParams({
        kind: 'spot-perp',
        long: { venue: 'binance', market: 'spot' },
        short: { venue: 'binance', market: 'perp' },
        entryThresholdBps: 40,
        pollIntervalMs: 100, // perp-perp's interval: spot-perp does not poll
      }),
    );
    // Event-driven: while the quotes stand still the workflow waits on them, reading the books no more.
    await waitFor('the first decision', async () => (await detail(SPOT_PERP)).state.lastDecision);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const quiet = await activitiesScheduled(SPOT_PERP);
    // One read of each leg for the first decision, then nothing until a quote moves (polling read 6 in 2 s).
    assert.equal(quiet.marketSnapshot, 2, `books read ${quiet.marketSnapshot} times while quiet`);
    assert.ok((quiet.awaitQuoteChange ?? 0) >= 1, 'waits on the quotes');
    assert.equal((await detail(SPOT_PERP)).state.phase, 'flat');

    quoteBook(binance, SPOT_PERP, '100.5', '100.6'); // 50 bps
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
    // The venue refuses the short leg's order (a margin another program took after Keel's check).
    rejectNextBybitOrder();
    await add(UNWIND, perpPerpParams());
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
    rejectNextBybitOrder();
    await add(STUCK, perpPerpParams());
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
