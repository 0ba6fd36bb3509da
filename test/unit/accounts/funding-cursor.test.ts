import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advanceFundingCursor } from '../../../workflows/accounts/funding-cursor';

const payment = (id: string, at: number) => ({ id, at, amount: '0.1' });

test('payments after the cursor are fresh; the cursor moves to the latest, naming those at it', () => {
  const { fresh, next } = advanceFundingCursor({ since: 100, toldAtCursor: [] }, [
    payment('a', 100),
    payment('b', 200),
    payment('c', 200),
  ]);
  assert.deepEqual(
    fresh.map((p) => p.id),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(next, { since: 200, toldAtCursor: ['b', 'c'] });
});

test('the inclusive re-read of the cursor’s own payments tells nothing again', () => {
  const cursor = { since: 200, toldAtCursor: ['b', 'c'] };
  const { fresh, next } = advanceFundingCursor(cursor, [payment('b', 200), payment('c', 200)]);
  assert.deepEqual(fresh, []);
  assert.equal(next, cursor);
});

test('a payment at the cursor’s time not told before (a capped read ended between two) is told, and joins the names', () => {
  const { fresh, next } = advanceFundingCursor({ since: 200, toldAtCursor: ['b'] }, [
    payment('b', 200),
    payment('c', 200),
  ]);
  assert.deepEqual(
    fresh.map((p) => p.id),
    ['c'],
  );
  assert.deepEqual(next, { since: 200, toldAtCursor: ['b', 'c'] });
});

test('payments older than the cursor are never told', () => {
  const { fresh } = advanceFundingCursor({ since: 300, toldAtCursor: [] }, [payment('old', 299)]);
  assert.deepEqual(fresh, []);
});
