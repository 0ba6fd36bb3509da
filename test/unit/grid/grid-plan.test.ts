import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  applyEvent,
  applyPrice,
  cancelGrid,
  nextGeneration,
  replacementsOnFill,
  startGrid,
  type GridCommand,
  type GridState,
} from '../../../workflows/strategies/grid/grid-plan';
import { gridParams } from './grid-fixtures';

const rules = { tickSize: '0.01', lotSize: '0.01', minQuantity: '0.01', minNotional: '1' };

const brief = (commands: GridCommand[]) =>
  commands.map((c) =>
    c.type === 'SubmitOrder'
      ? `${c.side} ${c.quantity}@${c.price} L${c.level}#${c.seq}`
      : `cancel L${c.level}#${c.seq}`,
  );

describe('grid plan: start', () => {
  test('long: mid 160 is nearest level 150, which stays empty; buys below it, nothing above', () => {
    const { state, commands } = startGrid(gridParams(), rules, '160');
    assert.deepEqual(brief(commands), ['buy 1@125 L1#0', 'buy 1@100 L0#0']);
    assert.equal(state.inventory, '0');
  });

  test('neutral: buys below the gap, sells above it', () => {
    const { commands } = startGrid(gridParams({ mode: 'neutral' }), rules, '160');
    assert.deepEqual(brief(commands), [
      'buy 1@125 L1#0',
      'buy 1@100 L0#0',
      'sell 1@175 L3#0',
      'sell 1@200 L4#0',
    ]);
  });

  test('the inventory cap limits how many orders are laid out, nearest the price first', () => {
    // Cap 1: one buy (0 + 1 ≤ 1), the second would make 2; one sell (0 - 1 ≥ -1), the second -2.
    const { commands } = startGrid(gridParams({ mode: 'neutral', maxInventory: '1' }), rules, '160');
    assert.deepEqual(brief(commands), ['buy 1@125 L1#0', 'sell 1@175 L3#0']);
  });
});

describe('grid plan: fills', () => {
  test('long: a filled buy is sold one level up; that sell filling buys the level back with a new sequence', () => {
    const p = gridParams();
    let { state } = startGrid(p, rules, '160');
    let step = applyEvent(state, p, { type: 'OrderFilled', level: 1, seq: 0, filledQuantity: '1' });
    assert.deepEqual(brief(step.commands), ['sell 1@150 L2#0']);
    assert.equal(step.state.inventory, '1');
    state = step.state;
    step = applyEvent(state, p, { type: 'OrderFilled', level: 2, seq: 0, filledQuantity: '1' });
    // Level 1's first order was #0, so its second is #1: a fresh client order id.
    assert.deepEqual(brief(step.commands), ['buy 1@125 L1#1']);
    assert.equal(step.state.inventory, '0');
  });

  test('partial fills move inventory; the counter order waits for the full fill', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const partial = applyEvent(state, p, { type: 'OrderFilled', level: 1, seq: 0, filledQuantity: '0.4' });
    assert.deepEqual(partial.commands, []);
    assert.equal(partial.state.inventory, '0.4');
    assert.equal(partial.state.orders[1]?.filled, '0.4');
    const full = applyEvent(partial.state, p, { type: 'OrderFilled', level: 1, seq: 0, filledQuantity: '1' });
    assert.equal(full.state.inventory, '1'); // 0.4 + 0.6, not 0.4 + 1
    assert.deepEqual(brief(full.commands), ['sell 1@150 L2#0']);
  });

  test('a repeated fill report changes nothing (cumulative quantities make events idempotent)', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const once = applyEvent(state, p, { type: 'OrderFilled', level: 0, seq: 0, filledQuantity: '0.5' });
    const twice = applyEvent(once.state, p, { type: 'OrderFilled', level: 0, seq: 0, filledQuantity: '0.5' });
    assert.deepEqual(twice, { state: once.state, commands: [] });
  });

  test('events for an older order of the level are ignored', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const stale = applyEvent(state, p, { type: 'OrderFilled', level: 1, seq: 7, filledQuantity: '1' });
    assert.deepEqual(stale, { state, commands: [] });
  });

  test('a closed order frees its level without a counter order', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const closed = applyEvent(state, p, { type: 'OrderClosed', level: 0, seq: 0 });
    assert.equal(closed.state.orders[0], null);
    assert.deepEqual(closed.commands, []);
  });

  test('a buy filled at the top level has no level above: inventory is held', () => {
    const p = gridParams();
    // Mid 210 → gap at 200 (level 4); buys at 175..100. Fill the 175 buy: its sell goes to 200 (level 4).
    const { state } = startGrid(p, rules, '210');
    const step = applyEvent(state, p, { type: 'OrderFilled', level: 3, seq: 0, filledQuantity: '1' });
    assert.deepEqual(brief(step.commands), ['sell 1@200 L4#0']);
    const top = applyEvent(step.state, p, { type: 'OrderFilled', level: 4, seq: 0, filledQuantity: '1' });
    assert.deepEqual(brief(top.commands), ['buy 1@175 L3#1']);
  });
});

