import { ApplicationFailure } from '@temporalio/activity';
import {
  ConnectorError,
  type ConnectorFactory,
  type ExchangeConnector,
} from '../connectors/exchange-connector';
import { add } from '../domain/decimal';
import { type MarketKind, type Venue } from '../domain/venues';

export interface MarketActivityDependencies {
  connectors?: ConnectorFactory;
}

/** One account on one venue market. */
export interface Where {
  venue: Venue;
  market: MarketKind;
  account: string;
}

export interface MarketSnapshot {
  bid?: string;
  ask?: string;
  /** Base quantity at the best bid and ask. */
  bidSize?: string;
  askSize?: string;
  tickSize: string;
  lotSize: string;
  minQuantity: string;
  minNotional: string;
}

/** Venue refusals are business outcomes (non-retryable); `retryable` errors go back to Temporal's retry policy. */
export function asFailure(error: unknown): Error {
  if (error instanceof ConnectorError && !error.retryable)
    return ApplicationFailure.nonRetryable(error.message, `Connector:${error.kind}`);
  return error instanceof Error ? error : new Error(String(error));
}

export function createMarketActivities(deps: MarketActivityDependencies) {
  const instruments = new Map<string, Promise<Awaited<ReturnType<ExchangeConnector['instruments']>>>>();
  const connector = (where: Where): ExchangeConnector => {
    if (!deps.connectors)
      throw ApplicationFailure.nonRetryable(
        'this worker has no exchange connectors configured',
        'NoConnectors',
      );
    return deps.connectors(where.venue, where.market, where.account);
  };

  return {
    /** Best bid/ask (absent when the book is empty) and the instrument's filters. */
    async marketSnapshot(input: Where & { symbol: string }): Promise<MarketSnapshot> {
      const exchange = connector(input);
      const key = `${input.venue}/${input.market}`;
      let list = instruments.get(key);
      if (!list) {
        list = exchange.instruments();
        instruments.set(key, list);
        list.catch(() => instruments.delete(key));
      }
      const instrument = (await list.catch((error: unknown) => Promise.reject(asFailure(error)))).find(
        (candidate) => candidate.symbol === input.symbol,
      );
      if (!instrument)
        throw ApplicationFailure.nonRetryable(
          `${input.symbol} is not listed on ${key}`,
          'Connector:unknown-symbol',
        );
      const snapshot: MarketSnapshot = {
        tickSize: instrument.tickSize,
        lotSize: instrument.lotSize,
        minQuantity: instrument.minQuantity,
        minNotional: instrument.minNotional,
      };
      try {
        const quote = await exchange.bestBidAsk(input.symbol);
        if (Number(quote.bid) > 0) Object.assign(snapshot, { bid: quote.bid, bidSize: quote.bidSize });
        if (Number(quote.ask) > 0) Object.assign(snapshot, { ask: quote.ask, askSize: quote.askSize });
      } catch (error) {
        // An empty or one-sided book is a normal state for a quiet market: the strategy quotes around its
        // reference price instead.
        if (!(error instanceof ConnectorError && error.kind === 'no-quote')) throw asFailure(error);
      }
      return snapshot;
    },

    /** A perp's current funding rate per interval (positive: longs pay shorts) and when it is next paid. */
    /**
     * The account's margin in `asset` as the venue counts it: equity (free plus in use) and the part in
     * use (held by open orders and, on a perp, by positions). Zero for an asset the account lacks.
     */
    async marginAccount(input: Where & { asset: string }): Promise<{ equity: string; usedMargin: string }> {
      try {
        const balance = (await connector(input).balances()).find((entry) => entry.asset === input.asset);
        return {
          equity: add(balance?.free ?? '0', balance?.locked ?? '0'),
          usedMargin: balance?.locked ?? '0',
        };
      } catch (error) {
        throw asFailure(error);
      }
    },

    /** Sets the account's leverage for a perp on the venue (a no-op when it already has it). */
    async setLeverage(input: Where & { symbol: string; leverage: number }): Promise<void> {
      try {
        await connector(input).setLeverage(input.symbol, input.leverage);
      } catch (error) {
        throw asFailure(error);
      }
    },

    async fundingRate(input: Where & { symbol: string }): Promise<{ rate: string; nextFundingTime: number }> {
      try {
        const { rate, nextFundingTime } = await connector(input).fundingRate(input.symbol);
        return { rate, nextFundingTime };
      } catch (error) {
        throw asFailure(error);
      }
    },
  };
}
