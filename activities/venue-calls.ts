import type { Pool } from 'pg';
import {
  ConnectorError,
  type ConnectorFactory,
  type CreateOrder,
  type ExchangeConnector,
  type SendOptions,
} from '../connectors/exchange-connector';
import { observeVenueCall } from '../metrics/venue-metrics';

interface VenueCall {
  venue: string;
  op: string;
  at: number;
  ms: number;
  ok: boolean;
}

/** Answers that are part of normal trading, not a venue failing: an order already gone, a quiet book. */
const isFailure = (error: unknown) =>
  !(error instanceof ConnectorError && (error.kind === 'order-not-found' || error.kind === 'no-quote'));

/**
 * Every request a worker makes to a venue, as the circuit breakers see it: its round trip and whether it
 * failed (a rejection or an error). Kept in memory and written once a second, so the order path pays a
 * timer read, not a database write; every worker process writes its own, and the breakers read them all.
 */
export function recordVenueCalls(pool: Pool, connectors: ConnectorFactory, flushEveryMs = 1_000) {
  let pending: VenueCall[] = [];
  const timedConnectors = new WeakMap<ExchangeConnector, ExchangeConnector>();

  const flush = async () => {
    if (pending.length === 0) return;
    const calls = pending;
    pending = [];
    await pool
      .query(
        `INSERT INTO venue_calls (venue, op, at, ms, ok)
         SELECT venue, op, to_timestamp(at / 1000.0), ms, ok
         FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::bool[]) AS c(venue, op, at, ms, ok)`,
        [
          calls.map((call) => call.venue),
          calls.map((call) => call.op),
          calls.map((call) => call.at),
          calls.map((call) => call.ms),
          calls.map((call) => call.ok),
        ],
      )
      // Losing a second of samples weakens a breaker for a second; failing the worker would be worse.
      .catch(() => undefined);
  };
  const timer = setInterval(() => void flush(), flushEveryMs);
  timer.unref();

  function timed(connector: ExchangeConnector): ExchangeConnector {
    const time =
      <A extends unknown[], R>(op: string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const started = performance.now();
        const note = (ok: boolean, errorKind?: string) => {
          const ms = performance.now() - started;
          pending.push({ venue: connector.venue, op, at: Date.now(), ms, ok });
          observeVenueCall(
            { venue: connector.venue, market: connector.market, operation: op },
            ms / 1000,
            errorKind,
          );
        };
        try {
          const result = await call(...args);
          note(true);
          return result;
        } catch (error) {
          const failed = isFailure(error);
          note(!failed, failed ? (error instanceof ConnectorError ? error.kind : 'error') : undefined);
          throw error;
        }
      };
    return {
      venue: connector.venue,
      market: connector.market,
      live: connector.live,
      requestExpiryMs: connector.requestExpiryMs,
      capabilities: connector.capabilities,
      instruments: time('instruments', () => connector.instruments()),
      bestBidAsk: time('bestBidAsk', (symbol: string) => connector.bestBidAsk(symbol)),
      watchBestBidAsk: (symbols, onQuote, signal) => connector.watchBestBidAsk(symbols, onQuote, signal),
      createOrder: time('createOrder', (order: CreateOrder, options?: SendOptions) =>
        connector.createOrder(order, options),
      ),
      cancelOrder: time('cancelOrder', (symbol: string, id: string) => connector.cancelOrder(symbol, id)),
      fetchOrderByClientId: time('fetchOrderByClientId', (symbol: string, id: string) =>
        connector.fetchOrderByClientId(symbol, id),
      ),
      openOrders: time('openOrders', (symbol?: string) => connector.openOrders(symbol)),
      balances: time('balances', () => connector.balances()),
      positions: time('positions', () => connector.positions()),
      fundingRate: time('fundingRate', (symbol: string) => connector.fundingRate(symbol)),
      fundingPayments: time('fundingPayments', (since: number) => connector.fundingPayments(since)),
      setLeverage: time('setLeverage', (symbol: string, leverage: number) =>
        connector.setLeverage(symbol, leverage),
      ),
      ...(connector.watchOrders && { watchOrders: connector.watchOrders.bind(connector) }),
      ...(connector.watchTrades && { watchTrades: connector.watchTrades.bind(connector) }),
      ...(connector.watchOrderBook && { watchOrderBook: connector.watchOrderBook.bind(connector) }),
      ...(connector.orderBookSnapshot && {
        orderBookSnapshot: time('orderBookSnapshot', connector.orderBookSnapshot.bind(connector)),
      }),
      close: () => connector.close(),
    };
  }

  const factory: ConnectorFactory = (venue, market, account) => {
    const connector = connectors(venue, market, account);
    let wrapped = timedConnectors.get(connector);
    if (!wrapped) {
      wrapped = timed(connector);
      timedConnectors.set(connector, wrapped);
    }
    return wrapped;
  };
  return { connectors: factory, flush, stop: () => clearInterval(timer) };
}
