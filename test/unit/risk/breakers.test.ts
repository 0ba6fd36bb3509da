import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Observations } from '../../../activities/risk';
import type { VenueHealth } from '../../../db/risk-observations';
import {
  BreakerSettingsSchema,
  emptyMemory,
  evaluateBreakers,
  forgetCleared,
  type BreakerAction,
  type BreakerMemory,
  type BreakerSettings,
} from '../../../workflows/risk/breakers';

/** Breakers as a test sets them: every one off but the one it looks at (drawdown is off unless set). */
const settingsOf = (input: Record<string, unknown> = {}): BreakerSettings =>
  BreakerSettingsSchema.parse({
    latency: { windowMs: 2_000, p99Ms: 250, minCalls: 3, state: 'REDUCING' },
    errors: { windowMs: 60_000, maxRate: 0.5, minCalls: 10 },
    stale: { maxAgeMs: 30_000 },
    denials: { perMinute: 30 },
    ...input,
  });

const health = (venue: string, fields: Partial<VenueHealth> = {}): VenueHealth => ({
  venue,
  calls: 10,
  errors: 0,
  p50Ms: 20,
  p99Ms: 50,
  lastOk: true,
  ...fields,
});

/** A quiet world: nothing slow, nothing failing, no books, no denials. */
const seen = (fields: Partial<Observations> = {}): Observations => ({
  latency: [],
  errors: [],
  quotes: [],
  denials: 0,
  held: [],
  ...fields,
});

const quote = (symbol: string, ageMs: number | null, venue = 'binance', market = 'spot') => ({
  venue,
  market,
  symbol,
  ageMs,
});

/** Runs the looks in order from `memory`, returning each look's actions and the memory after the last. */
function looks(settings: BreakerSettings, observations: Observations[], memory = emptyMemory()) {
  const all: BreakerAction[][] = [];
  for (const observed of observations) {
    const decided = evaluateBreakers(settings, observed, memory);
    all.push(decided.actions);
    memory = decided.memory;
  }
  return { actions: all, memory };
}

/** An action as `trip|lift breaker scope key state` or `alert incident`, for compact assertions. */
const brief = (action: BreakerAction): string =>
  action.type === 'alert'
    ? `alert ${action.incident}`
    : `${action.type} ${action.trip.breaker} ${action.trip.scope} ${action.trip.key} ${action.trip.state}`;
const briefs = (actions: BreakerAction[]) => actions.map(brief);
const alerts = (actions: BreakerAction[]) =>
  actions.flatMap((action) => (action.type === 'alert' ? [action] : []));

describe('breaker settings', () => {
  test('defaults: every breaker on but drawdown, looking every 2 s', () => {
    const defaults = BreakerSettingsSchema.parse(undefined);
    assert.equal(defaults.everyMs, 2_000);
    assert.deepEqual(defaults.latency, { windowMs: 30_000, p99Ms: 2_000, minCalls: 5, state: 'REDUCING' });
    assert.deepEqual(defaults.errors, { windowMs: 60_000, maxRate: 0.5, minCalls: 10 });
    assert.equal(defaults.drawdown, undefined);
    assert.deepEqual(defaults.stale, { maxAgeMs: 30_000 });
    assert.deepEqual(defaults.denials, { perMinute: 30 });
  });

  test('bad settings are refused', () => {
    for (const bad of [
      { everyMs: 100 },
      { latency: { state: 'ACTIVE' } },
      { errors: { maxRate: 1.5 } },
      { drawdown: { maxLoss: '-5' } },
      { drawdown: {} },
    ])
      assert.throws(() => BreakerSettingsSchema.parse(bad), JSON.stringify(bad));
  });
});

