import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSubscriptions } from '../../../connectors/subscription-limits';

const syms = (n: number): string[] => Array.from({ length: n }, (_, i) => `S${i}-USDT`);

void test('bybit spot: at most 10 topics per subscribe request, one connection', () => {
  const plan = planSubscriptions('bybit', 'spot', syms(25));
  assert.equal(plan.length, 1);
  assert.deepEqual(
    plan[0]?.map((r) => r.length),
    [10, 10, 5],
  );
});

void test('mexc spot: at most 30 subscriptions per connection', () => {
  const plan = planSubscriptions('mexc', 'spot', syms(61));
  assert.deepEqual(
    plan.map((c) => c.flat().length),
    [30, 30, 1],
  );
});

void test('duplicates collapse; unconstrained venues get one request', () => {
  const plan = planSubscriptions('okx', 'perp', ['BTC-USDT', 'ETH-USDT', 'BTC-USDT']);
  assert.deepEqual(plan, [[['BTC-USDT', 'ETH-USDT']]]);
  assert.deepEqual(planSubscriptions('okx', 'spot', []), []);
});
