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

/**
 * A wall clock and a `sleep` for injected latency that moves only when the test says so: each `sleep`
 * waits until `elapse()` passes its delay on the clock and lets the delayed request go on. How tests
 * hold a request "in flight" to look at the venue before and after it would execute.
 */
export function heldLatency(start = Date.UTC(2024, 0, 1)) {
  let now = start;
  const waiting: Array<{ ms: number; resume: () => void }> = [];
  return {
    now: (): number => now,
    sleep: (ms: number): Promise<void> => new Promise<void>((resume) => waiting.push({ ms, resume })),
    get pending(): number {
      return waiting.length;
    },
    /** Resolves once a request is waiting out its latency (it may travel over loopback first). */
    async untilPending(): Promise<void> {
      for (let i = 0; waiting.length === 0; i++) {
        if (i > 2_000) throw new Error('no request is waiting out a latency fault');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    /** The oldest delayed request's latency passes on the wall clock; it goes on. */
    elapse(): void {
      const next = waiting.shift();
      if (!next) throw new Error('no request is waiting out a latency fault');
      now += next.ms;
      next.resume();
    },
    /** Waits until `request` is held by its latency, lets the latency pass, and returns its outcome. */
    async through<T>(request: Promise<T>): Promise<T> {
      await this.untilPending();
      this.elapse();
      return request;
    },
  };
}
