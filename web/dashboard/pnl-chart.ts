import { createChart, LineSeries, type UTCTimestamp } from 'lightweight-charts';

export interface PnlPoint {
  /** Seconds since the epoch. */
  time: number;
  netPnl: string;
}

/** The symbol's net PnL (realized + unrealized − fees) over time, from its performance snapshots. */
export function pnlChart(container: HTMLElement) {
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { color: '#0f1419' }, textColor: '#d8dee6' },
    grid: { vertLines: { color: '#1f2a36' }, horzLines: { color: '#1f2a36' } },
    timeScale: { timeVisible: true },
  });
  const series = chart.addSeries(LineSeries, { color: '#6cb6ff', lineWidth: 2, title: 'net PnL' });
  return {
    setPoints(points: PnlPoint[]) {
      series.setData(
        points.map((point) => ({ time: point.time as UTCTimestamp, value: Number(point.netPnl) })),
      );
      container.dataset.points = String(points.length);
    },
  };
}
