import ccxt from 'ccxt';
import type { MarketInterface as Market } from 'ccxt';

/** A ccxt number as a decimal string, formatted as ccxt formats it (never an exponent). */
export const decimalOf = (n: number | string | undefined | null): string | undefined =>
  n === undefined || n === null ? undefined : ccxt.numberToString(n);

/** Base units per ccxt amount unit (contracts on OKX swaps, 1 elsewhere). */
export const contractUnit = (m: Market): string => (m.contract ? (decimalOf(m.contractSize) ?? '1') : '1');
