import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CandleSeries } from '../../../api/live/candles';

test('prices within an interval move one candle; the next interval opens a new one', () => {
  const series = new CandleSeries(60);
  series.add(100, 120_000); // 02:00
  series.add(103, 150_000);
  series.add(99, 170_000);
  const moved = series.add(101, 179_999);
  assert.deepEqual(moved, { time: 120, open: 100, high: 103, low: 99, close: 101 });
  const opened = series.add(102, 180_000);
  assert.deepEqual(opened, { time: 180, open: 102, high: 102, low: 102, close: 102 });
  assert.deepEqual(
    series.candles().map((candle) => candle.time),
    [120, 180],
  );
});

test('a late price moves the current candle instead of reopening an old one', () => {
  const series = new CandleSeries(60);
  series.add(100, 180_000);
  const late = series.add(90, 150_000);
  assert.deepEqual(late, { time: 180, open: 100, high: 100, low: 90, close: 90 });
  assert.equal(series.candles().length, 1);
});

test('keeps the latest candles up to its capacity, and hands out copies', () => {
  const series = new CandleSeries(1, 3);
  for (let second = 0; second < 5; second++) series.add(100 + second, second * 1000);
  const kept = series.candles();
  assert.deepEqual(
    kept.map((candle) => [candle.time, candle.close]),
    [
      [2, 102],
      [3, 103],
      [4, 104],
    ],
  );
  kept[0]!.close = 0;
  assert.equal(series.candles()[0]!.close, 102);
});
