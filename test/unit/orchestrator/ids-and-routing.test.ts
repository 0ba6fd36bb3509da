import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ClientOrderIdSchema,
  clientOrderId,
  clientOrderIdPrefix,
  strategyClientOrderIdPrefix,
  fnv1a32,
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
      ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'].map((symbol) => fnv1a32(symbol) % 8),
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

  test('client order ids are valid on every venue, deterministic and distinct', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.integer({ min: 0, max: 35 }),
        fc.integer({ min: 0, max: 36 ** 6 - 1 }),
        fc.integer({ min: 0, max: 36 ** 3 - 1 }),
        (scope, strategySlot, generation, sequence) => {
          const id = clientOrderId({ scope, strategySlot, generation, sequence });
          assert.ok(ClientOrderIdSchema.safeParse(id).success, id);
          assert.equal(id.length, 18);
          assert.ok(id.startsWith(clientOrderIdPrefix(scope)));
          // Reconcile finds a strategy's orders by this prefix: it must not match another slot's.
          assert.ok(id.startsWith(strategyClientOrderIdPrefix(scope, strategySlot)));
          assert.equal(strategyClientOrderIdPrefix(scope, strategySlot).length, 9);
          assert.equal(clientOrderId({ scope, strategySlot, generation, sequence }), id);
        },
      ),
    );
    const ids = new Set<string>();
    for (let generation = 0; generation < 50; generation += 1)
      for (let sequence = 0; sequence < 20; sequence += 1)
        ids.add(clientOrderId({ scope: 'symbol:BTC-USDT/run', strategySlot: 0, generation, sequence }));
    assert.equal(ids.size, 1000);
  });

  test('out-of-range parts throw instead of wrapping into another id', () => {
    assert.throws(
      () => clientOrderId({ scope: 's', strategySlot: 36, generation: 0, sequence: 0 }),
      RangeError,
    );
    assert.throws(
      () => clientOrderId({ scope: 's', strategySlot: 0, generation: 36 ** 6, sequence: 0 }),
      RangeError,
    );
    assert.throws(
      () => clientOrderId({ scope: 's', strategySlot: 0, generation: 0, sequence: -1 }),
      RangeError,
    );
  });
});
