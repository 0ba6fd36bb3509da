import type {
  Balances,
  FundingHistory as CcxtFundingHistory,
  FundingRate as CcxtFundingRate,
  Position as CcxtPosition,
} from 'ccxt';
import { compare, multiply } from '../../domain/decimal';
import type { MarketKind } from '../../domain/venues';
import { FundingPaymentSchema } from '../exchange-connector';
import type { Balance, FundingPayment, FundingRate, Position } from '../exchange-connector';
import { canonicalMarket } from './markets';
import type { CcxtMarkets } from './markets';
import { contractUnit, decimalOf } from './numbers';

/** Every asset with a non-zero total; a negative free or locked amount reads as 0. */
export function balancesFromCcxt(b: Balances): Balance[] {
  const totals = (b.total ?? {}) as unknown as Record<string, number | undefined>;
  const free = (b.free ?? {}) as unknown as Record<string, number | undefined>;
  const used = (b.used ?? {}) as unknown as Record<string, number | undefined>;
  const nonNegative = (n: number | undefined): string => {
    const s = decimalOf(n) ?? '0';
    return s.startsWith('-') ? '0' : s;
  };
  return Object.keys(totals)
    .filter((asset) => (totals[asset] ?? 0) !== 0)
    .map((asset) => ({ asset, free: nonNegative(free[asset]), locked: nonNegative(used[asset]) }));
}

/** Open positions on known canonical markets, quantity in base units and negative for a short. */
export function positionsFromCcxt(
  list: readonly CcxtPosition[],
  markets: CcxtMarkets,
  market: MarketKind,
): Position[] {
  return list.flatMap((p) => {
    const known = canonicalMarket(markets, market, p.symbol);
    const contracts = decimalOf(p.contracts);
    if (!known || !contracts || compare(contracts, '0') === 0) return [];
    const qty = multiply(contracts.replace('-', ''), contractUnit(known.ccxtMarket));
    return [
      {
        symbol: known.symbol,
        quantity: p.side === 'short' ? `-${qty}` : qty,
        entryPrice: decimalOf(p.entryPrice) ?? '0',
        markPrice: decimalOf(p.markPrice) ?? '0',
        unrealizedPnl: decimalOf(p.unrealizedPnl) ?? '0',
        realizedPnl: decimalOf(p.realizedPnl) ?? '0',
        leverage: p.leverage && p.leverage > 0 ? p.leverage : 1,
        liquidationPrice: p.liquidationPrice ? (decimalOf(p.liquidationPrice) ?? null) : null,
      },
    ];
  });
}

export function fundingRateFromCcxt(f: CcxtFundingRate, symbol: string): FundingRate {
  return {
    symbol,
    rate: decimalOf(f.fundingRate) ?? '0',
    nextFundingTime: f.nextFundingTimestamp ?? f.fundingTimestamp ?? 0,
  };
}

/**
 * Funding settlements on known canonical perps at or after `since`, oldest first. Where the venue gives no
 * id, a payment is named by its symbol and time (one per symbol and settlement); an entry without a time
 * or an amount is not a settlement Keel can book, and is left out.
 */
export function fundingPaymentsFromCcxt(
  list: readonly CcxtFundingHistory[],
  markets: CcxtMarkets,
  since: number,
): FundingPayment[] {
  return list
    .flatMap((f) => {
      const known = canonicalMarket(markets, 'perp', f.symbol);
      const amount = decimalOf(f.amount);
      const at = f.timestamp;
      if (!known || amount === undefined || at === undefined || at < since) return [];
      const id = f.id ? String(f.id) : `${known.symbol}:${at}`;
      return [FundingPaymentSchema.parse({ id, symbol: known.symbol, at, amount, asset: f.code ?? 'USDT' })];
    })
    .sort((a, b) => a.at - b.at);
}
