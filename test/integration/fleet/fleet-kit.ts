import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { SimExchange } from '../../../sim/exchange';
import { takerOrder } from '../../../workers/sim-world';
import { listExecutions } from '../../support/harness';
import { waitFor } from '../../support/wait';

/**
 * What the fleet tests share: a neutral grid on binance spot, a taker that keeps every grid trading, and
 * the end-of-test proof that no order was sent twice.
 */
export const fleetGridConfig = {
  venues: [{ venue: 'binance' as const, market: 'spot' as const, account: 'keel' }],
  strategies: [
    {
      name: 'grid',
      params: {
        mode: 'neutral',
        lowerPrice: '90',
        upperPrice: '110',
        levels: 5,
        orderSize: { unit: 'base', amount: '1' },
        maxInventory: '20',
        referencePrice: '100',
        pollMs: 100,
        watchMs: 1000,
      },
    },
  ],
  risk: { maxOpenOrders: 20, maxOrderNotional: '10000' },
};

type SimMarket = ReturnType<SimExchange['market']>;

/** Funds the taker on binance spot and makes the venue reuse ids once closed, so a blind re-send shows. */
export function prepareFleetVenue(exchange: SimExchange, symbols: readonly string[]) {
  exchange.venue('binance').setClientIdReuse('after-close');
  for (const symbol of symbols)
    exchange.venue('binance').deposit('spot', 'taker', symbol.split('-')[0]!, '100000');
  exchange.venue('binance').deposit('spot', 'taker', 'USDT', '100000000');
}

/** A taker hitting each grid's touch in turn, every `everyMs`: each fill makes its grid place the next order. */
export function startTaker(market: SimMarket, symbols: readonly string[], everyMs: number) {
  let taking = true;
  const running = (async () => {
    for (let i = 0; taking; i += 1) {
      for (const symbol of symbols) {
        const top = market.top(symbol);
        const side = i % 2 === 0 ? 'sell' : 'buy';
        const price = side === 'sell' ? top.bidPrice : top.askPrice;
        if (price)
          try {
            takerOrder(market, { symbol, side, price });
          } catch {
            // An empty side is a quiet moment.
          }
      }
      await sleep(everyMs);
    }
  })();
  return async () => {
    taking = false;
    await running;
  };
}

/**
 * Once settled (nothing in flight), no client order id is on the venue twice and each is in the ledger.
 * Returns how many orders the venue holds.
 */
export async function assertEachOrderOnce(pool: Pool, market: SimMarket, symbols: readonly string[]) {
  await waitFor('nothing in flight', async () => {
    const { rows } = await pool.query(
      `SELECT 1 FROM ledger_orders WHERE status IN ('intent', 'sending', 'unknown')`,
    );
    return rows.length === 0;
  });
  let orders = 0;
  for (const symbol of symbols) {
    const ids = market.accountOrders('keel', symbol).map((order) => order.clientOrderId);
    orders += ids.length;
    assert.equal(new Set(ids).size, ids.length, `${symbol}: no client order id placed twice`);
    const { rows } = await pool.query<{ client_order_id: string }>(
      'SELECT client_order_id FROM ledger_orders WHERE symbol = $1',
      [symbol],
    );
    const recorded = new Set(rows.map((row) => row.client_order_id));
    for (const id of ids) assert.ok(recorded.has(id), `${symbol}: ${id} on the venue is in the ledger`);
  }
  return orders;
}

/** Ends every workflow still running on the test's task queue: nothing of it stays on the shared server. */
export async function terminateRunning(client: Client | undefined, taskQueue: string) {
  if (!client) return;
  for (const execution of await listExecutions(
    client,
    `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  ))
    await client.workflow
      .getHandle(execution.workflowId)
      .terminate('fleet test cleanup')
      .catch(() => undefined);
}
