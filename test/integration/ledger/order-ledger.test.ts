import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ClientOrderIdConflict,
  findOrder,
  markAbandoned,
  claimSend,
  recordIntent,
  recordOneIntentOf,
  recordVenueOrder,
  type OrderIntent,
} from '../../../db/order-ledger';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

const intent = (clientOrderId: string, price = '100'): OrderIntent => ({
  clientOrderId,
  venue: 'binance',
  market: 'spot',
  account: 'keel',
  symbol: 'LED-USDT',
  strategy: 'grid',
  workflowId: 'w',
  side: 'buy',
  type: 'limit',
  price,
  quantity: '1',
});

describe('order ledger: the guards that keep a client order id to one send', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('ledger');
  });
  after(() => database?.drop());

  test('two attempts that read the same row: only one may send', async () => {
    const seen = await recordIntent(database.pool, intent('L1'));
    const [first, second] = await Promise.all([
      claimSend(database.pool, seen),
      claimSend(database.pool, seen),
    ]);
    assert.deepEqual([first, second].sort(), ['claimed', 'lost']);
    const row = await findOrder(database.pool, 'L1');
    assert.equal(row?.status, 'sending');
    assert.equal(row?.send_attempts, 1);
    // A later attempt that read the row after that send (status sending, one send) may send again.
    assert.equal(await claimSend(database.pool, row), 'claimed');
    assert.equal((await findOrder(database.pool, 'L1'))?.send_attempts, 2);
  });

  test('an abandoned order can never be claimed for sending', async () => {
    const seen = await recordIntent(database.pool, intent('L2'));
    assert.equal((await markAbandoned(database.pool, 'L2'))?.status, 'abandoned');
    assert.equal(await claimSend(database.pool, seen), 'lost');
    assert.equal(await markAbandoned(database.pool, 'L2'), undefined, 'only unsent states can be abandoned');
  });

  test('of alternative intents racing, exactly one is ever recorded, and every racer is told which', async () => {
    const alternatives = [intent('A0', '101'), intent('A1', '102'), intent('A2', '103')];
    const racers = await Promise.all(
      alternatives.map((chosen) => recordOneIntentOf(database.pool, alternatives, chosen)),
    );
    const winners = new Set(racers.map((row) => row?.client_order_id));
    assert.equal(winners.size, 1, `racers disagree: ${[...winners].join(', ')}`);
    const { rows } = await database.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ledger_orders WHERE client_order_id = ANY($1::text[])`,
      [alternatives.map((alternative) => alternative.clientOrderId)],
    );
    assert.equal(rows[0]?.n, '1');
    // Asking without choosing only reports the one recorded.
    assert.equal(
      (await recordOneIntentOf(database.pool, alternatives, undefined))?.client_order_id,
      [...winners][0],
    );
    assert.equal(await recordOneIntentOf(database.pool, [intent('B0')], undefined), undefined);
  });

  test('#11.9: the same client order id for another market, type or strategy is a conflict, never the old order', async () => {
    await recordIntent(database.pool, intent('C1'));
    for (const other of [
      { ...intent('C1'), market: 'perp' as const },
      { ...intent('C1'), type: 'market' as const },
      { ...intent('C1'), strategy: 'quote' },
    ])
      await assert.rejects(recordIntent(database.pool, other), ClientOrderIdConflict);
    // The very same order again (decimals written differently) is the recorded one.
    assert.equal(
      (await recordIntent(database.pool, { ...intent('C1'), price: '100.0' })).client_order_id,
      'C1',
    );
  });

  test('#11.9: a fill reported without an average price is priced at the limit, never at 0', async () => {
    await recordIntent(database.pool, intent('P1', '99.5'));
    const report = {
      venueOrderId: 'v1',
      clientOrderId: 'P1',
      symbol: 'LED-USDT',
      side: 'buy' as const,
      type: 'limit' as const,
      price: '99.5',
      quantity: '1',
      filledQuantity: '0.4',
      averagePrice: null,
      fee: '0',
      feeAsset: 'USDT',
      status: 'partially-filled' as const,
      createdAt: 0,
      updatedAt: 0,
    };
    await recordVenueOrder(database.pool, report);
    const fills = async (id: string) =>
      (
        await database.pool.query<{ quantity: string; price: string }>(
          'SELECT quantity::text, price::text FROM ledger_fills WHERE client_order_id = $1 ORDER BY id',
          [id],
        )
      ).rows.map((fill) => `${Number(fill.quantity)}@${Number(fill.price)}`);
    assert.deepEqual(await fills('P1'), ['0.4@99.5']);
    // A market order has no limit: its fill waits for a report that has the price.
    await recordIntent(database.pool, { ...intent('P2'), type: 'market', price: undefined });
    await recordVenueOrder(database.pool, { ...report, clientOrderId: 'P2', type: 'market', price: null });
    assert.deepEqual(await fills('P2'), []);
    await recordVenueOrder(database.pool, {
      ...report,
      clientOrderId: 'P2',
      type: 'market',
      price: null,
      averagePrice: '101',
    });
    assert.deepEqual(await fills('P2'), ['0.4@101']);
  });

  test('#11.6: an intent that breaks a limit is recorded as denied with the rule and the numbers, never as an intent', async () => {
    const limits = { limits: { maxOpenOrders: 2, maxOrderNotional: '150' } };
    const mine = (id: string, price = '100') => ({ ...intent(id, price), workflowId: 'symbol:LIM-USDT' });
    const expensive = await recordIntent(database.pool, mine('D0', '151'), limits);
    assert.equal(expensive.status, 'denied');
    assert.match(expensive.denial ?? '', /maxOrderNotional: 151 × 1 = 151 is above 150/);
    assert.equal((await recordIntent(database.pool, mine('D1'), limits)).status, 'intent');
    assert.equal((await recordIntent(database.pool, mine('D2'), limits)).status, 'intent');
    const third = await recordIntent(database.pool, mine('D3'), limits);
    assert.equal(third.status, 'denied');
    assert.match(third.denial ?? '', /maxOpenOrders: LED-USDT already holds 2 live orders, the limit is 2/);
    // Asking again returns the same answer; a closed order frees its slot.
    assert.equal((await recordIntent(database.pool, mine('D3'), limits)).status, 'denied');
    await markAbandoned(database.pool, 'D1');
    assert.equal((await recordIntent(database.pool, mine('D4'), limits)).status, 'intent');
    // Racing placements cannot both take the last slot.
    await markAbandoned(database.pool, 'D4');
    const racers = await Promise.all(
      [mine('R0'), mine('R1'), mine('R2')].map((order) => recordIntent(database.pool, order, limits)),
    );
    assert.deepEqual(racers.map((row) => row.status).sort(), ['denied', 'denied', 'intent']);
  });
});
