import { SimExchange } from '../../../sim/exchange';
import type { ClientIdReuse, VenueConfig } from '../../../sim/venues-config';

/**
 * A one-venue exchange with round-number filters and fees so expected values are easy by hand:
 * spot BTC-USDT tick 0.01, lot 0.00001, min qty 0.0001, max qty 100, min notional 10;
 * perp BTC-USDT tick 0.1, lot 0.001, maintenance margin 0.5 %.
 * Fees: spot maker 0.1 % / taker 0.2 %; perp maker 0.02 % / taker 0.05 %.
 */
export function testExchange(clientIdReuse: ClientIdReuse = 'never', seed = 1): SimExchange {
  const cfg: VenueConfig = {
    name: 'binance',
    clientIdReuse,
    fundingIntervalMs: 8 * 3600_000,
    spot: {
      fees: { makerPpm: 1000, takerPpm: 2000 },
      instruments: [
        {
          symbol: 'BTC-USDT',
          tickSize: '0.01',
          lotSize: '0.00001',
          minQty: '0.0001',
          maxQty: '100',
          minNotional: '10',
        },
      ],
    },
    perp: {
      fees: { makerPpm: 200, takerPpm: 500 },
      instruments: [
        {
          symbol: 'BTC-USDT',
          tickSize: '0.1',
          lotSize: '0.001',
          minQty: '0.001',
          maxQty: '100',
          minNotional: '5',
          maintenanceMarginPpm: 5000,
          maxLeverage: 100,
        },
      ],
    },
  };
  return new SimExchange({ seed, venues: [cfg], startTime: Date.UTC(2024, 0, 1) });
}

export const limit = (
  account: string,
  side: 'buy' | 'sell',
  quantity: string,
  price: string,
  extra: Record<string, unknown> = {},
) => ({
  account,
  symbol: 'BTC-USDT',
  side,
  type: 'limit' as const,
  quantity,
  price,
  ...extra,
});

export const market = (account: string, side: 'buy' | 'sell', quantity: string) => ({
  account,
  symbol: 'BTC-USDT',
  side,
  type: 'market' as const,
  quantity,
});

export function balance(ex: SimExchange, account: string, asset: string): { total: string; locked: string } {
  const b = ex
    .venue('binance')
    .balances(account)
    .find((x) => x.asset === asset);
  return { total: b?.total ?? '0', locked: b?.locked ?? '0' };
}
