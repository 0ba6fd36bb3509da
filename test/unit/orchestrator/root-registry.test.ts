import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompletedUpdates, RootRegistry } from '../../../workflows/orchestrator/root-registry';
import { shardForSymbol } from '../../../workflows/orchestrator/shard-routing';

const config = { venues: [{ venue: 'binance' }], strategies: [{ name: 'idle' }] };

describe('root registry', () => {
  test('add routes the symbol to its shard and tells that shard, with the desired pause state', () => {
    const registry = new RootRegistry(4, 't-');
    const { result, sends } = registry.apply(registry.validate('addSymbol', { symbol: 'BTC-USDT', config }));
    const shard = shardForSymbol('BTC-USDT', 4);
    assert.deepEqual(result, {
      symbol: 'BTC-USDT',
      shard,
      workflowId: 't-symbol:BTC-USDT',
      outcome: 'added',
      affected: 1,
    });
    assert.equal(sends.length, 1);
    assert.equal(sends[0]?.shard, shard);
    assert.deepEqual(
      { ...sends[0]?.command, config: undefined },
      {
        kind: 'add',
        symbol: 'BTC-USDT',
        config: undefined,
        paused: false,
      },
    );
    assert.deepEqual(registry.get('BTC-USDT'), {
      symbol: 'BTC-USDT',
      shard,
      workflowId: 't-symbol:BTC-USDT',
      paused: false,
    });
  });

  test('refuses what it cannot do, saying why, and changes nothing', () => {
    const registry = new RootRegistry(2, '');
    registry.apply(registry.validate('addSymbol', { symbol: 'BTC-USDT', config }));
    const refusals: Array<[Parameters<RootRegistry['validate']>, RegExp]> = [
      [['addSymbol', { symbol: 'BTC-USDT', config }], /addSymbol refused: BTC-USDT is already registered/],
      [['removeSymbol', { symbol: 'ETH-USDT' }], /removeSymbol refused: ETH-USDT is not registered/],
      [['updateSymbol', { symbol: 'ETH-USDT', config }], /updateSymbol refused: ETH-USDT is not registered/],
      [['pause', { symbol: 'ETH-USDT' }], /pause refused: ETH-USDT is not registered/],
      [['addSymbol', { symbol: 'btc', config }], /invalid addSymbol: symbol: must be a canonical symbol/],
      [['resume', { symbol: 'BTC-USDT', extra: 1 }], /invalid resume/],
    ];
    for (const [args, message] of refusals) assert.throws(() => registry.validate(...args), message);
    assert.deepEqual(
      registry.list().map((entry) => entry.symbol),
      ['BTC-USDT'],
    );
  });

  test('global pause reaches every shard and every symbol; one symbol’s pause only its shard', () => {
    const registry = new RootRegistry(3, '');
    for (const symbol of ['BTC-USDT', 'ETH-USDT'])
      registry.apply(registry.validate('addSymbol', { symbol, config }));
    const global = registry.apply(registry.validate('pause', undefined));
    assert.deepEqual(global.result, { outcome: 'paused', affected: 2 });
    assert.deepEqual(
      global.sends,
      [0, 1, 2].map((shard) => ({ shard, command: { kind: 'pause' } })),
    );
    assert.ok(registry.list().every((entry) => entry.paused));
    assert.equal(registry.status('root').globalPaused, true);
    // A symbol added while everything is paused starts paused.
    const added = registry.apply(registry.validate('addSymbol', { symbol: 'SOL-USDT', config }));
    assert.equal(added.sends[0]?.command.kind === 'add' && added.sends[0].command.paused, true);
    const one = registry.apply(registry.validate('resume', { symbol: 'ETH-USDT' }));
    assert.deepEqual(one.sends, [
      { shard: shardForSymbol('ETH-USDT', 3), command: { kind: 'resume', symbol: 'ETH-USDT' } },
    ]);
    assert.equal(registry.get('ETH-USDT')?.paused, false);
  });

  test('remove forgets the symbol at once; status counts per shard; a snapshot restores it all', () => {
    const registry = new RootRegistry(2, 'p-');
    for (const symbol of ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'])
      registry.apply(registry.validate('addSymbol', { symbol, config }));
    const removed = registry.apply(registry.validate('removeSymbol', { symbol: 'SOL-USDT' }));
    assert.equal(removed.result.outcome, 'removing');
    assert.equal(registry.get('SOL-USDT'), null);
    registry.dropped();
    const status = registry.status('root');
    assert.equal(status.symbolCount, 2);
    assert.equal(status.droppedSignals, 1);
    assert.equal(
      status.shards.reduce((sum, shard) => sum + shard.symbols, 0),
      2,
    );
    assert.deepEqual(
      status.shards.map((shard) => shard.workflowId),
      ['p-shard:0', 'p-shard:1'],
    );
    const restored = new RootRegistry(2, 'p-', registry.snapshot());
    assert.deepEqual(restored.status('root'), status);
  });
});

describe('completed updates', () => {
  test('remembers results by update id, at most `capacity`, dropping the oldest', () => {
    const updates = new CompletedUpdates([], 2);
    updates.remember('a', { outcome: 'paused', affected: 1 });
    updates.remember('b', { outcome: 'resumed', affected: 1 });
    updates.remember(undefined, { outcome: 'paused', affected: 9 });
    updates.remember('c', { outcome: 'paused', affected: 3 });
    assert.equal(updates.get('a'), undefined);
    assert.deepEqual(updates.get('c'), { outcome: 'paused', affected: 3 });
    assert.equal(updates.get(undefined), undefined);
    assert.deepEqual(new CompletedUpdates(updates.entries()).entries(), updates.entries());
  });
});
