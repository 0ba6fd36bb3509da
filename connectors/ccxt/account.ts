import { ConnectorError } from '../exchange-connector';
import type { Balance, FundingPayment, FundingRate, Position } from '../exchange-connector';
import {
  balancesFromCcxt,
  fundingPaymentsFromCcxt,
  fundingRateFromCcxt,
  positionsFromCcxt,
} from './account-mapping';
import { requireTrading } from './venue-market';
import type { CcxtVenueMarket } from './venue-market';

export async function balances(vm: CcxtVenueMarket): Promise<Balance[]> {
  return balancesFromCcxt(await vm.call('read', () => vm.exchange.fetchBalance(vm.marketParams)));
}

export async function positions(vm: CcxtVenueMarket): Promise<Position[]> {
  if (!vm.capabilities.hasPositions) return [];
  await vm.loadMarkets();
  const list = await vm.call('read', () => vm.exchange.fetchPositions(undefined, vm.marketParams));
  return positionsFromCcxt(list, vm.loadedMarkets(), vm.market);
}

export async function fundingRate(vm: CcxtVenueMarket, symbol: string): Promise<FundingRate> {
  if (!vm.capabilities.hasFunding)
    throw new ConnectorError('invalid-order', 'fundingRate is available on perp markets only');
  const m = await vm.marketOf(symbol);
  return fundingRateFromCcxt(await vm.call('read', () => vm.exchange.fetchFundingRate(m.symbol)), symbol);
}

export async function fundingPayments(vm: CcxtVenueMarket, since: number): Promise<FundingPayment[]> {
  if (vm.market !== 'perp')
    throw new ConnectorError('invalid-order', 'fundingPayments is available on perp markets only');
  requireTrading(vm);
  await vm.loadMarkets();
  const list = await vm.call('read', () =>
    vm.exchange.fetchFundingHistory(undefined, since, undefined, vm.marketParams),
  );
  return fundingPaymentsFromCcxt(list, vm.loadedMarkets(), since);
}

export async function setLeverage(vm: CcxtVenueMarket, symbol: string, leverage: number): Promise<void> {
  if (vm.market !== 'perp')
    throw new ConnectorError('invalid-order', 'setLeverage is available on perp markets only');
  requireTrading(vm);
  const m = await vm.marketOf(symbol);
  try {
    await vm.call('read', () => vm.exchange.setLeverage(leverage, m.symbol));
  } catch (e) {
    // Bybit refuses to set the leverage a symbol already has (110043 "leverage not modified"): done.
    if (vm.venue === 'bybit' && e instanceof ConnectorError && String(e.venueCode) === '110043') return;
    throw e;
  }
}