describe('latency breaker', () => {
  const settings = settingsOf();

  test('trips the venue to its configured state when p99 is just above the bound over enough calls', () => {
    const { actions, memory } = evaluateBreakers(
      settings,
      seen({ latency: [health('binance', { calls: 3, p99Ms: 250.5 })] }),
      emptyMemory(),
    );
    assert.deepEqual(briefs(actions), [
      'trip latency venue binance REDUCING',
      'alert breaker:latency:venue:binance#1',
    ]);
    const [trip, alert] = actions;
    assert.equal(trip?.type, 'trip');
    assert.match(
      trip.type === 'trip' ? trip.trip.reason : '',
      /p99 251 ms over 3 calls in 2 s is above 250 ms/,
    );
    assert.equal(alert?.type, 'alert');
    assert.match(
      alert.type === 'alert' ? alert.text : '',
      /^Keel: latency breaker tripped, venue binance is REDUCING: /,
    );
    assert.deepEqual(Object.keys(memory.tripped), ['latency:venue:binance']);
  });

  test('trips HALTED when so configured', () => {
    const halting = settingsOf({ latency: { windowMs: 2_000, p99Ms: 250, minCalls: 3, state: 'HALTED' } });
    const { actions } = evaluateBreakers(
      halting,
      seen({ latency: [health('okx', { calls: 3, p99Ms: 900 })] }),
      emptyMemory(),
    );
    assert.equal(brief(actions[0] as BreakerAction), 'trip latency venue okx HALTED');
  });

  test('does not trip at exactly the bound, nor on fewer calls than minCalls', () => {
    for (const venue of [
      health('binance', { calls: 3, p99Ms: 250 }),
      health('binance', { calls: 2, p99Ms: 5_000 }),
      health('binance', { calls: 100, p99Ms: 249.9 }),
    ]) {
      const { actions, memory } = evaluateBreakers(settings, seen({ latency: [venue] }), emptyMemory());
      assert.deepEqual(actions, [], JSON.stringify(venue));
      assert.deepEqual(memory, emptyMemory());
    }
  });

  test('holds while slow, lifts by itself once p99 is back under the bound, and says so once', () => {
    const slow = seen({ latency: [health('binance', { calls: 8, p99Ms: 400 })] });
    const fast = seen({ latency: [health('binance', { calls: 8, p99Ms: 30 })] });
    const { actions, memory } = looks(settings, [slow, slow, slow, fast, fast]);
    assert.deepEqual(actions.map(briefs), [
      ['trip latency venue binance REDUCING', 'alert breaker:latency:venue:binance#1'],
      [],
      [],
      ['lift latency venue binance REDUCING', 'alert breaker:latency:venue:binance:lifted#2'],
      [],
    ]);
    const lift = actions[3]?.[0];
    assert.equal(lift?.type === 'lift' && lift.reason, 'p99 30 ms is back under 250 ms');
    assert.match(
      alerts(actions[3] ?? [])[0]?.text ?? '',
      /^Keel: latency breaker lifted, venue binance is ACTIVE again: p99 30 ms/,
    );
    assert.deepEqual(memory.tripped, {});
  });

  test('lifts when the tripped venue has no calls left in the window', () => {
    const { actions } = looks(settings, [
      seen({ latency: [health('binance', { calls: 5, p99Ms: 400 })] }),
      seen(),
    ]);
    assert.deepEqual(actions[1]?.map(brief), [
      'lift latency venue binance REDUCING',
      'alert breaker:latency:venue:binance:lifted#2',
    ]);
    const lift = actions[1]?.[0];
    assert.equal(lift?.type === 'lift' && lift.reason, 'no slow calls left in the window');
  });

  test('once tripped, holds while the few calls left are still slow', () => {
    const { actions } = looks(settings, [
      seen({ latency: [health('binance', { calls: 5, p99Ms: 400 })] }),
      seen({ latency: [health('binance', { calls: 1, p99Ms: 900 })] }),
      seen({ latency: [health('binance', { calls: 1, p99Ms: 40 })] }),
    ]);
    assert.deepEqual(actions.map(briefs), [
      ['trip latency venue binance REDUCING', 'alert breaker:latency:venue:binance#1'],
      [],
      ['lift latency venue binance REDUCING', 'alert breaker:latency:venue:binance:lifted#2'],
    ]);
  });

  test('a state a breaker holds in the database that the memory does not know is adopted and lifted by the same rules', () => {
    const held = {
      breaker: 'latency' as const,
      scope: 'venue' as const,
      key: 'binance',
      state: 'REDUCING' as const,
      reason: 'from an earlier risk workflow',
    };
    const { actions, memory } = looks(settings, [
      seen({ held: [held], latency: [health('binance', { calls: 8, p99Ms: 400 })] }),
      seen({ held: [held], latency: [health('binance', { calls: 8, p99Ms: 30 })] }),
    ]);
    assert.deepEqual(actions.map(briefs), [
      [],
      ['lift latency venue binance REDUCING', 'alert breaker:latency:venue:binance:lifted#1'],
    ]);
    assert.deepEqual(memory.tripped, {});
  });

  test('each venue trips and lifts on its own', () => {
    const { actions } = looks(settings, [
      seen({ latency: [health('binance', { p99Ms: 400 }), health('okx', { p99Ms: 10 })] }),
      seen({ latency: [health('binance', { p99Ms: 400 }), health('okx', { p99Ms: 400 })] }),
      seen({ latency: [health('binance', { p99Ms: 10 }), health('okx', { p99Ms: 400 })] }),
    ]);
    assert.deepEqual(actions.map(briefs), [
      ['trip latency venue binance REDUCING', 'alert breaker:latency:venue:binance#1'],
      ['trip latency venue okx REDUCING', 'alert breaker:latency:venue:okx#2'],
      ['lift latency venue binance REDUCING', 'alert breaker:latency:venue:binance:lifted#3'],
    ]);
  });
});

