import {
  add,
  divide,
  fromFixed,
  multiply,
  roundToStep,
  sign,
  subtract,
  toFixed,
} from '../../../domain/decimal';
import type { MarginPolicy } from './arbitrage-params';

/** A venue account's margin, in quote currency (decimal strings). */
export interface MarginAccount {
  equity: string;
  usedMargin: string;
}

/** Percentages are decision ratios: carried to this many places, rounded down so headroom is never overstated. */
const PCT_PLACES = 4;
/** Margin is rounded up at this many places, for the same reason. */
const MARGIN_PLACES = 12;

function percentFree(equity: string, used: string): number {
  if (sign(equity) <= 0) return 0;
  return Number(divide(multiply(subtract(equity, used), '100'), equity, PCT_PLACES, 'floor'));
}

/** The share of equity not used as margin, in percent: 0 when there is no equity, negative past it. */
export function headroomPct(account: MarginAccount): number {
  return percentFree(account.equity, account.usedMargin);
}

/** The margin a position of `notional` takes at `leverage`. */
export function marginFor(notional: string, leverage: number): string {
  return divide(notional, String(leverage), MARGIN_PLACES, 'ceil');
}

/** The headroom left once a position of `notional` at `leverage` is added to the account. */
export function headroomAfterEntry(account: MarginAccount, notional: string, leverage: number): number {
  return percentFree(account.equity, add(account.usedMargin, marginFor(notional, leverage)));
}

/** One leg's claim on a venue account: its notional at its leverage (1 for a spot leg, paid in full). */
export interface MarginCheck {
  /** Names the account; checks with the same key share it, and their margins add up. */
  key: string;
  account: MarginAccount;
  notional: string;
  leverage: number;
}

export type EntryMargin =
  { enter: true; headroomAfterPct: Record<string, number> } | { enter: false; reason: string };

/** Whether every account keeps at least `minHeadroomPct` of headroom after the entry. */
export function canEnter(checks: readonly MarginCheck[], minHeadroomPct: number): EntryMargin {
  const accounts = new Map<string, { account: MarginAccount; margin: string }>();
  for (const check of checks) {
    const margin = marginFor(check.notional, check.leverage);
    const seen = accounts.get(check.key);
    accounts.set(check.key, {
      account: seen?.account ?? check.account,
      margin: seen ? add(seen.margin, margin) : margin,
    });
  }
  const headroomAfterPct: Record<string, number> = {};
  for (const [key, { account, margin }] of accounts) {
    const after = percentFree(account.equity, add(account.usedMargin, margin));
    if (after < minHeadroomPct)
      return {
        enter: false,
        reason: `${key}: headroom after entry would be ${after}% (equity ${account.equity}, margin used ${account.usedMargin} + ${margin}), below the minimum ${minHeadroomPct}%`,
      };
    headroomAfterPct[key] = after;
  }
  return { enter: true, headroomAfterPct };
}

export type MarginAction = 'hold' | 'reduce' | 'exit';

/** What an open arbitrage does at this headroom: exit below exitBelowPct, reduce below reduceBelowPct. */
export function marginAction(
  headroom: number,
  policy: Pick<MarginPolicy, 'reduceBelowPct' | 'exitBelowPct'>,
): MarginAction {
  if (headroom < policy.exitBelowPct) return 'exit';
  if (headroom < policy.reduceBelowPct) return 'reduce';
  return 'hold';
}

/**
 * How much of each leg to close when headroom calls for a reduction: half of what it holds, down to the
 * lot; all of it when half would fall below the venue's minimum (a position too small to halve).
 */
export function reduceQuantity(held: string, rules: { lotSize: string; minQuantity: string }): string {
  const lot = toFixed(rules.lotSize);
  const half = toFixed(held) / 2n;
  const rounded = lot > 0n ? roundToStep(half, lot, 'down') : half;
  if (rounded <= 0n || rounded < toFixed(rules.minQuantity)) return held;
  return fromFixed(rounded);
}
