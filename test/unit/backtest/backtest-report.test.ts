import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backtestReport, midAt, type RunFill } from '../../../db/backtest-report';
import { emptyLatencyHistogram, recordLatency } from '../../../domain/latency-histogram';

const fill = (time: number, side: 'buy' | 'sell', price: string, quantity: string): RunFill => ({
  clientOrderId: `o${time}`,
  side,
  price,
  quantity,
  time,
});
const mids = [
  [0, 100],
  [100, 99],
  [1_000, 110],
  [1_100, 111],
  [2_000, 105],
  [2_100, 104],
  [3_000, 100],
  [3_100, 101],
  [11_000, 102],
  [13_100, 103],
].map(([time, mid]) => ({ time: time!, mid: mid! }));

const close = (actual: number | null | undefined, expected: number, what: string) =>
  assert.ok(
    actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9,
    `${what}: ${actual} ≠ ${expected}`,
  );

test('a run computed by hand: PnL, fees, hit rate, adverse selection per horizon, latencies', () => {
  const ticks = emptyLatencyHistogram();
  for (const micros of [2, 3, 4]) recordLatency(ticks, micros);
  const report = backtestReport({
    orders: 5,
    // Buy 1 at 100, sell it at 110 (+10), buy 2 at 105, sell 1 at 100 (−5): 1 left at 105.
    fills: [
      fill(2_000, 'buy', '105', '2'),
      fill(0, 'buy', '100', '1'),
      fill(1_000, 'sell', '110', '1'),
      fill(3_000, 'sell', '100', '1'),
    ],
    feesInQuote: '0.5',
    mids,
    tickToDecisionMicros: ticks,
    decisionToAckMs: emptyLatencyHistogram(),
  });
  assert.equal(report.trades, 4);
  assert.equal(report.orders, 5);
  assert.equal(Number(report.volume), 520);
  assert.equal(Number(report.realizedPnl), 5);
  assert.equal(Number(report.position), 1);
  // Marked at the last mid, 103: 1 × (103 − 105).
  assert.equal(Number(report.unrealizedPnl), -2);
  assert.equal(Number(report.netPnl), 2.5);
  assert.equal(report.closingTrades, 2);
  assert.equal(report.hitRate, 0.5);

  const [ms100, s1, s10] = report.adverseSelection;
  // 100 ms: every fill saw the mid move against it (buy 100→99, sell 110→111, buy 105→104, sell 100→101).
  const moves100 = [100, (1 / 110) * 10_000, (1 / 105) * 10_000, 100];
  close(ms100!.meanBps, moves100.reduce((a, b) => a + b) / 4, '100 ms mean');
  assert.equal(ms100!.adverseShare, 1);
  // 1 s: buy 100→110 (−1000), sell 110→105 (−454.5), buy 105→100 (+476.2), sell 100→101 (+100).
  const moves1s = [-1_000, (-5 / 110) * 10_000, (5 / 105) * 10_000, 100];
  close(s1!.meanBps, moves1s.reduce((a, b) => a + b) / 4, '1 s mean');
  assert.equal(s1!.adverseShare, 0.5);
  // 10 s: buy 100→101 (−100), sell 110→102 (−727.3), buy 105→102 (+285.7), sell 100→102 (+200).
  const moves10s = [-100, (-8 / 110) * 10_000, (3 / 105) * 10_000, 200];
  close(s10!.meanBps, moves10s.reduce((a, b) => a + b) / 4, '10 s mean');
  assert.equal(s10!.fills, 4);
  assert.equal(report.tickToDecisionMicros.count, 3);
  assert.equal(report.tickToDecisionMicros.max, 4);
  assert.equal(report.decisionToAckMs.p50, null);
});

test('a horizon past the recording is not measured; a flat run has no hit rate', () => {
  const report = backtestReport({
    orders: 1,
    fills: [fill(13_000, 'buy', '100', '1')],
    feesInQuote: '0',
    mids,
    tickToDecisionMicros: emptyLatencyHistogram(),
    decisionToAckMs: emptyLatencyHistogram(),
  });
  assert.deepEqual(
    report.adverseSelection.map((horizon) => horizon.fills),
    [1, 0, 0],
  );
  assert.equal(report.hitRate, null);
  assert.equal(midAt(mids, -1), undefined);
  assert.equal(midAt(mids, 1_050), 110);
});
