import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { MarketSnapshot } from '../../activities/market-snapshot';
import type { MarketKind, Venue } from '../../domain/venues';
import type { KeelActivities } from '../strategies/strategy-types';

/** One symbol on one account of a venue market, whose rules are asked for. */
export interface MarketRulesRequest {
  venue: Venue;
  market: MarketKind;
  account: string;
  symbol: string;
}

/** A market's filters and touch (bid and ask absent when that side of the book is empty). */
export type MarketRules = Pick<
  MarketSnapshot,
  'tickSize' | 'lotSize' | 'minQuantity' | 'minNotional' | 'bid' | 'ask'
>;

/** What the venue said of one requested market: its rules, or that it does not list the symbol. */
export type MarketRulesAnswer = MarketRulesRequest &
  ({ status: 'listed'; rules: MarketRules } | { status: 'unlisted'; message: string });

export interface MarketRulesInput {
  markets: MarketRulesRequest[];
}

export interface MarketRulesResult {
  /** One answer per requested market, in the order asked. */
  markets: MarketRulesAnswer[];
}

/** The failure type `marketSnapshot` gives a symbol the venue market does not list (activities/market-snapshot.ts). */
export const UNKNOWN_SYMBOL = 'Connector:unknown-symbol';

/** The workflow's failure when a venue market could not be asked (the activity's failure is its cause). */
export const MARKET_RULES_UNAVAILABLE = 'MarketRulesUnavailable';

/**
 * Someone waits on this (the API, before it adds a symbol): short timeouts and few tries, so a venue that
 * does not answer fails the check in seconds instead of holding the request.
 */
const { marketSnapshot } = proxyActivities<Pick<KeelActivities, 'marketSnapshot'>>({
  startToCloseTimeout: '8 seconds',
  scheduleToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

const unlisted = (error: unknown): error is ActivityFailure =>
  error instanceof ActivityFailure &&
  error.cause instanceof ApplicationFailure &&
  error.cause.type === UNKNOWN_SYMBOL;

/**
 * Asks the venues, through the workers' connectors, for the rules of each market (in parallel): a
 * symbol the market does not list is an answer (`unlisted`); any other failure fails the workflow, with
 * a message naming the market.
 */
export async function marketRulesWorkflow(input: MarketRulesInput): Promise<MarketRulesResult> {
  const markets = await Promise.all(
    input.markets.map(async (request): Promise<MarketRulesAnswer> => {
      const { venue, market, account, symbol } = request;
      try {
        const snapshot = await marketSnapshot({ venue, market, account, symbol });
        const { tickSize, lotSize, minQuantity, minNotional, bid, ask } = snapshot;
        const rules: MarketRules = {
          tickSize,
          lotSize,
          minQuantity,
          minNotional,
          ...(bid !== undefined ? { bid } : {}),
          ...(ask !== undefined ? { ask } : {}),
        };
        return { ...request, status: 'listed', rules };
      } catch (error) {
        if (unlisted(error))
          return { ...request, status: 'unlisted', message: error.cause?.message ?? error.message };
        const reason = error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : undefined;
        throw ApplicationFailure.create({
          type: MARKET_RULES_UNAVAILABLE,
          message: `${venue} ${market} (account ${account}) did not give the rules of ${symbol}: ${reason ?? String(error)}`,
          nonRetryable: true,
          cause: error instanceof Error ? error : undefined,
        });
      }
    }),
  );
  return { markets };
}
