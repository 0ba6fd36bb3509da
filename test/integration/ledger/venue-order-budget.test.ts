import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_RESERVED_SECONDS, takeOrderTurn } from '../../../db/venue-order-budget';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

/**
 * A venue's fleet-wide order budget on the real PostgreSQL: many senders at once (as many workers would
 * be) get turns no closer than the rate allows after a second's burst, never further ahead than
 * MAX_RESERVED_SECONDS, and each deployment's budget is its own.
 */
describe("a venue's order budget, shared by every worker through PostgreSQL", () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('order_budget');
  });
  after(() => database?.drop());

  test('turns taken at once: a second of burst, then one per 1/rate, then refused past the horizon', async () => {
    const budget = { name: 'q@binance', perSecond: 4 };
    const turns = await Promise.all(Array.from({ length: 30 }, () => takeOrderTurn(database.pool, budget)));
    const waits = turns.flatMap((turn) => (turn.granted ? [turn.waitMs] : [])).sort((a, b) => a - b);
    // Burst of 4, then 4 per second for 5 s: 24 turns; the other 6 are told to come back.
    assert.equal(waits.length, budget.perSecond * (1 + MAX_RESERVED_SECONDS), JSON.stringify(waits));
    assert.equal(waits.filter((wait) => wait === 0).length, budget.perSecond, 'the burst goes at once');
    // Sent at their turns, no window of a second holds more than the burst and a second's rate.
    waits.forEach((wait, index) => {
      const allowed = budget.perSecond + (wait / 1000) * budget.perSecond;
      assert.ok(index + 1 <= allowed + 0.5, `turn ${index + 1} at ${wait} ms: more than ${allowed}`);
    });
    assert.ok(waits.at(-1)! <= MAX_RESERVED_SECONDS * 1000 + 50, `last turn ${waits.at(-1)} ms ahead`);
    const refused = turns.filter((turn) => !turn.granted);
    assert.equal(refused.length, 30 - waits.length);
    for (const turn of refused) assert.ok(!turn.granted && turn.retryInMs > 0);

    // Another deployment's budget for the same venue is untouched.
    const other = await takeOrderTurn(database.pool, { name: 'backtest@binance', perSecond: 4 });
    assert.deepEqual(other, { granted: true, waitMs: 0 });
  });

  test('the budget refills with time: after its turns have passed, a burst goes at once again', async () => {
    const budget = { name: 'q@okx', perSecond: 20 };
    for (let i = 0; i < 20; i++) await takeOrderTurn(database.pool, budget);
    const ahead = await takeOrderTurn(database.pool, budget);
    assert.ok(ahead.granted && ahead.waitMs > 0, JSON.stringify(ahead));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const again = await takeOrderTurn(database.pool, budget);
    assert.deepEqual(again, { granted: true, waitMs: 0 });
  });
});