describe('grid plan: price leaves the range', () => {
  test('outOfRange=cancel cancels everything on the way out and lays out a new generation on return', () => {
    const p = gridParams({ outOfRange: 'cancel' });
    const { state } = startGrid(p, rules, '160');
    const out = applyPrice(state, p, rules, '90');
    assert.deepEqual(brief(out.commands), ['cancel L0#0', 'cancel L1#0']);
    assert.equal(out.state.suspended, true);
    assert.deepEqual(applyPrice(out.state, p, rules, '80').commands, []);
    const back = applyPrice(out.state, p, rules, '130');
    // Mid 130 → gap at 125 (level 1): one buy at 100. Generation 1 starts its sequences afresh; the
    // generation is part of the client order id, so (1, L0, #0) differs from the cancelled (0, L0, #0).
    assert.deepEqual(brief(back.commands), ['buy 1@100 L0#0']);
    assert.equal(back.state.generation, 1);
    assert.equal(back.state.suspended, false);
  });

  test('outOfRange=keep leaves resting orders alone', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    assert.deepEqual(applyPrice(state, p, rules, '90'), { state, commands: [] });
  });

  test('new params cancel the old generation, then lay out a new one keeping the inventory', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const filled = applyEvent(state, p, { type: 'OrderFilled', level: 1, seq: 0, filledQuantity: '1' }).state;
    const cancelled = cancelGrid(filled);
    const next = nextGeneration(
      cancelled.state,
      gridParams({ lowerPrice: '120', upperPrice: '160' }),
      rules,
      '150',
    );
    // Old: buy L0#0 and sell L2#0 are cancelled. New levels 120, 130, 140, 150, 160; mid 150 → gap L3.
    // Long with inventory 1: one sell above the gap (L4 @160); buys at 140, 130, 120.
    assert.deepEqual(brief([...cancelled.commands, ...next.commands]), [
      'cancel L0#0',
      'cancel L2#0',
      'buy 1@140 L2#0',
      'buy 1@130 L1#0',
      'buy 1@120 L0#0',
      'sell 1@160 L4#0',
    ]);
    assert.equal(next.state.inventory, '1');
    assert.equal(next.state.generation, 1);
  });

  test('#11.4: a fill that reached the venue before the cancel counts, then the close takes the order off', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    const cancelled = cancelGrid(state);
    assert.equal(cancelled.state.closing?.length, 2);
    // The cancel of L1 answers: it had filled first. Counted, and no counter order for a cancelled one.
    const filled = applyEvent(cancelled.state, p, {
      type: 'OrderFilled',
      generation: 0,
      level: 1,
      seq: 0,
      filledQuantity: '1',
    });
    assert.deepEqual(filled.commands, []);
    assert.equal(filled.state.inventory, '1');
    assert.equal(filled.state.closing?.length, 1, 'a complete fill closes it');
    // The new generation is laid out with that inventory: a long grid now sells it above the gap.
    const next = nextGeneration(filled.state, p, rules, '160');
    assert.equal(next.state.inventory, '1');
    assert.ok(brief(next.commands).includes('sell 1@175 L3#0'));
    // The last report on the other old order arrives after the new layout and still finds it.
    const partly = applyEvent(next.state, p, {
      type: 'OrderFilled',
      generation: 0,
      level: 0,
      seq: 0,
      filledQuantity: '0.5',
    });
    assert.equal(partly.state.inventory, '1.5');
    const closed = applyEvent(partly.state, p, { type: 'OrderClosed', generation: 0, level: 0, seq: 0 });
    assert.deepEqual(closed.state.closing, []);
    assert.equal(closed.state.inventory, '1.5');
    // A late, repeated report changes nothing.
    assert.equal(
      applyEvent(closed.state, p, {
        type: 'OrderFilled',
        generation: 0,
        level: 0,
        seq: 0,
        filledQuantity: '1',
      }).state,
      closed.state,
    );
  });

  test('price leaving the range cancels into closing too: a raced fill still counts', () => {
    const p = gridParams({ outOfRange: 'cancel' });
    const { state } = startGrid(p, rules, '160');
    const out = applyPrice(state, p, rules, '90');
    const raced = applyEvent(out.state, p, {
      type: 'OrderFilled',
      generation: 0,
      level: 0,
      seq: 0,
      filledQuantity: '1',
    });
    assert.equal(raced.state.inventory, '1');
    assert.deepEqual(raced.commands, []);
  });
});

