import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { emptyLatencyHistogram, latencyQuantile, recordLatency } from '../../../domain/latency-histogram';

test('quantiles by hand: 1..100 gives p50 in the bucket of 50 and p99 in the bucket of 99', () => {
  const histogram = emptyLatencyHistogram();
  for (let value = 1; value <= 100; value++) recordLatency(histogram, value);
  // 50 is in [2^(22/4), 2^(23/4)) = [45.25, 53.82): its upper bound.
  assert.equal(latencyQuantile(histogram, 0.5), 2 ** (23 / 4));
  // 99 is in [2^(26/4), 2^(27/4)) = [90.5, 107.6): capped at the largest sample, 100.
  assert.equal(latencyQuantile(histogram, 0.99), 100);
  assert.equal(histogram.count, 100);
  assert.equal(latencyQuantile(emptyLatencyHistogram(), 0.5), undefined);
  recordLatency(histogram, -1);
  recordLatency(histogram, Number.NaN);
  assert.equal(histogram.count, 100, 'not latencies: dropped');
});

test('property: a quantile read from the buckets is within one bucket (×2^¼) above the exact one', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      (values, q) => {
        const histogram = emptyLatencyHistogram();
        for (const value of values) recordLatency(histogram, value);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(1, Math.ceil(q * values.length)) - 1]!;
        const read = latencyQuantile(histogram, q)!;
        assert.ok(read >= exact && read <= exact * 2 ** 0.25 + 1e-9, `${read} for exact ${exact}`);
      },
    ),
  );
});
