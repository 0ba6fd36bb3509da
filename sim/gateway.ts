import { SimError } from './errors';
import type { SimExchange } from './exchange';
import type { OrderView, PlaceOrderRequest } from './orders';
import type { BalanceView, PerpAccountView } from './venue';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** The wall clock (ms since the epoch) a venue checks request timestamps against; tests inject their own. */
export type WallClock = () => number;

/** How a front waits out injected latency, and the wall clock it checks request timestamps on. */
export interface RequestTiming {
  sleep: Sleep;
  now: WallClock;
}

/**
 * When the client sent a request and how long it stays valid: Binance's `timestamp` and `recvWindow`.
 * A stamped request is refused (REQUEST_EXPIRED) if the venue would receive or execute it more than
 * `recvWindow` ms after `timestamp` (or it is stamped over 1 s in the venue's future): a request delayed
 * in transit is refused, never executed late. Unstamped requests are not checked.
 */
export interface RequestStamp {
  /** The client's wall clock when it sent the request, ms since the epoch. */
  timestamp: number;
  /** Default 5000, at most 60000 ms. */
  recvWindow?: number | undefined;
}

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
/** A request stamped further than this into the venue's future is refused too (clock skew), as on Binance. */
export const FUTURE_TOLERANCE_MS = 1_000;

/** Why the venue refuses a request stamped `stamp` at `nowMs`, or undefined while it is within its window. */
export function stampError(
  stamp: RequestStamp,
  nowMs: number,
  when: 'receipt' | 'execution',
): SimError | undefined {
  const recvWindow = stamp.recvWindow ?? DEFAULT_RECV_WINDOW_MS;
  if (!Number.isSafeInteger(stamp.timestamp))
    return new SimError('MALFORMED_REQUEST', 'timestamp must be an integer number of ms since the epoch');
  if (!Number.isFinite(recvWindow) || recvWindow <= 0 || recvWindow > MAX_RECV_WINDOW_MS)
    return new SimError('MALFORMED_REQUEST', `recvWindow must be above 0 and at most ${MAX_RECV_WINDOW_MS}`);
  const age = nowMs - stamp.timestamp;
  if (age < -FUTURE_TOLERANCE_MS)
    return new SimError('REQUEST_EXPIRED', `timestamp is ${-age} ms ahead of the venue's clock at ${when}`);
  if (age > recvWindow)
    return new SimError(
      'REQUEST_EXPIRED',
      `the request was ${age} ms old at ${when}; recvWindow=${recvWindow}`,
    );
  return undefined;
}

function checkStamp(stamp: RequestStamp | undefined, now: WallClock, when: 'receipt' | 'execution'): void {
  const refused = stamp && stampError(stamp, now(), when);
  if (refused) throw refused;
}

/**
 * Runs one API operation through the fault injector: a stamped request is checked at receipt, then
 * added latency, then possibly a 429/5xx before anything happens, then the stamp is checked again at
 * the moment it would execute, then the operation, then possibly the response is lost (the operation
 * DID take effect, the caller gets NETWORK_TIMEOUT). Shared by the in-process client and both servers.
 */
export async function withFaults<T>(
  exchange: SimExchange,
  venue: string,
  market: string,
  op: string,
  timing: RequestTiming,
  fn: () => T,
  stamp?: RequestStamp,
): Promise<T> {
  checkStamp(stamp, timing.now, 'receipt');
  const f = exchange.faults.forRequest(venue, market, op);
  if (f.latencyMs > 0) await timing.sleep(f.latencyMs);
  if (f.failBefore === 'rate-limit') throw new SimError('RATE_LIMITED');
  if (f.failBefore === 'server-error') throw new SimError('SERVER_ERROR');
  if (f.failBefore === 'reject')
    throw new SimError(market === 'perp' ? 'INSUFFICIENT_MARGIN' : 'INSUFFICIENT_BALANCE', 'injected fault');
  checkStamp(stamp, timing.now, 'execution');
  const result = fn();
  if (f.loseResponse) throw new SimError('NETWORK_TIMEOUT', `${op} on ${venue}/${market}: response lost`);
  return result;
}

type OrderRef = { clientOrderId?: string; orderId?: string };

/** In-process asynchronous client with the same fault and recvWindow behaviour as the network server. */
export class SimClient {
  private readonly timing: RequestTiming;

  constructor(
    private readonly exchange: SimExchange,
    sleep: Sleep = realSleep,
    now: WallClock = Date.now,
  ) {
    this.timing = { sleep, now };
  }

  private run<T>(venue: string, market: string, op: string, fn: () => T, stamp?: RequestStamp): Promise<T> {
    return withFaults(this.exchange, venue, market, op, this.timing, fn, stamp);
  }

  placeOrder(
    venue: string,
    market: string,
    req: PlaceOrderRequest,
    stamp?: RequestStamp,
  ): Promise<OrderView> {
    return this.run(
      venue,
      market,
      'createOrder',
      () => this.exchange.market(venue, market).placeOrder(req),
      stamp,
    );
  }

  cancelOrder(
    venue: string,
    market: string,
    account: string,
    ref: OrderRef,
    stamp?: RequestStamp,
  ): Promise<OrderView> {
    return this.run(
      venue,
      market,
      'cancelOrder',
      () => this.exchange.market(venue, market).cancelOrder(account, ref),
      stamp,
    );
  }

  getOrder(venue: string, market: string, account: string, ref: OrderRef): Promise<OrderView> {
    return this.run(venue, market, 'getOrder', () =>
      this.exchange.market(venue, market).getOrder(account, ref),
    );
  }

  openOrders(venue: string, market: string, account: string, symbol?: string): Promise<OrderView[]> {
    return this.run(venue, market, 'openOrders', () =>
      this.exchange.market(venue, market).openOrders(account, symbol),
    );
  }

  balances(venue: string, account: string): Promise<BalanceView[]> {
    return this.run(venue, 'spot', 'balances', () => this.exchange.venue(venue).balances(account));
  }

  perpAccount(venue: string, account: string): Promise<PerpAccountView> {
    return this.run(venue, 'perp', 'positions', () => this.exchange.venue(venue).perpAccount(account));
  }
}
