import { formatAtoms } from '../../instruments';
import type { Instrument } from '../../instruments';
import type { TradeRecord } from '../../orders';
import { firstAtOrAfter, tapeStats } from './tape';

/** A kline interval: the open time of the candle holding `t`, and its neighbours' open times. */
export interface Interval {
  open(t: number): number;
  next(open: number): number;
  prev(open: number): number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch: Binance weeks open on Monday 00:00 UTC. */
const FIRST_MONDAY = 4 * DAY;

const FIXED: Record<string, number> = {
  '1s': SECOND,
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '6h': 6 * HOUR,
  '8h': 8 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '3d': 3 * DAY,
  '1w': WEEK,
};

function fixed(ms: number, offset: number): Interval {
  return {
    open: (t) => t - ((((t - offset) % ms) + ms) % ms),
    next: (o) => o + ms,
    prev: (o) => o - ms,
  };
}

const month: Interval = {
  open: (t) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  },
  next: (o) => {
    const d = new Date(o);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  },
  prev: (o) => {
    const d = new Date(o);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  },
};

/** Binance's interval names (`1s` on spot only); undefined for anything else. */
export function intervalOf(name: string, futures: boolean): Interval | undefined {
  if (name === '1M') return month;
  if (name === '1s' && futures) return undefined;
  const ms = FIXED[name];
  if (ms === undefined) return undefined;
  return fixed(ms, name === '1w' ? FIRST_MONDAY : 0);
}

export interface KlineQuery {
  startTime?: number | undefined;
  endTime?: number | undefined;
  limit: number;
}

/**
 * Binance klines from the tape: every interval from the one of the first trade the tape holds up to the
 * current one (`now`, the simulator's clock), those opening within [startTime, endTime], the first
 * `limit` of them after a startTime, else the newest `limit`. An interval without trades is flat at the
 * previous close with zero volume, as on Binance. Rows: [openTime, open, high, low, close, volume,
 * closeTime, quoteVolume, trades, takerBuyBaseVolume, takerBuyQuoteVolume, "0"].
 */
export function klines(
  inst: Instrument,
  ps: readonly TradeRecord[],
  iv: Interval,
  now: number,
  q: KlineQuery,
): unknown[][] {
  const firstTrade = ps[0];
  if (!firstTrade) return [];
  let lo = iv.open(firstTrade.ts);
  let hi = iv.open(Math.max(now, ps[ps.length - 1]!.ts));
  if (q.startTime !== undefined) {
    const o = iv.open(q.startTime);
    lo = Math.max(lo, o === q.startTime ? o : iv.next(o));
  }
  if (q.endTime !== undefined) hi = Math.min(hi, iv.open(q.endTime));
  if (lo > hi) return [];
  if (q.startTime !== undefined) {
    let end = lo;
    for (let n = 1; n < q.limit && iv.next(end) <= hi; n++) end = iv.next(end);
    hi = end;
  } else {
    let start = hi;
    for (let n = 1; n < q.limit && iv.prev(start) >= lo; n++) start = iv.prev(start);
    lo = start;
  }

  const rows: unknown[][] = [];
  let i = firstAtOrAfter(ps, lo);
  let closeTicks = ps[i - 1]?.priceTicks ?? 0;
  for (let open = lo; open <= hi; open = iv.next(open)) {
    const close = iv.next(open);
    const from = i;
    while (i < ps.length && ps[i]!.ts < close) i++;
    const s = tapeStats(inst, ps.slice(from, i));
    const price = (ticks: number): string => inst.formatPrice(ticks);
    rows.push(
      s
        ? [
            open,
            price(s.first.priceTicks),
            price(s.highTicks),
            price(s.lowTicks),
            price(s.last.priceTicks),
            inst.formatQty(s.lots),
            close - 1,
            formatAtoms(s.quoteAtoms),
            s.count,
            inst.formatQty(s.takerBuyLots),
            formatAtoms(s.takerBuyQuoteAtoms),
            '0',
          ]
        : [
            open,
            price(closeTicks),
            price(closeTicks),
            price(closeTicks),
            price(closeTicks),
            '0',
            close - 1,
            '0',
            0,
            '0',
            '0',
            '0',
          ],
    );
    if (s) closeTicks = s.last.priceTicks;
  }
  return rows;
}