describe('error rate breaker', () => {
  const settings = settingsOf({ errors: { windowMs: 60_000, maxRate: 0.5, minCalls: 10 } });

  test('trips the venue HALTED above maxRate over enough calls; not at maxRate or below minCalls', () => {
    const tripped = evaluateBreakers(
      settings,
      seen({ errors: [health('binance', { calls: 10, errors: 6 })] }),
      emptyMemory(),
    );
    assert.deepEqual(briefs(tripped.actions), [
      'trip errors venue binance HALTED',
      'alert breaker:errors:venue:binance#1',
    ]);
    assert.match(
      alerts(tripped.actions)[0]?.text ?? '',
      /errors breaker tripped, venue binance is HALTED: 6 of 10 calls failed in 60 s \(above 50 %\)/,
    );
    for (const venue of [
      health('binance', { calls: 10, errors: 5 }),
      health('binance', { calls: 9, errors: 9, lastOk: false }),
    ])
      assert.deepEqual(
        evaluateBreakers(settings, seen({ errors: [venue] }), emptyMemory()).actions.filter(
          (action) => action.type === 'trip',
        ),
        [],
        JSON.stringify(venue),
      );
  });

  test('does not lift by itself, however healthy the venue becomes or however quiet', () => {
    const { actions, memory } = looks(settings, [
      seen({ errors: [health('binance', { calls: 20, errors: 15 })] }),
      seen({ errors: [health('binance', { calls: 20, errors: 0 })] }),
      seen(),
      seen({ errors: [health('binance', { calls: 200, errors: 1 })] }),
    ]);
    assert.deepEqual(actions.slice(1), [[], [], []]);
    assert.deepEqual(Object.keys(memory.tripped), ['errors:venue:binance']);
  });
});

