import { z } from 'zod';
import { add, compare, multiply, sign, subtract } from '../domain/decimal';
import { latencyQuantile, type LatencyHistogram } from '../domain/latency-histogram';
import { applyFill, type Position } from './positions';

/** One fill of the run, from the ledger, with when it happened on the recording's clock (ms). */
export interface RunFill {
  clientOrderId: string;
  side: 'buy' | 'sell';
  price: string;
  quantity: string;
  /** Recording time of the fill (the paper engine's fill time mapped back onto the capture). */
  time: number;
}

/** The recorded mid at moments of the run, oldest first. */
export interface MidPoint {
  time: number;
  mid: number;
}

export const ADVERSE_SELECTION_HORIZONS_MS = [100, 1_000, 10_000] as const;

const LatencySummarySchema = z.object({
  count: z.number(),
  p50: z.number().nullable(),
  p99: z.number().nullable(),
  p999: z.number().nullable(),
  max: z.number(),
});

/** What a backtest run reports (stored as JSON, served by GET /backtests/:id). */
export const BacktestReportSchema = z.object({
  orders: z.number().int(),
  trades: z.number().int(),
  volume: z.string(),
  /** Quote currency. */
  fees: z.string(),
  realizedPnl: z.string(),
  /** The position left, marked at the last recorded mid. */
  position: z.string(),
  unrealizedPnl: z.string(),
  /** realized + unrealized − fees. */
  netPnl: z.string(),
  /** Fills that reduced a position, and the share of them that realized a gain. */
  closingTrades: z.number().int(),
  hitRate: z.number().nullable(),
  /**
   * Per horizon, the mid's move after each fill against the fill's side (bps: positive when the market went
   * the way that hurts the fill, a buy followed by a lower mid), averaged, and the share of fills it hurt.
   */
  adverseSelection: z.array(
    z.object({
      horizonMs: z.number(),
      fills: z.number().int(),
      meanBps: z.number().nullable(),
      adverseShare: z.number().nullable(),
    }),
  ),
  tickToDecisionMicros: LatencySummarySchema,
  decisionToAckMs: LatencySummarySchema,
});
export type BacktestReport = z.infer<typeof BacktestReportSchema>;

/** The last recorded mid at or before `time` (binary search); undefined before the first. */
export function midAt(mids: MidPoint[], time: number): number | undefined {
  let low = 0;
  let high = mids.length - 1;
  let found: number | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (mids[middle]!.time <= time) {
      found = mids[middle]!.mid;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

const summary = (histogram: LatencyHistogram) => ({
  count: histogram.count,
  p50: latencyQuantile(histogram, 0.5) ?? null,
  p99: latencyQuantile(histogram, 0.99) ?? null,
  p999: latencyQuantile(histogram, 0.999) ?? null,
  max: histogram.max,
});

/**
 * The run's report: PnL by the ledger's own average-cost kernel (`applyFill`), fees as the ledger valued
 * them, hit rate over closing fills, adverse selection from the recorded mids after each fill, and the
 * strategy's latency histograms. Pure.
 */
export function backtestReport(input: {
  orders: number;
  fills: RunFill[];
  feesInQuote: string;
  mids: MidPoint[];
  tickToDecisionMicros: LatencyHistogram;
  decisionToAckMs: LatencyHistogram;
}): BacktestReport {
  const fills = [...input.fills].sort((a, b) => a.time - b.time);
  let position: Position = { quantity: '0', averagePrice: '0', realizedPnl: '0', fills: 0 };
  let volume = '0';
  let closingTrades = 0;
  let hits = 0;
  for (const fill of fills) {
    const before = position;
    position = applyFill(position, fill);
    volume = add(volume, multiply(fill.quantity, fill.price));
    const reduces = sign(before.quantity) !== 0 && sign(before.quantity) !== (fill.side === 'buy' ? 1 : -1);
    if (reduces) {
      closingTrades++;
      if (compare(position.realizedPnl, before.realizedPnl) > 0) hits++;
    }
  }
  const lastMid = input.mids.at(-1)?.mid;
  const unrealized =
    lastMid === undefined || sign(position.quantity) === 0
      ? '0'
      : multiply(position.quantity, subtract(lastMid.toFixed(8), position.averagePrice));
  const adverseSelection = ADVERSE_SELECTION_HORIZONS_MS.map((horizonMs) => {
    let measured = 0;
    let total = 0;
    let adverse = 0;
    for (const fill of fills) {
      const now = midAt(input.mids, fill.time);
      const later = midAt(input.mids, fill.time + horizonMs);
      // A horizon past the recording's end is not measured.
      if (now === undefined || later === undefined || fill.time + horizonMs > input.mids.at(-1)!.time)
        continue;
      const moveBps = ((later - now) / now) * 10_000 * (fill.side === 'buy' ? -1 : 1);
      measured++;
      total += moveBps;
      if (moveBps > 0) adverse++;
    }
    return {
      horizonMs,
      fills: measured,
      meanBps: measured ? total / measured : null,
      adverseShare: measured ? adverse / measured : null,
    };
  });
  const realizedPnl = position.realizedPnl;
  return {
    orders: input.orders,
    trades: fills.length,
    volume,
    fees: input.feesInQuote,
    realizedPnl,
    position: position.quantity,
    unrealizedPnl: unrealized,
    netPnl: subtract(add(realizedPnl, unrealized), input.feesInQuote),
    closingTrades,
    hitRate: closingTrades ? hits / closingTrades : null,
    adverseSelection,
    tickToDecisionMicros: summary(input.tickToDecisionMicros),
    decisionToAckMs: summary(input.decisionToAckMs),
  };
}
