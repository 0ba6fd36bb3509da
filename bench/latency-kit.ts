import { setTimeout as sleep } from 'node:timers/promises';

/** The p-th percentile (0..100) of the samples, by rank. */
export const percentile = (samples: number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Polls until `condition` holds; returns when it did (performance.now(), 1 ms resolution). */
export async function until(condition: () => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
  return performance.now();
}