describe('drawdown breaker', () => {
  const settings = settingsOf({ drawdown: { windowMs: 60_000, maxLoss: '100' } });
  const pnl = (peak: string, now: string) => seen({ pnl: { peak, now } });

  test('halts everything when PnL falls more than maxLoss below its peak, not at exactly maxLoss', () => {
    assert.deepEqual(evaluateBreakers(settings, pnl('250.5', '150.5'), emptyMemory()).actions, []);
    assert.deepEqual(evaluateBreakers(settings, pnl('0', '-100'), emptyMemory()).actions, []);
    const { actions } = evaluateBreakers(settings, pnl('0', '-100.000000000001'), emptyMemory());
    assert.deepEqual(briefs(actions), ['trip drawdown global  HALTED', 'alert breaker:drawdown:global:#1']);
    assert.match(
      alerts(actions)[0]?.text ?? '',
      /^Keel: drawdown breaker tripped, global all is HALTED: PnL -100\.000000000001 is 100\.000000000001 below its peak 0 within 60 s \(limit 100\)$/,
    );
  });

  test('does not lift by itself when PnL recovers', () => {
    const { actions, memory } = looks(settings, [pnl('500', '300'), pnl('500', '499'), pnl('500', '600')]);
    assert.equal(actions[0]?.length, 2);
    assert.deepEqual(actions.slice(1), [[], []]);
    assert.deepEqual(Object.keys(memory.tripped), ['drawdown:global:']);
  });

  test('is off unless configured', () => {
    assert.deepEqual(evaluateBreakers(settingsOf(), pnl('1000', '-1000'), emptyMemory()).actions, []);
  });
});

describe('stale quote breaker', () => {
  const settings = settingsOf({ stale: { maxAgeMs: 5_000 } });

  test('halts the symbol when its quote is older than maxAgeMs or missing; not at exactly maxAgeMs', () => {
    assert.deepEqual(
      evaluateBreakers(settings, seen({ quotes: [quote('BTC-USDT', 5_000)] }), emptyMemory()).actions,
      [],
    );
    const old = evaluateBreakers(settings, seen({ quotes: [quote('BTC-USDT', 5_001)] }), emptyMemory());
    assert.deepEqual(briefs(old.actions), [
      'trip stale symbol BTC-USDT HALTED',
      'alert breaker:stale:symbol:BTC-USDT#1',
    ]);
    assert.match(
      alerts(old.actions)[0]?.text ?? '',
      /the latest binance spot quote for BTC-USDT is 5 s old \(limit 5 s\)/,
    );
    const none = evaluateBreakers(
      settings,
      seen({ quotes: [quote('ETH-USDT', null, 'okx')] }),
      emptyMemory(),
    );
    assert.deepEqual(briefs(none.actions), [
      'trip stale symbol ETH-USDT HALTED',
      'alert breaker:stale:symbol:ETH-USDT#1',
    ]);
    assert.match(alerts(none.actions)[0]?.text ?? '', /okx spot gives no quote for ETH-USDT/);
  });

  test('lifts by itself once the quotes are fresh again', () => {
    const { actions, memory } = looks(settings, [
      seen({ quotes: [quote('BTC-USDT', null)] }),
      seen({ quotes: [quote('BTC-USDT', 60_000)] }),
      seen({ quotes: [quote('BTC-USDT', 200)] }),
    ]);
    assert.deepEqual(actions.map(briefs), [
      ['trip stale symbol BTC-USDT HALTED', 'alert breaker:stale:symbol:BTC-USDT#1'],
      [],
      ['lift stale symbol BTC-USDT HALTED', 'alert breaker:stale:symbol:BTC-USDT:lifted#2'],
    ]);
    const lift = actions[2]?.[0];
    assert.equal(lift?.type === 'lift' && lift.reason, 'BTC-USDT quotes are fresh again');
    assert.deepEqual(memory.tripped, {});
  });

  test('a symbol stale on one of its books and fresh on another stays halted: no trip and lift every look', () => {
    // The trip is per canonical symbol (all venues), while quotes are per book (venue, market, account).
    const mixed = seen({
      quotes: [quote('BTC-USDT', 100, 'binance'), quote('BTC-USDT', null, 'okx')],
    });
    const { actions, memory } = looks(settings, [mixed, mixed, mixed]);
    assert.deepEqual(actions.map(briefs), [
      ['trip stale symbol BTC-USDT HALTED', 'alert breaker:stale:symbol:BTC-USDT#1'],
      [],
      [],
    ]);
    assert.deepEqual(Object.keys(memory.tripped), ['stale:symbol:BTC-USDT']);
    // And the book order does not matter.
    const reversed = seen({ quotes: [quote('BTC-USDT', null, 'okx'), quote('BTC-USDT', 100, 'binance')] });
    assert.deepEqual(looks(settings, [reversed, reversed]).actions[1], []);
  });
});

