import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NumericRing } from '../../../signal/ring';

test('under any sequence of pushes the ring holds exactly the latest `capacity` records, in its own storage', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 16 }),
      fc.array(fc.double({ noNaN: true }), { maxLength: 100 }),
      (capacity, values) => {
        const ring = new NumericRing(['time', 'value'], capacity);
        const storage = ring.column('value');
        const record = { time: 0, value: 0 };
        values.forEach((value, index) => {
          record.time = index;
          record.value = value;
          ring.push(record);
        });
        const kept = values.slice(-capacity);
        assert.equal(ring.size, kept.length);
        assert.equal(ring.pushed, values.length);
        assert.deepEqual(
          kept.map((_, index) => ring.get('value', index)),
          kept,
        );
        assert.equal(ring.column('value'), storage, 'never reallocated');
        assert.equal(storage.length, capacity);
      },
    ),
  );
});

test('firstAtLeast finds the oldest record at or after a value, as a scan would', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }),
      fc.integer({ min: -2, max: 120 }),
      (capacity, steps, probe) => {
        const ring = new NumericRing(['time'], capacity);
        let time = 0;
        const times: number[] = [];
        for (const step of steps) {
          time += step;
          times.push(time);
          ring.push({ time });
        }
        const kept = times.slice(-capacity);
        const expected = kept.findIndex((value) => value >= probe);
        assert.equal(ring.firstAtLeast('time', probe), expected === -1 ? kept.length : expected);
      },
    ),
  );
});

test('refuses a capacity that is not a positive integer, and an index outside what it holds', () => {
  assert.throws(() => new NumericRing(['time'], 0), /positive integer/);
  const ring = new NumericRing(['time'], 2);
  assert.throws(() => ring.get('time', 0), /outside/);
});
