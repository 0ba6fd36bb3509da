import { z } from 'zod';
import { formatAtoms } from '../../instruments';
import type { Instrument } from '../../instruments';
import type { TradeRecord } from '../../orders';
import type { BookTop } from '../../venue-market';
import type { FrontContext } from './context';
import { BinanceApiError, binanceErrors } from './errors';
import { binanceSymbol } from './format';
import { intervalOf, klines } from './klines';
import { clampLimit, HistoryParamsSchema, IntParam, parseParams, selectWindow } from './params';
import { firstAtOrAfter, percentChange, tapeStats, weightedAverage } from './tape';

/**
 * Binance public market data computed from the simulator's tape and book: 24 h / rolling tickers, last
 * prices, recent, historical and aggregate trades, klines. Statistics cover the trades the simulator's
 * tape still holds (its newest 10 000 per symbol), over the simulator's clock.
 */

const DAY = 86_400_000;

type TickerShape = 'spot' | 'futures' | 'rolling' | 'mini';

const OHL = ['openPrice', 'highPrice', 'lowPrice'];
const VOLUMES = ['volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count'];
const CHANGE = ['priceChange', 'priceChangePercent', 'weightedAvgPrice'];
/** The fields of each ticker response, in Binance's order. */
const TICKER_KEYS: Record<TickerShape, string[]> = {
  mini: ['symbol', ...OHL, 'lastPrice', ...VOLUMES],
  rolling: ['symbol', ...CHANGE, ...OHL, 'lastPrice', ...VOLUMES],
  futures: ['symbol', ...CHANGE, 'lastPrice', 'lastQty', ...OHL, ...VOLUMES],
  spot: [
    'symbol',
    ...CHANGE,
    'prevClosePrice',
    'lastPrice',
    'lastQty',
    'bidPrice',
    'bidQty',
    'askPrice',
    'askQty',
    ...OHL,
    ...VOLUMES,
  ],
};

/**
 * Price-change statistics over the `windowMs` up to `now`. Without a trade in the window the prices
 * stay at the last one traded (volume 0, ids -1); without any trade at all they are "0".
 */
export function tickerStats(
  inst: Instrument,
  ps: readonly TradeRecord[],
  top: BookTop,
  now: number,
  windowMs: number,
  shape: TickerShape,
): Record<string, unknown> {
  const openTime = now - windowMs;
  const start = firstAtOrAfter(ps, openTime);
  const s = tapeStats(inst, ps.slice(start));
  const last = ps[ps.length - 1];
  const lastTicks = last?.priceTicks ?? 0;
  const openTicks = s?.first.priceTicks ?? lastTicks;
  const full: Record<string, unknown> = {
    symbol: binanceSymbol(inst.symbol),
    priceChange: inst.formatPrice(lastTicks - openTicks),
    priceChangePercent: percentChange(openTicks, lastTicks),
    weightedAvgPrice: weightedAverage(inst, s),
    prevClosePrice: inst.formatPrice(ps[start - 1]?.priceTicks ?? 0),
    lastPrice: inst.formatPrice(lastTicks),
    lastQty: inst.formatQty(last?.lots ?? 0),
    bidPrice: top.bidPrice ?? '0',
    bidQty: top.bidQty ?? '0',
    askPrice: top.askPrice ?? '0',
    askQty: top.askQty ?? '0',
    openPrice: inst.formatPrice(openTicks),
    highPrice: inst.formatPrice(s?.highTicks ?? lastTicks),
    lowPrice: inst.formatPrice(s?.lowTicks ?? lastTicks),
    volume: inst.formatQty(s?.lots ?? 0),
    quoteVolume: formatAtoms(s?.quoteAtoms ?? 0n),
    openTime,
    closeTime: now,
    firstId: s?.first.tradeId ?? -1,
    lastId: s?.last.tradeId ?? -1,
    count: s?.count ?? 0,
  };
  return Object.fromEntries(TICKER_KEYS[shape].map((k) => [k, full[k]]));
}