describe('connectivity and denial alerts', () => {
  const settings = settingsOf({ errors: { windowMs: 60_000, maxRate: 0.5, minCalls: 1_000 } });
  const failing = (calls: number) => health('binance', { calls, errors: calls, lastOk: false });

  test('lost connectivity alerts once when every one of at least 3 calls failed; restored once on the first success', () => {
    const { actions, memory } = looks(settings, [
      seen({ errors: [failing(2)] }),
      seen({ errors: [failing(3)] }),
      seen({ errors: [failing(7)] }),
      seen({ errors: [failing(12)] }),
      seen({ errors: [health('binance', { calls: 13, errors: 12, lastOk: true })] }),
      seen({ errors: [health('binance', { calls: 14, errors: 12, lastOk: true })] }),
    ]);
    assert.deepEqual(actions.map(briefs), [
      [],
      ['alert connectivity:binance:lost#1'],
      [],
      [],
      ['alert connectivity:binance:restored#2'],
      [],
    ]);
    assert.equal(
      alerts(actions[1] ?? [])[0]?.text,
      'Keel: lost connectivity to binance: the last 3 calls all failed',
    );
    assert.equal(alerts(actions[4] ?? [])[0]?.text, 'Keel: connectivity to binance restored');
    assert.deepEqual(memory.lost, {});
    // These are alerts only: no trading state changes.
    assert.ok(actions.flat().every((action) => action.type === 'alert'));
  });

  test('a venue lost again after it was restored is a new incident', () => {
    const { actions } = looks(settings, [
      seen({ errors: [failing(3)] }),
      seen({ errors: [health('binance', { calls: 4, errors: 3, lastOk: true })] }),
      seen({ errors: [failing(5)] }),
    ]);
    assert.deepEqual(actions.flat().map(brief), [
      'alert connectivity:binance:lost#1',
      'alert connectivity:binance:restored#2',
      'alert connectivity:binance:lost#3',
    ]);
  });

  test('a burst of denials alerts once per burst', () => {
    const denials = (count: number) => seen({ denials: count });
    const { actions } = looks(settings, [
      denials(30),
      denials(31),
      denials(80),
      denials(31),
      denials(5),
      denials(40),
    ]);
    assert.deepEqual(actions.map(briefs), [[], ['alert denials#1'], [], [], [], ['alert denials#2']]);
    assert.equal(
      alerts(actions[1] ?? [])[0]?.text,
      'Keel: the risk check denied 31 orders in the last minute (alert above 30)',
    );
  });
});