describe('grid plan: invariants under any sequence of fills (property)', () => {
  const events = fc.array(
    fc.record({
      level: fc.integer({ min: 0, max: 6 }),
      fraction: fc.constantFrom('0.5', '1'),
      closed: fc.boolean(),
    }),
    { maxLength: 60 },
  );
  for (const mode of ['long', 'neutral'] as const) {
    test(`${mode}: one order per level, inventory within the cap, sequence numbers never reused`, () => {
      fc.assert(
        fc.property(events, fc.integer({ min: 100, max: 200 }), (script, mid) => {
          const p = gridParams({ mode, levels: 7, maxInventory: '3' });
          let { state, commands } = startGrid(p, rules, String(mid));
          const issued = new Set<string>();
          const track = (cs: GridCommand[], s: GridState) => {
            for (const c of cs) {
              if (c.type !== 'SubmitOrder') continue;
              const id = `${c.generation}/${c.level}/${c.seq}`;
              assert.ok(!issued.has(id), `order ${id} issued twice`);
              issued.add(id);
              assert.equal(c.price, s.prices[c.level]);
            }
          };
          track(commands, state);
          for (const { level, fraction, closed } of script) {
            const order = state.orders[level];
            if (!order) continue;
            const filledQuantity = fraction === '1' ? order.quantity : '0.5';
            ({ state, commands } = closed
              ? applyEvent(state, p, { type: 'OrderClosed', level, seq: order.seq })
              : applyEvent(state, p, { type: 'OrderFilled', level, seq: order.seq, filledQuantity }));
            track(commands, state);
            const inventory = Number(state.inventory);
            assert.ok(inventory <= 3, `inventory ${inventory} above the cap`);
            assert.ok(
              mode === 'long' ? inventory >= 0 : inventory >= -3,
              `inventory ${inventory} below the floor`,
            );
          }
        }),
      );
    });
  }
});

describe('grid plan: replacements decided before the fill (what the watch may place on its own)', () => {
  test('long: a filled buy is replaced by a sell one level up, unless that level is taken', () => {
    const p = gridParams();
    const { state } = startGrid(p, rules, '160');
    assert.deepEqual(
      replacementsOnFill(state, p).map(
        ({ level, replacement }) => `L${level} → ${brief([replacement]).join()}`,
      ),
      // Level 0's buy would sell at level 1, which still holds a buy: no replacement for it.
      ['L1 → sell 1@150 L2#0'],
    );
  });

  // The watch places these on the plan's behalf, so they must be exactly what the plan does when that
  // fill is the first thing it hears of: same level, sequence, side, price and quantity.
  for (const mode of ['long', 'neutral'] as const) {
    test(`${mode}: always the first command applyEvent gives for that order's complete fill`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ level: fc.integer({ min: 0, max: 6 }), full: fc.boolean() }), {
            maxLength: 30,
          }),
          fc.integer({ min: 100, max: 200 }),
          (script, mid) => {
            const p = gridParams({ mode, levels: 7, maxInventory: '3' });
            let { state } = startGrid(p, rules, String(mid));
            for (const { level, full } of script) {
              for (const { level: at, seq, replacement } of replacementsOnFill(state, p)) {
                const order = state.orders[at]!;
                const fill = { type: 'OrderFilled' as const, level: at, seq, filledQuantity: order.quantity };
                assert.deepEqual(applyEvent(state, p, fill).commands[0], replacement);
              }
              const order = state.orders[level];
              if (!order) continue;
              const filledQuantity = full ? order.quantity : '0.5';
              const step = applyEvent(state, p, {
                type: 'OrderFilled',
                level,
                seq: order.seq,
                filledQuantity,
              });
              state = step.state;
            }
          },
        ),
      );
    });
  }
});