function publicTrade(t: TradeRecord, futures: boolean): Record<string, unknown> {
  return {
    id: t.tradeId,
    price: t.inst.formatPrice(t.priceTicks),
    qty: t.inst.formatQty(t.lots),
    quoteQty: formatAtoms(t.inst.notionalAtoms(t.priceTicks, t.lots)),
    time: t.ts,
    isBuyerMaker: t.takerSide === 'sell',
    ...(futures ? {} : { isBestMatch: true }),
  };
}

interface AggTrade {
  a: number;
  priceTicks: number;
  lots: number;
  f: number;
  l: number;
  T: number;
  m: boolean;
  takerOrderId: string;
}

/**
 * Binance aggregate trades: consecutive fills of one taker order at one price. The aggregate's id is the
 * id of its first trade, so it stays the same however much of the tape a request covers.
 */
function aggregateTrades(ps: readonly TradeRecord[]): AggTrade[] {
  const out: AggTrade[] = [];
  for (const t of ps) {
    const cur = out[out.length - 1];
    if (cur && cur.takerOrderId === t.takerOrderId && cur.priceTicks === t.priceTicks && cur.T === t.ts) {
      cur.lots += t.lots;
      cur.l = t.tradeId;
    } else {
      out.push({
        a: t.tradeId,
        priceTicks: t.priceTicks,
        lots: t.lots,
        f: t.tradeId,
        l: t.tradeId,
        T: t.ts,
        m: t.takerSide === 'sell',
        takerOrderId: t.takerOrderId,
      });
    }
  }
  return out;
}

const SymbolsSchema = z.array(z.string()).min(1).max(100);
const TickerParamsSchema = z.object({
  symbol: z.string().optional(),
  symbols: z.string().optional(),
  type: z.enum(['FULL', 'MINI']).optional(),
  windowSize: z
    .string()
    .regex(/^(\d{1,2})([mhd])$/)
    .optional(),
});
const KlineParamsSchema = z.object({
  symbol: z.string(),
  interval: z.string(),
  startTime: IntParam.optional(),
  endTime: IntParam.optional(),
  limit: IntParam.optional(),
});

/** `windowSize` of the rolling ticker: 1m..59m, 1h..23h, 1d..7d (default 1d). */
function windowMsOf(windowSize: string | undefined): number {
  if (windowSize === undefined) return DAY;
  const match = /^(\d{1,2})([mhd])$/.exec(windowSize);
  const n = Number(match?.[1]);
  const unit = match?.[2];
  const max = unit === 'm' ? 59 : unit === 'h' ? 23 : 7;
  if (!match || n < 1 || n > max) throw new BinanceApiError(400, -1100, "Invalid parameter 'windowSize'.");
  return n * (unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : DAY);
}

/**
 * The market-data route for `key` (`GET ticker/24hr`, `GET v1/klines`, ...): parameters are checked now,
 * the returned thunk reads the simulator (inside the front's fault handling); undefined if not one.
 */
