import {
  CandlestickSeries,
  createChart,
  createSeriesMarkers,
  LineStyle,
  type IPriceLine,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle } from '../../api/live/candles';

export interface Level {
  price: number;
  side: 'buy' | 'sell';
}

export interface FillMark {
  /** Seconds since the epoch. */
  time: number;
  side: string;
  price: number;
}

const COLORS = { up: '#26a69a', down: '#ef5350', buy: '#26a69a', sell: '#ef5350', bound: '#93a1b1' };

/**
 * The symbol's candles with its grid drawn on them: a line per resting order, dashed lines at the grid's
 * bounds, and a marker per fill. Counts of what it draws are kept on the container (data-candles,
 * data-fills) for whoever inspects the page.
 */
export function priceChart(container: HTMLElement) {
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { color: '#0f1419' }, textColor: '#d8dee6' },
    grid: { vertLines: { color: '#1f2a36' }, horzLines: { color: '#1f2a36' } },
    timeScale: { timeVisible: true, secondsVisible: true },
  });
  const series = chart.addSeries(CandlestickSeries, {
    upColor: COLORS.up,
    downColor: COLORS.down,
    borderVisible: false,
    wickUpColor: COLORS.up,
    wickDownColor: COLORS.down,
  });
  const markers = createSeriesMarkers(series, []);
  let lines: IPriceLine[] = [];
  let candles: Candle[] = [];
  let interval = 60;
  let fills: FillMark[] = [];

  const toBar = (candle: Candle) => ({ ...candle, time: candle.time as UTCTimestamp });
  const drawFills = () => {
    // A marker sits on its candle: fills before the first candle have no bar to sit on.
    const first = candles[0]?.time ?? Infinity;
    const shown = fills
      .filter((fill) => fill.time >= first)
      .sort((a, b) => a.time - b.time)
      .map((fill): SeriesMarker<Time> => ({
        time: (Math.floor(fill.time / interval) * interval) as UTCTimestamp,
        position: fill.side === 'buy' ? 'belowBar' : 'aboveBar',
        shape: fill.side === 'buy' ? 'arrowUp' : 'arrowDown',
        color: fill.side === 'buy' ? COLORS.buy : COLORS.sell,
        text: `${fill.side} ${fill.price}`,
      }));
    markers.setMarkers(shown);
    container.dataset.fills = String(shown.length);
  };

  return {
    setCandles(next: Candle[], seconds: number) {
      interval = seconds;
      candles = [...next];
      series.setData(candles.map(toBar));
      container.dataset.candles = String(candles.length);
      drawFills();
    },
    updateCandle(candle: Candle) {
      const last = candles.at(-1);
      if (last && candle.time < last.time) return;
      if (last?.time === candle.time) candles[candles.length - 1] = candle;
      else candles.push(candle);
      series.update(toBar(candle));
      container.dataset.candles = String(candles.length);
      if (candles.length === 1) drawFills();
    },
    setLevels(levels: Level[], bounds: number[]) {
      for (const line of lines) series.removePriceLine(line);
      lines = [
        ...levels.map((level) =>
          series.createPriceLine({
            price: level.price,
            color: COLORS[level.side],
            lineWidth: 1,
            title: level.side,
          }),
        ),
        ...bounds.map((price) =>
          series.createPriceLine({ price, color: COLORS.bound, lineStyle: LineStyle.Dashed, lineWidth: 1 }),
        ),
      ];
    },
    setFills(next: FillMark[]) {
      fills = next;
      drawFills();
    },
    clear() {
      candles = [];
      fills = [];
      series.setData([]);
      this.setLevels([], []);
      markers.setMarkers([]);
      container.dataset.candles = '0';
      container.dataset.fills = '0';
    },
  };
}
export type PriceChart = ReturnType<typeof priceChart>;
