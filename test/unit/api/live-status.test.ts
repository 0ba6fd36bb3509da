import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedMessages, LiveStatus, type KeyedMessage } from '../../../api/live/live-status';

const symbolStatus = (symbol: string, status: string): KeyedMessage => ({
  key: `symbol:${symbol}`,
  symbol,
  message: { type: 'symbol', data: { symbol, status, problems: [] } },
});

test('only what differs from what was sent under its key, new keys included', () => {
  const sent = new Map<string, string>();
  assert.deepEqual(
    changedMessages(sent, [symbolStatus('A-USDT', 'running'), symbolStatus('B-USDT', 'paused')]).map(
      (keyed) => keyed.key,
    ),
    ['symbol:A-USDT', 'symbol:B-USDT'],
  );
  assert.deepEqual(
    changedMessages(sent, [symbolStatus('A-USDT', 'running'), symbolStatus('B-USDT', 'paused')]),
    [],
  );
  assert.deepEqual(
    changedMessages(sent, [symbolStatus('A-USDT', 'degraded'), symbolStatus('B-USDT', 'paused')]),
    [symbolStatus('A-USDT', 'degraded')],
  );
});

test('reads while followed; a failing source leaves the others told; the latest of each key for newcomers', async () => {
  let status = 'running';
  let reads = 0;
  const live = new LiveStatus(
    [
      async () => {
        reads++;
        return [symbolStatus('A-USDT', status)];
      },
      () => Promise.reject(new Error('PostgreSQL is down')),
    ],
    5,
  );
  const told: KeyedMessage[] = [];
  const stop = live.subscribe((keyed) => told.push(keyed));
  try {
    const toldStatus = (wanted: string) =>
      told.some((keyed) => keyed.message.type === 'symbol' && keyed.message.data.status === wanted);
    // Read every 5 ms while followed: the change is told once, when a round sees it.
    while (!toldStatus('running')) await new Promise((resolve) => setTimeout(resolve, 2));
    status = 'failed';
    while (!toldStatus('failed')) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.deepEqual(
      told.map((keyed) => keyed.message.type === 'symbol' && keyed.message.data.status),
      ['running', 'failed'],
    );
    assert.deepEqual(live.current(), [symbolStatus('A-USDT', 'failed')]);
    // Three more rounds of the same state tell nothing more.
    const seen = reads;
    while (reads < seen + 3) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal(told.length, 2);
    stop();
    const before = reads;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(reads, before, 'no reads once nobody follows (six rounds would have run)');
  } finally {
    live.close();
  }
});
