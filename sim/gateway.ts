import { SimError } from './errors';
import type { SimExchange } from './exchange';
import type { OrderView, PlaceOrderRequest } from './orders';
import type { BalanceView, PerpAccountView } from './venue';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one API operation through the fault injector: added latency, then possibly a 429/5xx before
 * anything happens, then the operation, then possibly the response is lost (the operation DID take
 * effect, the caller gets NETWORK_TIMEOUT). Shared by the in-process client and the HTTP server.
 */
export async function withFaults<T>(
  exchange: SimExchange,
  venue: string,
  market: string,
  op: string,
  sleep: Sleep,
  fn: () => T,
): Promise<T> {
  const f = exchange.faults.forRequest(venue, market, op);
  if (f.latencyMs > 0) await sleep(f.latencyMs);
  if (f.failBefore === 'rate-limit') throw new SimError('RATE_LIMITED');
  if (f.failBefore === 'server-error') throw new SimError('SERVER_ERROR');
  const result = fn();
  if (f.loseResponse) throw new SimError('NETWORK_TIMEOUT', `${op} on ${venue}/${market}: response lost`);
  return result;
}

type OrderRef = { clientOrderId?: string; orderId?: string };

/** In-process asynchronous client with the same fault behaviour as the network server. */
export class SimClient {
  constructor(
    private readonly exchange: SimExchange,
    private readonly sleep: Sleep = realSleep,
  ) {}

  placeOrder(venue: string, market: string, req: PlaceOrderRequest): Promise<OrderView> {
    return withFaults(this.exchange, venue, market, 'createOrder', this.sleep, () =>
      this.exchange.market(venue, market).placeOrder(req),
    );
  }

  cancelOrder(venue: string, market: string, account: string, ref: OrderRef): Promise<OrderView> {
    return withFaults(this.exchange, venue, market, 'cancelOrder', this.sleep, () =>
      this.exchange.market(venue, market).cancelOrder(account, ref),
    );
  }

  getOrder(venue: string, market: string, account: string, ref: OrderRef): Promise<OrderView> {
    return withFaults(this.exchange, venue, market, 'getOrder', this.sleep, () =>
      this.exchange.market(venue, market).getOrder(account, ref),
    );
  }

  openOrders(venue: string, market: string, account: string, symbol?: string): Promise<OrderView[]> {
    return withFaults(this.exchange, venue, market, 'openOrders', this.sleep, () =>
      this.exchange.market(venue, market).openOrders(account, symbol),
    );
  }

  balances(venue: string, account: string): Promise<BalanceView[]> {
    return withFaults(this.exchange, venue, 'spot', 'balances', this.sleep, () =>
      this.exchange.venue(venue).balances(account),
    );
  }

  perpAccount(venue: string, account: string): Promise<PerpAccountView> {
    return withFaults(this.exchange, venue, 'perp', 'positions', this.sleep, () =>
      this.exchange.venue(venue).perpAccount(account),
    );
  }
}
