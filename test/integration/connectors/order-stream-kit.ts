import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { createCcxtConnector, resetSharedExchanges } from '../../../connectors/ccxt';
import type { ExchangeConnector, Order } from '../../../connectors/exchange-connector';
import type { MarketKind } from '../../../domain/venues';
import { SimExchange } from '../../../sim/exchange';
import type { FrontCredential } from '../../../sim/fronts/binance/auth';

/**
 * What the order-stream tests of the simulator's venue fronts share: a front on a funded simulator, ccxt
 * connectors pointed at it, and a watch that records `onLive` and every order in arrival order.
 */
export const API_KEY = `key${randomBytes(12).toString('hex')}`;
export const SECRET = `sec${randomBytes(24).toString('hex')}`;

/** Every watch is aborted at the end of the file, even one a failed assertion left running. */
const controllers: AbortController[] = [];
after(() => {
  for (const controller of controllers) controller.abort();
  resetSharedExchanges();
});

/** A venue front as the tests build it. */
export interface FrontKind<Front extends { listen(): Promise<string> }> {
  venue: 'binance' | 'bybit';
  create(options: { exchange: SimExchange; credentials: FrontCredential[] }): Front;
  apiUrls(base: string): Record<string, string>;
  wsUrls(base: string): Record<string, unknown>;
}

/** `alice` trades through the front (the API key's account); `bob` trades against her in the simulator. */
export async function startFront<Front extends { listen(): Promise<string> }>(
  kind: FrontKind<Front>,
  credentials: { apiKey?: string; secret?: string } = {},
) {
  const exchange = new SimExchange({ seed: 11 });
  const venue = exchange.venue(kind.venue);
  for (const who of ['alice', 'bob']) {
    venue.deposit('spot', who, 'USDT', '1000000');
    venue.deposit('spot', who, 'BTC', '100');
    venue.deposit('perp', who, 'USDT', '1000000');
  }
  const front = kind.create({
    exchange,
    credentials: [{ apiKey: API_KEY, secret: SECRET, account: 'alice' }],
  });
  const base = await front.listen();
  const prefix = `KEEL_${kind.venue.toUpperCase()}`;
  // A fresh port per test, so a fresh URL set: its own shared REST and ccxt.pro instances.
  const connectorFor = (market: MarketKind): ExchangeConnector =>
    createCcxtConnector({
      venue: kind.venue,
      market,
      env: {
        [`${prefix}_API_KEY`]: credentials.apiKey ?? API_KEY,
        [`${prefix}_SECRET`]: credentials.secret ?? SECRET,
      },
      apiUrls: kind.apiUrls(base),
      wsUrls: kind.wsUrls(base),
    });
  return { exchange, front, base, connectorFor };
}

export type Seen = { live: true } | Order;
export const isOrder = (seen: Seen): seen is Order => !('live' in seen);
export const brief = (order: Order): string =>
  `${order.clientOrderId} ${order.status} ${order.filledQuantity} ${order.averagePrice ?? '-'}`;

/** Starts a watch recording onLive and every order in arrival order. */
export function watching(connector: ExchangeConnector) {
  const seen: Seen[] = [];
  const ac = new AbortController();
  controllers.push(ac);
  const done =
    connector.watchOrders?.(
      (order) => seen.push(order),
      ac.signal,
      () => seen.push({ live: true }),
    ) ?? assert.fail('the ccxt connector offers watchOrders with keys configured');
  done.catch(() => undefined);
  const orders = (id?: string): Order[] =>
    seen.filter(isOrder).filter((order) => id === undefined || order.clientOrderId === id);
  const last = (id: string): Order | undefined => orders(id).at(-1);
  const isLive = (): boolean => seen.some((entry) => 'live' in entry);
  return { seen, ac, done, orders, last, isLive };
}
