import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  findOrder,
  markAbandoned,
  markSending,
  recordIntent,
  recordOneIntentOf,
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
      markSending(database.pool, seen),
      markSending(database.pool, seen),
    ]);
    assert.deepEqual([first, second].sort(), [false, true]);
    const row = await findOrder(database.pool, 'L1');
    assert.equal(row?.status, 'sending');
    assert.equal(row?.send_attempts, 1);
    // A later attempt that read the row after that send (status sending, one send) may send again.
    assert.equal(await markSending(database.pool, row), true);
    assert.equal((await findOrder(database.pool, 'L1'))?.send_attempts, 2);
  });

  test('an abandoned order can never be claimed for sending', async () => {
    const seen = await recordIntent(database.pool, intent('L2'));
    assert.equal((await markAbandoned(database.pool, 'L2'))?.status, 'abandoned');
    assert.equal(await markSending(database.pool, seen), false);
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
});
