import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { MAX_BUFFERED_BYTES, send } from '../../../api/live/live-hub';

/** A socket that records what is done to it, with as much unsent data as the test says. */
function socket(bufferedAmount: number, readyState = 1) {
  const done: string[] = [];
  const fake = {
    OPEN: 1,
    readyState,
    bufferedAmount,
    send: (text: string) => done.push(`send ${text}`),
    close: (code: number, reason: string) => done.push(`close ${code} ${reason}`),
  };
  return { socket: fake as unknown as WebSocket, done };
}

test('a client keeping up is sent to; one with more than 1 MiB unsent is closed, never waited for', () => {
  const keepingUp = socket(MAX_BUFFERED_BYTES);
  send(keepingUp.socket, 'm');
  assert.deepEqual(keepingUp.done, ['send m']);

  const slow = socket(MAX_BUFFERED_BYTES + 1);
  send(slow.socket, 'm');
  assert.deepEqual(slow.done, ['close 1013 too slow: the feed does not wait for a client']);
});

test('a socket no longer open is left alone', () => {
  const closing = socket(0, 2);
  send(closing.socket, 'm');
  assert.deepEqual(closing.done, []);
});