export function marketDataRoute(
  ctx: FrontContext,
  key: string,
  params: URLSearchParams,
): (() => unknown) | undefined {
  const { market, futures } = ctx;
  const kind = futures ? 'perp' : 'spot';
  const now = () => ctx.exchange.clock.now();

  /** Canonical symbols named by `symbol`, `symbols` (a JSON array, spot only) or none: all of them. */
  function symbolsOf(p: { symbol?: string | undefined; symbols?: string | undefined }): string[] | string {
    if (p.symbol !== undefined && p.symbols !== undefined)
      throw new BinanceApiError(400, -1128, 'Combination of optional parameters invalid.');
    if (p.symbol !== undefined) return ctx.symbolOf(p.symbol);
    if (p.symbols === undefined) return market.symbolIds();
    let names: unknown;
    try {
      names = JSON.parse(p.symbols);
    } catch {
      names = undefined;
    }
    const parsed = SymbolsSchema.safeParse(names);
    if (!parsed.success)
      throw new BinanceApiError(400, -1100, "Illegal characters found in parameter 'symbols'.");
    return parsed.data.map((s) => ctx.symbolOf(s));
  }

  function ticker(shape: TickerShape, windowMs: number, symbol: string): Record<string, unknown> {
    const top = ctx.exchange.ticker(ctx.venue, kind, symbol);
    return tickerStats(market.instrument(symbol), market.tapeRecords(symbol), top, now(), windowMs, shape);
  }

  const one = <T>(target: string[] | string, fn: (s: string) => T): T | T[] =>
    typeof target === 'string' ? fn(target) : target.map(fn);

  switch (key) {
    case 'GET ticker/24hr':
    case 'GET ticker':
    case 'GET v1/ticker/24hr': {
      const p = parseParams(TickerParamsSchema, params);
      if (futures && p.symbols !== undefined)
        throw binanceErrors.badParam("Parameter 'symbols' is not supported.");
      const rolling = key === 'GET ticker';
      if (rolling && p.symbol === undefined && p.symbols === undefined)
        throw binanceErrors.badParam("Parameter 'symbol' or 'symbols' must be sent.");
      const windowMs = rolling ? windowMsOf(p.windowSize) : DAY;
      const shape: TickerShape =
        p.type === 'MINI' ? 'mini' : futures ? 'futures' : rolling ? 'rolling' : 'spot';
      const target = symbolsOf(p);
      return () => one(target, (s) => ticker(shape, windowMs, s));
    }
    case 'GET ticker/price':
    case 'GET v1/ticker/price':
    case 'GET v2/ticker/price': {
      const p = parseParams(TickerParamsSchema, params);
      if (futures && p.symbols !== undefined)
        throw binanceErrors.badParam("Parameter 'symbols' is not supported.");
      const target = symbolsOf(p);
      return () =>
        one(target, (s) => {
          const last = market.tape(s, 1)[0];
          return {
            symbol: binanceSymbol(s),
            price: last?.price ?? '0',
            ...(futures ? { time: last?.ts ?? now() } : {}),
          };
        });
    }
    case 'GET trades':
    case 'GET v1/trades':
    case 'GET historicalTrades':
    case 'GET v1/historicalTrades': {
      const p = parseParams(HistoryParamsSchema, params);
      const symbol = ctx.symbolOf(p.symbol);
      const historical = key.endsWith('historicalTrades');
      const limit = clampLimit(p.limit, 500, futures && historical ? 500 : 1000);
      const fromId = historical ? p.fromId : undefined;
      return () =>
        selectWindow(
          market.tapeRecords(symbol),
          { fromId, limit },
          (t) => t.tradeId,
          (t) => t.ts,
        ).map((t) => publicTrade(t, futures));
    }
    case 'GET aggTrades':
    case 'GET v1/aggTrades': {
      const p = parseParams(HistoryParamsSchema, params);
      const symbol = ctx.symbolOf(p.symbol);
      const w = {
        startTime: p.startTime,
        endTime: p.endTime,
        fromId: p.fromId,
        limit: clampLimit(p.limit, 500, 1000),
      };
      return () => {
        const inst = market.instrument(symbol);
        const aggs = selectWindow(
          aggregateTrades(market.tapeRecords(symbol)),
          w,
          (t) => t.a,
          (t) => t.T,
        );
        return aggs.map((t) => ({
          a: t.a,
          p: inst.formatPrice(t.priceTicks),
          q: inst.formatQty(t.lots),
          f: t.f,
          l: t.l,
          T: t.T,
          m: t.m,
          ...(futures ? {} : { M: true }),
        }));
      };
    }
    case 'GET klines':
    case 'GET v1/klines': {
      const p = parseParams(KlineParamsSchema, params);
      const symbol = ctx.symbolOf(p.symbol);
      const iv = intervalOf(p.interval, futures);
      if (!iv) throw new BinanceApiError(400, -1120, 'Invalid interval.');
      const q = {
        startTime: p.startTime,
        endTime: p.endTime,
        limit: clampLimit(p.limit, 500, futures ? 1500 : 1000),
      };
      return () => klines(market.instrument(symbol), market.tapeRecords(symbol), iv, now(), q);
    }
  }
  return undefined;
}
