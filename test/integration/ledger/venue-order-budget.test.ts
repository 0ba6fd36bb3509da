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
    const granted = turns.flatMap((turn) => (turn.granted ? [turn] : []));
    // Burst of 4, then 4 per second for 5 s: 24 turns; the other 6 are told to come back.
    assert.equal(granted.length, budget.perSecond * (1 + MAX_RESERVED_SECONDS));
    assert.equal(
      granted.filter((turn) => turn.waitMs === 0).length,
      budget.perSecond,
      'the burst goes at once',
    );
    // On PostgreSQL's clock, the k-th turn after the burst is no earlier than k / rate after the first.
    const times = granted.map((turn) => turn.turnAt).sort((a, b) => a - b);
    times.forEach((at, index) => {
      const earliest = ((index + 1 - budget.perSecond) / budget.perSecond) * 1000;
      assert.ok(at - times[0]! >= earliest - 1, `turn ${index + 1} ${at - times[0]!} ms after the first`);
    });
    assert.ok(
      Math.max(...granted.map((turn) => turn.waitMs)) <= MAX_RESERVED_SECONDS * 1000 + 1,
      'none further ahead than the horizon',
    );
    const refused = turns.filter((turn) => !turn.granted);
    assert.equal(refused.length, 30 - granted.length);
    for (const turn of refused) assert.ok(!turn.granted && turn.retryInMs > 0);

    // Another deployment's budget for the same venue is untouched.
    const other = await takeOrderTurn(database.pool, { name: 'backtest@binance', perSecond: 4 });
    assert.ok(other.granted && other.waitMs === 0, JSON.stringify(other));
  });

  test('the budget refills with time: after its turns have passed, a burst goes at once again', async () => {
    // One a second: the second of two taken at once waits for the next second (however slow the machine,
    // well within it); two seconds later the bucket is full again.
    const budget = { name: 'q@okx', perSecond: 1 };
    const [first, second] = await Promise.all([
      takeOrderTurn(database.pool, budget),
      takeOrderTurn(database.pool, budget),
    ]);
    const waits = [first, second].map((turn) => (turn.granted ? turn.waitMs : -1)).sort((a, b) => a - b);
    assert.equal(waits[0], 0, JSON.stringify(waits));
    assert.ok(waits[1]! > 0 && waits[1]! <= 1_000, JSON.stringify(waits));
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const again = await takeOrderTurn(database.pool, budget);
    assert.ok(again.granted && again.waitMs === 0, JSON.stringify(again));
  });
});