describe('incident ids and memory', () => {
  const settings = settingsOf({
    errors: { windowMs: 60_000, maxRate: 0.5, minCalls: 4 },
    drawdown: { windowMs: 60_000, maxLoss: '10' },
    stale: { maxAgeMs: 5_000 },
    denials: { perMinute: 2 },
  });
  /** A storm: every breaker and alert fires, recovers, fires again. */
  const storm: Observations[] = [
    seen({
      latency: [health('binance', { p99Ms: 900 }), health('okx', { p99Ms: 900 })],
      errors: [health('binance', { calls: 5, errors: 5, lastOk: false })],
      quotes: [quote('BTC-USDT', null), quote('ETH-USDT', 100)],
      pnl: { peak: '100', now: '50' },
      denials: 3,
    }),
    seen({
      latency: [health('binance', { p99Ms: 10 })],
      errors: [health('binance', { calls: 6, errors: 5, lastOk: true })],
      quotes: [quote('BTC-USDT', 100), quote('ETH-USDT', 9_000)],
      pnl: { peak: '100', now: '100' },
      denials: 0,
    }),
    seen({
      latency: [health('binance', { p99Ms: 900 })],
      errors: [health('binance', { calls: 9, errors: 9, lastOk: false })],
      quotes: [quote('BTC-USDT', null), quote('ETH-USDT', 100)],
      denials: 9,
    }),
  ];

  test('every alert has an incident id of its own', () => {
    const { actions, memory } = looks(settings, storm);
    const ids = alerts(actions.flat()).map((alert) => alert.incident);
    assert.ok(ids.length >= 12, `only ${ids.length} alerts`);
    assert.equal(new Set(ids).size, ids.length, `repeated: ${ids.join(', ')}`);
    assert.equal(memory.incidents, ids.length);
    // Numbered in order, whatever the breaker.
    assert.deepEqual(
      ids.map((id) => Number(id.split('#')[1])),
      ids.map((_, index) => index + 1),
    );
  });

  test('replaying the same observations from the same memory gives the same actions and incident ids', () => {
    const first = looks(settings, storm);
    const again = looks(settings, storm);
    assert.deepEqual(again, first);
    // From a memory carried over (as across continue-as-new), including a JSON round trip.
    const start = looks(settings, storm.slice(0, 1));
    const carried = JSON.parse(JSON.stringify(start.memory)) as BreakerMemory;
    assert.deepEqual(looks(settings, storm.slice(1), carried), looks(settings, storm.slice(1), start.memory));
    assert.deepEqual(looks(settings, storm.slice(1), carried).actions, first.actions.slice(1));
  });

  test('does not change the memory it was given', () => {
    const memory = looks(settings, storm.slice(0, 1)).memory;
    const copy = structuredClone(memory);
    evaluateBreakers(settings, storm[1] as Observations, memory);
    evaluateBreakers(settings, storm[2] as Observations, memory);
    assert.deepEqual(memory, copy);
  });

  test("forgetCleared: once an operator's ACTIVE cleared a breaker's state, it may trip again", () => {
    const both = seen({
      latency: [health('binance', { p99Ms: 900 })],
      errors: [health('binance', { calls: 5, errors: 5, lastOk: false })],
    });
    let { memory } = looks(settings, [both]);
    assert.deepEqual(Object.keys(memory.tripped).sort(), ['errors:venue:binance', 'latency:venue:binance']);
    // Still tripped: another look changes nothing.
    assert.deepEqual(evaluateBreakers(settings, both, memory).actions, []);

    // The operator's ACTIVE at venue binance cleared the errors breaker's state (and an operator's own).
    memory = forgetCleared(memory, 'venue', 'binance', ['breaker:errors', 'operator']);
    assert.deepEqual(Object.keys(memory.tripped), ['latency:venue:binance']);
    const again = evaluateBreakers(settings, both, memory);
    assert.deepEqual(briefs(again.actions), [
      'trip errors venue binance HALTED',
      `alert breaker:errors:venue:binance#${memory.incidents + 1}`,
    ]);
    // Once more the same: held again.
    assert.deepEqual(evaluateBreakers(settings, both, again.memory).actions, []);
  });

  test('forgetCleared touches only the scope and key it was given, and not the given memory', () => {
    const { memory } = looks(settings, [
      seen({
        errors: [
          health('binance', { calls: 5, errors: 5, lastOk: false }),
          health('okx', { calls: 5, errors: 5, lastOk: false }),
        ],
      }),
    ]);
    const before = structuredClone(memory);
    const after = forgetCleared(memory, 'venue', 'okx', ['breaker:errors']);
    assert.deepEqual(Object.keys(after.tripped), ['errors:venue:binance']);
    assert.deepEqual(forgetCleared(memory, 'symbol', 'binance', ['breaker:errors']).tripped, memory.tripped);
    assert.deepEqual(memory, before);
    assert.equal(after.incidents, memory.incidents);
  });
});
