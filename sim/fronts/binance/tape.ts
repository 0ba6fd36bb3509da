import { divideRounded, fromScaled } from '../../../domain/decimal';
import { ATOMS_PER_UNIT, formatAtoms } from '../../instruments';
import type { Instrument } from '../../instruments';
import type { TradeRecord } from '../../orders';

/** Open/high/low/close, volumes and trade count of a run of trades. */
export interface TapeStats {
  first: TradeRecord;
  last: TradeRecord;
  highTicks: number;
  lowTicks: number;
  lots: number;
  quoteAtoms: bigint;
  count: number;
  takerBuyLots: number;
  takerBuyQuoteAtoms: bigint;
}

/** Undefined for no trades. */
export function tapeStats(inst: Instrument, run: readonly TradeRecord[]): TapeStats | undefined {
  const first = run[0];
  const last = run[run.length - 1];
  if (!first || !last) return undefined;
  const s: TapeStats = {
    first,
    last,
    highTicks: first.priceTicks,
    lowTicks: first.priceTicks,
    lots: 0,
    quoteAtoms: 0n,
    count: run.length,
    takerBuyLots: 0,
    takerBuyQuoteAtoms: 0n,
  };
  for (const p of run) {
    const quote = inst.notionalAtoms(p.priceTicks, p.lots);
    if (p.priceTicks > s.highTicks) s.highTicks = p.priceTicks;
    if (p.priceTicks < s.lowTicks) s.lowTicks = p.priceTicks;
    s.lots += p.lots;
    s.quoteAtoms += quote;
    if (p.takerSide === 'buy') {
      s.takerBuyLots += p.lots;
      s.takerBuyQuoteAtoms += quote;
    }
  }
  return s;
}

/** Quote volume / base volume, to 8 decimals ("0" without volume). */
export function weightedAverage(inst: Instrument, s: TapeStats | undefined): string {
  if (!s || s.lots === 0) return '0';
  return formatAtoms(divideRounded(s.quoteAtoms * ATOMS_PER_UNIT, inst.baseAtoms(s.lots), 'half-up'));
}

/** (to - from) / from in percent, 3 decimals as Binance prints it. */
export function percentChange(fromTicks: number, toTicks: number): string {
  if (fromTicks === 0) return '0';
  return fromScaled(divideRounded(BigInt(toTicks - fromTicks) * 100_000n, BigInt(fromTicks), 'half-up'), 3);
}

/** Index of the first trade with `ts >= t` (a tape is in time order). */
export function firstAtOrAfter(ps: readonly TradeRecord[], t: number): number {
  let lo = 0;
  let hi = ps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ps[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
