import { z } from 'zod';

/**
 * Latencies kept as counts in quarter-octave buckets (each 2^¼ ≈ 1.19× wider than the last) from 1 unit
 * up: small enough to carry in a workflow's state across continue-as-new, fine enough that a percentile
 * read from it is within 19% of the true one.
 */
export const LATENCY_BUCKETS = 96;
const PER_OCTAVE = 4;

export const LatencyHistogramSchema = z.object({
  count: z.number().int().min(0),
  /** counts[i]: samples in [2^(i/4), 2^((i+1)/4)); bucket 0 also holds everything under 1. */
  counts: z.array(z.number().int().min(0)).length(LATENCY_BUCKETS),
  max: z.number().min(0),
});
export type LatencyHistogram = z.infer<typeof LatencyHistogramSchema>;

export const emptyLatencyHistogram = (): LatencyHistogram => ({
  count: 0,
  counts: new Array<number>(LATENCY_BUCKETS).fill(0),
  max: 0,
});

const bucketOf = (value: number) =>
  value < 1 ? 0 : Math.min(LATENCY_BUCKETS - 1, Math.floor(Math.log2(value) * PER_OCTAVE));

/** Counts one sample (negative or non-finite ones are not latencies, and are dropped). */
export function recordLatency(histogram: LatencyHistogram, value: number): void {
  if (!Number.isFinite(value) || value < 0) return;
  histogram.counts[bucketOf(value)]! += 1;
  histogram.count += 1;
  histogram.max = Math.max(histogram.max, value);
}

/** The q-quantile (0..1) as its bucket's upper bound (capped at the largest sample); undefined when empty. */
export function latencyQuantile(histogram: LatencyHistogram, q: number): number | undefined {
  if (histogram.count === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * histogram.count));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.counts.length; bucket++) {
    seen += histogram.counts[bucket]!;
    if (seen >= rank) return Math.min(histogram.max, 2 ** ((bucket + 1) / PER_OCTAVE));
  }
  return histogram.max;
}
