import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SymbolConfigSchema, type SymbolConfigInput } from '../../../workflows/symbol/symbol-config';
import { STOP_RETRY_MS, SymbolMachine, type SymbolEffect } from '../../../workflows/symbol/symbol-machine';

const config = (input: Partial<SymbolConfigInput> = {}) =>
  SymbolConfigSchema.parse({
    venues: [{ venue: 'binance' }],
    strategies: [
      { name: 'quote', params: { quantity: '1' } },
      { name: 'idle', params: {} },
    ],
    ...input,
  });

const machineWith = (options: { paused?: boolean; knows?: (name: string) => boolean } = {}) =>
  new SymbolMachine({
    config: config(),
    paused: options.paused ?? false,
    knows: options.knows ?? (() => true),
  });

/** Effects without their payloads: `start:0`, `create:1`, `publish`. */
const brief = (effects: SymbolEffect[]) =>
  effects.map((effect) => ('slot' in effect ? `${effect.type}:${effect.slot}` : effect.type));

describe('symbol machine', () => {
  test('a first run creates every strategy and starts it, then asks when it is due', () => {
    const machine = machineWith();
    const effects = machine.boot(undefined);
    assert.deepEqual(brief(effects), [
      'create:0',
      'create:1',
      'start:0',
      'schedule:0',
      'start:1',
      'schedule:1',
    ]);
    assert.equal(machine.status, 'starting');
    machine.settle();
    assert.equal(machine.status, 'running');
    const create = effects[0];
    assert.ok(create?.type === 'create');
    assert.deepEqual(create.venue, { venue: 'binance', market: 'spot', account: 'keel', live: false });
    assert.equal(create.carried, undefined);
  });

  test('a paused first run creates without starting; a continued run schedules its carried strategies', () => {
    assert.deepEqual(brief(machineWith({ paused: true }).boot(undefined)), ['create:0', 'create:1']);
    const effects = machineWith().boot({ quote: { generation: 3 } });
    assert.deepEqual(brief(effects), ['create:0', 'create:1', 'schedule:0', 'schedule:1']);
    assert.deepEqual(effects[0]?.type === 'create' && effects[0].carried, { generation: 3 });
  });

  test('strategies the registry does not know, or on a missing venue, get no slot', () => {
    const machine = new SymbolMachine({ config: config(), paused: false, knows: (name) => name !== 'quote' });
    assert.deepEqual(brief(machine.boot(undefined)), ['create:1', 'start:1', 'schedule:1']);
    assert.deepEqual(machine.slots, [1]);
  });

  test('a symbol reads pausing, not paused, until its strategies have carried out the pause', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    machine.handle({ kind: 'pause' });
    assert.equal(machine.status, 'pausing', 'its orders may still rest');
    assert.equal(machine.paused, true, 'no step runs meanwhile');
    machine.settle();
    assert.equal(machine.status, 'paused');
  });

  test('pause pauses every strategy once; resume starts them again', () => {
    const machine = machineWith();
    machine.boot(undefined);
    assert.deepEqual(brief(machine.handle({ kind: 'pause' })), ['pause:0', 'pause:1']);
    machine.settle();
    assert.equal(machine.status, 'paused');
    assert.deepEqual(machine.handle({ kind: 'pause' }), []);
    assert.deepEqual(brief(machine.handle({ kind: 'resume' })), [
      'start:0',
      'schedule:0',
      'start:1',
      'schedule:1',
    ]);
    machine.settle();
    assert.equal(machine.status, 'running');
    assert.deepEqual(machine.handle({ kind: 'resume' }), []);
  });

  test('new params for the same strategies on the same venues reach the running instances', () => {
    const machine = machineWith();
    machine.boot(undefined);
    const next = config({
      strategies: [
        { name: 'quote', params: { quantity: '2' } },
        { name: 'idle', params: {} },
      ],
    });
    const effects = machine.handle({ kind: 'update', config: next });
    assert.deepEqual(brief(effects), ['update:0', 'schedule:0', 'update:1', 'schedule:1', 'publish']);
    assert.deepEqual(effects[0]?.type === 'update' && effects[0].params, next.strategies[0]?.params);
    assert.deepEqual(machine.config, next);
  });

  test('#11.2: new params reach paused instances too, so they resume with them', () => {
    const machine = machineWith({ paused: true });
    machine.boot(undefined);
    const next = config({ strategies: [{ name: 'quote', params: { quantity: '3' } }, { name: 'idle' }] });
    const effects = machine.handle({ kind: 'update', config: next });
    assert.deepEqual(brief(effects), ['update:0', 'schedule:0', 'update:1', 'schedule:1', 'publish']);
    assert.deepEqual(effects[0]?.type === 'update' && effects[0].params, next.strategies[0]?.params);
    assert.deepEqual(brief(machine.handle({ kind: 'resume' })), [
      'start:0',
      'schedule:0',
      'start:1',
      'schedule:1',
    ]);
  });

  test('#11.1: the chain’s order counter goes on across instances and runs', () => {
    const machine = new SymbolMachine({
      config: config(),
      paused: false,
      knows: () => true,
      ordersIssued: 41,
    });
    assert.deepEqual([machine.nextOrderSequence(), machine.nextOrderSequence()], [41, 42]);
    machine.handle({ kind: 'update', config: config({ risk: { maxOpenOrders: 3 } }) });
    assert.equal(machine.nextOrderSequence(), 43);
    assert.equal(machine.ordersIssued, 44);
  });

  test('another venue, risk or strategy list replaces the instances: stop, discard, create, start', () => {
    const machine = machineWith();
    machine.boot(undefined);
    const effects = machine.handle({ kind: 'update', config: config({ risk: { maxOpenOrders: 19 } }) });
    assert.deepEqual(brief(effects), [
      'stop:0',
      'stop:1',
      'discard',
      'create:0',
      'create:1',
      'start:0',
      'schedule:0',
      'start:1',
      'schedule:1',
      'publish',
    ]);
    const paused = machineWith({ paused: true });
    paused.boot(undefined);
    const whilePaused = paused.handle({ kind: 'update', config: config({ strategies: [{ name: 'idle' }] }) });
    assert.deepEqual(brief(whilePaused), ['stop:0', 'stop:1', 'discard', 'create:0', 'publish']);
  });

  test('stop stops every strategy and finishes', () => {
    const machine = machineWith();
    machine.boot(undefined);
    assert.deepEqual(brief(machine.handle({ kind: 'stop' })), ['stop:0', 'stop:1', 'finish']);
    assert.equal(machine.status, 'stopping');
  });

  test('the next wake-up is the earliest due step; nothing is due while paused', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.scheduled(0, 500, 1_000);
    machine.scheduled(1, undefined, 1_000);
    assert.equal(machine.nextDueAt(), 1_500);
    assert.deepEqual(machine.stepIfDue(0, 1_499), []);
    assert.deepEqual(brief(machine.stepIfDue(0, 1_500)), ['step:0', 'schedule:0']);
    assert.deepEqual(machine.stepIfDue(1, 9_999), []);
    machine.handle({ kind: 'pause' });
    assert.equal(machine.nextDueAt(), undefined);
    assert.deepEqual(machine.stepIfDue(0, 9_999), []);
  });

  test('#11.3: a failed hook fails its strategy, which cancels its orders once; the others trade on', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    machine.scheduled(0, 0, 1_000);
    machine.scheduled(1, 0, 1_000);
    const effects = machine.failed(0, { type: 'step', slot: 0 }, 'watchOrders: API key revoked', 1_000);
    assert.deepEqual(effects, [{ type: 'stop', slot: 0, reason: 'failure' }]);
    assert.equal(machine.status, 'degraded');
    assert.deepEqual(machine.problems, ['quote failed: watchOrders: API key revoked']);
    assert.deepEqual(machine.stepIfDue(0, 2_000), [], 'a failed strategy takes no step');
    assert.deepEqual(brief(machine.stepIfDue(1, 2_000)), ['step:1', 'schedule:1']);
    // The cancel fails too: recorded, never tried again for this failure.
    assert.deepEqual(machine.failed(0, { type: 'stop', slot: 0, reason: 'failure' }, 'timeout', 1_000), []);
    assert.match(machine.problems[0] ?? '', /API key revoked; cancelling its orders failed: timeout/);
    machine.failed(1, { type: 'step', slot: 1 }, 'boom', 1_000);
    assert.equal(machine.status, 'failed', 'nothing trades');
  });

  test('#11.3: leave-orders policy keeps the orders; resume restarts only the failed strategies', () => {
    const machine = new SymbolMachine({
      config: config({ onFailure: 'leave-orders' }),
      paused: false,
      knows: () => true,
    });
    machine.boot(undefined);
    machine.settle();
    assert.deepEqual(machine.failed(1, { type: 'start', slot: 1 }, 'boom', 0), []);
    assert.deepEqual(brief(machine.handle({ kind: 'resume' })), ['start:1', 'schedule:1']);
    assert.equal(machine.status, 'running');
    assert.deepEqual(machine.problems, []);
  });

  test('#11.3: failures survive continue-as-new until resumed', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.failed(0, { type: 'step', slot: 0 }, 'boom', 0);
    const next = new SymbolMachine({
      config: config(),
      paused: false,
      knows: () => true,
      failures: machine.failures(),
    });
    assert.deepEqual(brief(next.boot({ quote: {}, idle: {} })), ['create:0', 'create:1', 'schedule:1']);
    next.settle();
    assert.equal(next.status, 'degraded');
    assert.deepEqual(next.problems, ['quote failed: boom']);
  });

  test('#11.3: removal finishes only once every strategy cancelled; failed cancels are retried', () => {
    const machine = machineWith();
    machine.boot(undefined);
    assert.deepEqual(brief(machine.handle({ kind: 'stop' })), ['stop:0', 'stop:1', 'finish']);
    machine.stopped(0, 'remove');
    assert.deepEqual(machine.failed(1, { type: 'stop', slot: 1, reason: 'remove' }, 'venue down', 1_000), []);
    assert.equal(machine.readyToFinish(), false);
    assert.equal(machine.nextDueAt(), 1_000 + STOP_RETRY_MS);
    assert.deepEqual(machine.retryStopsIfDue(1_000), []);
    assert.deepEqual(brief(machine.retryStopsIfDue(1_000 + STOP_RETRY_MS)), ['stop:1', 'finish']);
    machine.stopped(1, 'remove');
    assert.equal(machine.readyToFinish(), true);
  });

  test('a strategy reporting trouble makes the symbol degraded, with the trouble named', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    machine.reported(0, { status: 'degraded', problems: ['the venue no longer knows K1'] });
    assert.equal(machine.status, 'degraded');
    assert.deepEqual(machine.problems, ['quote: the venue no longer knows K1']);
    machine.reported(0, { status: 'ok', problems: [] });
    assert.equal(machine.status, 'running');
  });

  test('a restarted chain sweeps the dead chain’s orders on each venue before anything else', () => {
    const machine = machineWith();
    const effects = machine.boot(undefined, 'symbol:X-USDT/old-run');
    assert.deepEqual(effects[0], {
      type: 'sweep',
      venue: { venue: 'binance', market: 'spot', account: 'keel', live: false },
      scope: 'symbol:X-USDT/old-run',
    });
    assert.deepEqual(brief(effects.slice(1, 3)), ['create:0', 'create:1']);
  });

  test('an operator command goes to the named strategy’s slot, then asks when it is next due', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    assert.deepEqual(machine.commandTarget('idle'), { slot: 1 });
    const effects = machine.command(1, 7, { kind: 'cancel' });
    assert.deepEqual(effects, [
      { type: 'command', slot: 1, id: 7, input: { kind: 'cancel' } },
      { type: 'schedule', slot: 1 },
    ]);
    assert.deepEqual(machine.commandTarget('manual'), {
      refused: 'no manual strategy on this symbol (its strategies: quote, idle)',
    });
  });

  test('commands are refused while paused, failed or being removed, each saying why', () => {
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    machine.handle({ kind: 'pause' });
    assert.deepEqual(machine.commandTarget('idle'), { refused: 'the symbol is paused: resume it first' });
    machine.handle({ kind: 'resume' });
    machine.failed(1, { type: 'command', slot: 1, id: 0, input: {} }, 'venue said no', 0);
    assert.deepEqual(machine.commandTarget('idle'), {
      refused: 'idle failed (venue said no): resume the symbol first',
    });
    assert.deepEqual(machine.commandTarget('quote'), { slot: 0 }, 'the other strategy still takes commands');
    machine.crashed('the symbol workflow failed: boom');
    assert.match(
      (machine.commandTarget('quote') as { refused: string }).refused,
      /^the symbol has failed \(the symbol workflow failed: boom\)/,
    );
    machine.handle({ kind: 'stop' });
    assert.deepEqual(machine.commandTarget('quote'), { refused: 'the symbol is being removed' });
  });

  test('a position changed on the venue goes to every standing strategy, paused or not, but not a failed one', () => {
    const change = {
      venue: 'bybit' as const,
      kind: 'position' as const,
      account: 'keel',
      market: 'perp' as const,
      symbol: 'BTC-USDT',
      venueQuantity: '0',
      ledgerQuantity: '-2',
      detectedAt: 0,
    };
    const machine = machineWith();
    machine.boot(undefined);
    machine.settle();
    assert.deepEqual(brief(machine.accountChanged(change)), [
      'accountChange:0',
      'schedule:0',
      'accountChange:1',
      'schedule:1',
    ]);
    machine.failed(1, { type: 'step', slot: 1 }, 'boom', 0);
    assert.deepEqual(brief(machine.accountChanged(change)), ['accountChange:0', 'schedule:0']);
    const paused = machineWith({ paused: true });
    paused.boot(undefined);
    assert.deepEqual(
      brief(paused.accountChanged(change)).filter((e) => e.startsWith('accountChange')),
      ['accountChange:0', 'accountChange:1'],
    );
  });
});
