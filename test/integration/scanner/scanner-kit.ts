import type { SimExchange } from '../../../sim';
import { trackerLegs } from '../../../workflows/scanner/tracker/tracker-messages';

/** Best bid and ask of a direction's two legs; an empty string leaves that side of the book empty. */
export interface Tops {
  spot: readonly [string, string];
  perp: readonly [string, string];
}

/**
 * Keel's resting orders on the simulator make the tops of `direction`'s legs for `symbol`. The quiet
 * simulator's clock stands still, so it is brought to now first: the quotes carry a current venue time.
 */
export function setTops(exchange: SimExchange, symbol: string, direction: string, tops: Tops): void {
  exchange.clock.set(Date.now());
  const legs = trackerLegs(direction);
  for (const [leg, [bid, ask]] of [
    [legs.spot, tops.spot],
    [legs.perp, tops.perp],
  ] as const) {
    const market = exchange.market(leg.venue, leg.market);
    market.cancelAll('keel', symbol);
    for (const [side, price] of [
      ['buy', bid],
      ['sell', ask],
    ] as const)
      if (price) market.placeOrder({ account: 'keel', symbol, side, type: 'limit', price, quantity: '1' });
  }
}
