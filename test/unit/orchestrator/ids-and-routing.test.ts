import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ClientOrderIdSchema,
  clientOrderId,
  clientOrderIdPrefix,
  strategyClientOrderIdPrefix,
  CLIENT_ORDER_ID_SEQUENCES,
  fnv1a32,
  fnv1a64,
  shardWorkflowId,
  symbolWorkflowId,
} from '../../../domain/ids';
import { shardForSymbol } from '../../../workflows/orchestrator/shard-routing';

describe('shard routing', () => {
  test('is a stable FNV-1a hash: known values never change', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // Pinned: changing the hash would move live symbols to other shards.
    assert.deepEqual(
      ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'].map((symbol) => shardForSymbol(symbol, 8)),
      [7, 3, 0, 4],
    );
  });

  test('always lands in range and is a pure function', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (symbol, shards) => {
        const shard = shardForSymbol(symbol, shards);
        assert.ok(Number.isInteger(shard) && shard >= 0 && shard < shards);
        assert.equal(shardForSymbol(symbol, shards), shard);
      }),
    );
  });

  test('spreads 1,000 symbols evenly enough over 8 shards', () => {
    const counts = Array.from({ length: 8 }, () => 0);
    for (let index = 0; index < 1000; index += 1) counts[shardForSymbol(`S${index}-USDT`, 8)]! += 1;
    for (const count of counts) assert.ok(count > 80 && count < 170, `uneven: ${counts.join(',')}`);
  });

  test('refuses a bad shard count', () => {
    assert.throws(() => shardForSymbol('BTC-USDT', 0), RangeError);
    assert.throws(() => shardForSymbol('BTC-USDT', 1.5), RangeError);
  });
});

describe('ids', () => {
  test('workflow ids are readable', () => {
    assert.equal(shardWorkflowId('', 3), 'shard:3');
    assert.equal(symbolWorkflowId('', 'BTC-USDT'), 'symbol:BTC-USDT');
    assert.equal(symbolWorkflowId('t1-', 'BTC-USDT'), 't1-symbol:BTC-USDT');
  });

  test('the chain prefix is a stable 64-bit FNV-1a: known values never change', () => {
    assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
    assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
    assert.equal(fnv1a64('foobar'), 0x85944171f73967e8n);
    // Pinned: a changed prefix would hide a running chain's orders from its own reconcile.
    assert.equal(
      clientOrderId({ scope: 'symbol:BTC-USDT/run', strategySlot: 0, sequence: 0 }),
      'K34rjpqhvfavm90000000000',
    );
  });

  test('client order ids are valid on every venue, deterministic and distinct', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.integer({ min: 0, max: 35 }),
        fc.integer({ min: 0, max: CLIENT_ORDER_ID_SEQUENCES - 1 }),
        (scope, strategySlot, sequence) => {
          const id = clientOrderId({ scope, strategySlot, sequence });
          assert.ok(ClientOrderIdSchema.safeParse(id).success, id);
          assert.equal(id.length, 24);
          assert.ok(id.startsWith(clientOrderIdPrefix(scope)));
          // Reconcile finds a strategy's orders by this prefix: it must not match another slot's.
          assert.ok(id.startsWith(strategyClientOrderIdPrefix(scope, strategySlot)));
          assert.equal(strategyClientOrderIdPrefix(scope, strategySlot).length, 15);
          assert.equal(clientOrderId({ scope, strategySlot, sequence }), id);
        },
      ),
    );
    const ids = new Set<string>();
    for (let sequence = 0; sequence < 1000; sequence += 1)
      ids.add(clientOrderId({ scope: 'symbol:BTC-USDT/run', strategySlot: sequence % 3, sequence }));
    assert.equal(ids.size, 1000);
  });

  test('different chains get different prefixes', () => {
    const prefixes = new Set<string>();
    for (let run = 0; run < 10_000; run += 1) prefixes.add(clientOrderIdPrefix(`symbol:BTC-USDT/run-${run}`));
    assert.equal(prefixes.size, 10_000);
  });

  test('out-of-range parts throw instead of wrapping into another id', () => {
    assert.throws(() => clientOrderId({ scope: 's', strategySlot: 36, sequence: 0 }), RangeError);
    assert.throws(
      () => clientOrderId({ scope: 's', strategySlot: 0, sequence: CLIENT_ORDER_ID_SEQUENCES }),
      RangeError,
    );
    assert.throws(() => clientOrderId({ scope: 's', strategySlot: 0, sequence: -1 }), RangeError);
  });
});
