import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inFlightUpdateLane, MAX_IN_FLIGHT_UPDATES, queryLane } from '../../../api/workflow-lanes';

/** Runs `count` calls through `lane` on the given workflow ids and reports the most that ran at once per id. */
async function peakConcurrency(
  lane: typeof queryLane,
  ids: string[],
  count: number,
): Promise<Record<string, number>> {
  const running: Record<string, number> = {};
  const peak: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const id = ids[index % ids.length] ?? '';
      return lane(id, async () => {
        running[id] = (running[id] ?? 0) + 1;
        peak[id] = Math.max(peak[id] ?? 0, running[id] ?? 0);
        await sleep(2);
        running[id] = (running[id] ?? 0) - 1;
      });
    }),
  );
  return peak;
}

describe('workflow lanes: per-workflow queues of this process', () => {
  test('queries to one workflow run one at a time; different workflows do not wait for each other', async () => {
    assert.deepEqual(await peakConcurrency(queryLane, ['root', 'shard:0', 'shard:1'], 30), {
      root: 1,
      'shard:0': 1,
      'shard:1': 1,
    });
  });

  test('updates to one workflow stay below the in-flight limit', async () => {
    assert.deepEqual(await peakConcurrency(inFlightUpdateLane, ['root'], 30), {
      root: MAX_IN_FLIGHT_UPDATES,
    });
  });

  test('a failed call frees the lane for the next, and the failure reaches its caller', async () => {
    const failing = queryLane('root', () => Promise.reject(new Error('no answer')));
    const next = queryLane('root', async () => 'answered');
    await assert.rejects(failing, /no answer/);
    assert.equal(await next, 'answered');
  });
});
