import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TrackerInputSchema,
  trackerLegs,
  trackerWorkflowId,
} from '../../../workflows/scanner/tracker/tracker-messages';
import {
  lastSlot,
  nextSlot,
  resumeAfter,
  slotAt,
  spreadBps,
  trackingOutcome,
  type OutcomeInput,
} from '../../../workflows/scanner/tracker/tracking-rules';

const START = 1_700_000_000_000;

describe('tracker schedule: slots fixed against the clock', () => {
  test('slot k is due at start + k × interval; 3 h at 200 ms is 54,000 slots after slot 0', () => {
    assert.equal(slotAt(START, 200, 0), START);
    assert.equal(slotAt(START, 200, 7), START + 1400);
    assert.equal(lastSlot(3 * 3600_000, 200), 54_000);
    assert.equal(lastSlot(2_000, 300), 6);
  });

  const cases: Array<{ name: string; lastSeq: number; now: number; expected: ReturnType<typeof nextSlot> }> =
    [
      {
        name: 'before the first slot: wait for slot 0',
        lastSeq: -1,
        now: START - 50,
        expected: { seq: 0, at: START, waitMs: 50 },
      },
      {
        name: 'the first slot is due now',
        lastSeq: -1,
        now: START,
        expected: { seq: 0, at: START, waitMs: 0 },
      },
      {
        name: 'a sample that took 130 ms does not push the next slot back',
        lastSeq: 0,
        now: START + 130,
        expected: { seq: 1, at: START + 200, waitMs: 70 },
      },
      {
        name: 'late by less than an interval: the following slot is sampled at once',
        lastSeq: 4,
        now: START + 5 * 200 + 150,
        expected: { seq: 5, at: START + 1000, waitMs: 0 },
      },
      {
        name: 'late by more: the slots in between are skipped, never sampled late',
        lastSeq: 4,
        now: START + 8 * 200 + 10,
        expected: { seq: 8, at: START + 1600, waitMs: 0, missed: { from: 5, to: 7 } },
      },
      {
        name: 'a restart 5 s later skips 24 slots',
        lastSeq: 9,
        now: START + 35 * 200,
        expected: { seq: 35, at: START + 7000, waitMs: 0, missed: { from: 10, to: 34 } },
      },
    ];
  for (const { name, lastSeq, now, expected } of cases)
    test(name, () => assert.deepEqual(nextSlot(START, 200, lastSeq, now), expected));

  test('following the schedule with random work times: no drift, every slot sampled or skipped once', () => {
    let now = START;
    let lastSeq = -1;
    const seen: number[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 260;
    while (lastSeq < 500) {
      const slot = nextSlot(START, 200, lastSeq, now);
      if (slot.missed) for (let s = slot.missed.from; s <= slot.missed.to; s++) seen.push(s);
      now += slot.waitMs;
      assert.ok(now - slot.at < 200, `slot ${slot.seq} sampled ${now - slot.at} ms late`);
      seen.push(slot.seq);
      lastSeq = slot.seq;
      now += random();
    }
    assert.deepEqual(
      seen,
      Array.from({ length: seen.length }, (_, i) => i),
    );
  });

  test('a retry resumes after the further of the table and the heartbeat', () => {
    assert.equal(resumeAfter(undefined, undefined), -1);
    assert.equal(resumeAfter(41, undefined), 41);
    assert.equal(resumeAfter(undefined, 24), 24);
    assert.equal(resumeAfter(49, 24), 49);
  });
});

describe('tracker outcome', () => {
  test('spread is (perp bid − spot ask) / spot ask in bps', () => {
    assert.equal(spreadBps(100, 101), 100);
    assert.ok(Math.abs(spreadBps(100, 100.05) - 5) < 1e-9);
    assert.equal(spreadBps(100, 99), -100);
  });

  const base: OutcomeInput = {
    spreadBps: 80,
    exitBps: 10,
    seq: 5,
    lastSeq: 100,
    spotDownMs: 0,
    perpDownMs: 0,
    feedDownMs: 5_000,
  };
  const cases: Array<[string, Partial<OutcomeInput>, ReturnType<typeof trackingOutcome>]> = [
    ['still open', {}, undefined],
    ['below the exit threshold: converged', { spreadBps: 9.99 }, 'CONVERGED'],
    ['at the exit threshold: still open', { spreadBps: 10 }, undefined],
    ['a negative spread converged too', { spreadBps: -30 }, 'CONVERGED'],
    ['the last slot: expired', { seq: 100 }, 'EXPIRED'],
    ['converging on the last slot is a convergence', { seq: 100, spreadBps: 3 }, 'CONVERGED'],
    ['a leg unread for 4 s: still open', { spreadBps: undefined, perpDownMs: 4_000 }, undefined],
    ['a leg unread beyond the limit: feed down', { spreadBps: undefined, perpDownMs: 5_001 }, 'FEED_DOWN'],
    ['the spot leg alike', { spreadBps: undefined, spotDownMs: 9_000 }, 'FEED_DOWN'],
    [
      'a lost leg at the horizon is feed down, not expiry',
      { spreadBps: undefined, seq: 100, spotDownMs: 6_000 },
      'FEED_DOWN',
    ],
    ['a lost leg is never a convergence', { spreadBps: undefined, exitBps: 1e9 }, undefined],
  ];
  for (const [name, change, expected] of cases)
    test(name, () => assert.equal(trackingOutcome({ ...base, ...change }), expected));
});

describe('tracker identity and input', () => {
  test('the workflow id names symbol and direction', () => {
    assert.equal(
      trackerWorkflowId('BTC-USDT', 'binance-spot>bybit-perp'),
      'scanner-track:BTC-USDT:binance-spot>bybit-perp',
    );
  });

  test('the legs come from the direction', () => {
    assert.deepEqual(trackerLegs('okx-spot>mexc-perp'), {
      spot: { venue: 'okx', market: 'spot', account: 'keel' },
      perp: { venue: 'mexc', market: 'perp', account: 'keel' },
    });
    assert.throws(() => trackerLegs('okx-spot>okx-perp'), /unknown scanner direction/);
  });

  test('defaults: 200 ms for 3 h, exit 10 bps, feed down after 5 s, batches of 25', () => {
    const input = TrackerInputSchema.parse({
      symbol: 'BTC-USDT',
      direction: 'binance-spot>bybit-perp',
      ...trackerLegs('binance-spot>bybit-perp'),
      entryBps: 75,
    });
    assert.deepEqual(
      [input.intervalMs, input.horizonMs, input.exitBps, input.feedDownMs, input.batchSize, input.flushMs],
      [200, 10_800_000, 10, 5_000, 25, 5_000],
    );
  });

  test('bad input is refused naming each bad key', () => {
    const result = TrackerInputSchema.safeParse({
      symbol: 'BTC-USDT',
      direction: 'binance-spot>bybit-perp',
      spot: { venue: 'okx', market: 'spot' },
      perp: { venue: 'bybit', market: 'perp' },
      entryBps: 5,
      intervalMs: 0,
    });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.')).sort();
    assert.deepEqual(paths, ['exitBps', 'intervalMs', 'spot']);
    assert.throws(() => trackerWorkflowId('BTC-USDT', 'nowhere'), /unknown scanner direction/);
  });
});
