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
    60_000,
  );
  const told: KeyedMessage[] = [];
  const stop = live.subscribe((keyed) => told.push(keyed));
  try {
    // The first read starts with the first follower; a read asked for while one goes is skipped.
    while (told.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    status = 'failed';
    await live.read();
    assert.deepEqual(
      told.map((keyed) => keyed.message.type === 'symbol' && keyed.message.data.status),
      ['running', 'failed'],
    );
    assert.deepEqual(live.current(), [symbolStatus('A-USDT', 'failed')]);
    stop();
    const before = reads;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reads, before, 'no reads once nobody follows');
  } finally {
    live.close();
  }
});
