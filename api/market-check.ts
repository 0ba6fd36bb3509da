import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { unconfiguredVenueAccount, type VenuesConfig } from '../config/venues';
import { compare, isDecimal, multiply } from '../domain/decimal';
import type { MarketKind, Venue } from '../domain/venues';
import { marketRulesWorkflow } from '../workflows';
import type { MarketRulesAnswer, MarketRulesRequest } from '../workflows/markets/market-rules-workflow';
import { findStrategy } from '../workflows/strategies/strategy-registry';
import type { SymbolConfig } from '../workflows/symbol/symbol-config';
import { ControlRefused, temporalUnavailable } from './orchestrator';

/**
 * Before a symbol is added or its configuration replaced, the venues are asked (through a worker: the API
 * has no connectors) for the rules of every market its strategies will trade, so a symbol the venue does
 * not list, or an order size below the venue's minimums, is a 400 now rather than a failed workflow later.
 */

/** One venue market a strategy trades on, and the order size there that must meet the venue's minimums. */
export interface TradedMarket {
  /** Who trades there, for messages: e.g. `arbitrage short leg`. */
  label: string;
  venue: Venue;
  market: MarketKind;
  account: string;
  /** Base units of one order; absent: only the listing is checked. */
  quantity?: string | undefined;
}

/**
 * How long the API waits for the check: the workflow's whole run, so with no worker polling the task
 * queue it times out and the API answers 503 instead of holding the request. Three tries of a venue call
 * (market-rules-workflow.ts) fit in it.
 */
export const MARKET_RULES_TIMEOUT_MS = 20_000;

/** The markets of every strategy with a `tradedMarkets` hook (none: nothing to ask the venues). */
export function tradedMarkets(config: SymbolConfig): TradedMarket[] {
  return config.strategies.flatMap((strategy) => {
    const definition = findStrategy(strategy.name);
    const symbolVenue = config.venues[strategy.venue];
    if (!definition?.tradedMarkets || !symbolVenue) return [];
    return definition.tradedMarkets(strategy.params, symbolVenue).map((traded) => ({
      label: `${strategy.name} ${traded.what}`,
      venue: traded.venue,
      market: traded.market,
      account: traded.account ?? symbolVenue.account,
      quantity: traded.quantity,
    }));
  });
}

/** Why a traded market cannot be asked at all (its venue, market or account is not configured), or undefined. */
export function unconfiguredMarket(
  venues: VenuesConfig,
  markets: readonly TradedMarket[],
): string | undefined {
  for (const traded of markets) {
    const unconfigured = unconfiguredVenueAccount(venues, traded);
    if (unconfigured) return `${traded.label}: ${unconfigured.message}`;
  }
  return undefined;
}

const marketKey = (where: { venue: string; market: string; account: string }) =>
  `${where.venue}/${where.market}/${where.account}`;

/**
 * Pure: what is wrong with trading `symbol` on these markets under the rules the venues gave (one answer
 * per market and account), every problem joined, or undefined. Not listed; an order size below the
 * minimum quantity; or, when the book shows a price (the best ask, else the best bid), a notional below
 * the minimum notional. With an empty book the notional is not checked, and nothing is said of it.
 */
export function marketRulesRefusal(
  symbol: string,
  markets: readonly TradedMarket[],
  answers: readonly MarketRulesAnswer[],
): string | undefined {
  const problems: string[] = [];
  for (const traded of markets) {
    const answer = answers.find((candidate) => marketKey(candidate) === marketKey(traded));
    if (!answer) continue;
    const where = `${traded.venue} ${traded.market}`;
    if (answer.status === 'unlisted') {
      problems.push(`${traded.label}: ${symbol} is not listed on ${where}`);
      continue;
    }
    const { quantity } = traded;
    if (quantity === undefined || !isDecimal(quantity)) continue;
    const { minQuantity, minNotional, bid, ask } = answer.rules;
    if (isDecimal(minQuantity) && compare(quantity, minQuantity) < 0) {
      problems.push(
        `${traded.label}: order size ${quantity} is below the minimum quantity ${minQuantity} of ${symbol} on ${where}`,
      );
      continue;
    }
    const price = ask ?? bid;
    if (price === undefined || !isDecimal(price) || !isDecimal(minNotional)) continue;
    const notional = multiply(quantity, price);
    if (compare(notional, minNotional) < 0)
      problems.push(
        `${traded.label}: order size ${quantity} at the best ${ask === undefined ? 'bid' : 'ask'} ${price} ` +
          `is a notional of ${notional}, below the minimum notional ${minNotional} of ${symbol} on ${where}`,
      );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Why the check could not be made (Temporal or a venue away, no worker): always a 503 with a message. */
function unavailable(error: unknown, timeoutMs: number): ControlRefused | undefined {
  if (error instanceof WorkflowFailedError) {
    const cause = error.cause;
    if (cause instanceof TimeoutFailure)
      return new ControlRefused(
        503,
        `no worker answered the market-rules check within ${timeoutMs / 1000} s (is a worker running?); try again`,
      );
    const detail = cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? error.message);
    return new ControlRefused(503, `the venues' market rules could not be read: ${detail}; try again`);
  }
  const temporal = temporalUnavailable(error, timeoutMs);
  return temporal === undefined ? undefined : new ControlRefused(503, temporal);
}

/**
 * Asks the venues for the rules of `symbol` on each market (each market and account once), by running
 * `marketRulesWorkflow` on the workers' task queue and waiting for its answer. Throws ControlRefused 503
 * when the answer cannot be had.
 */
export async function askMarketRules(
  temporal: Client,
  taskQueue: string,
  symbol: string,
  markets: readonly TradedMarket[],
  timeoutMs = MARKET_RULES_TIMEOUT_MS,
): Promise<MarketRulesAnswer[]> {
  const requests = new Map<string, MarketRulesRequest>();
  for (const { venue, market, account } of markets)
    requests.set(marketKey({ venue, market, account }), { venue, market, account, symbol });
  try {
    const result = await temporal.workflow.execute(marketRulesWorkflow, {
      workflowId: `market-rules-${randomUUID()}`,
      taskQueue,
      args: [{ markets: [...requests.values()] }],
      workflowExecutionTimeout: timeoutMs,
      staticSummary: `Market rules of ${symbol} on ${[...requests.keys()].join(', ')}`,
    });
    return result.markets;
  } catch (error) {
    throw unavailable(error, timeoutMs) ?? error;
  }
}

/**
 * Why `config` may not trade `symbol`, as a 400's message, or undefined: a traded market that is not
 * configured, not listed, or whose minimums its order size does not meet. Strategies without the
 * `tradedMarkets` hook cost nothing: no workflow runs when no strategy names a market.
 */
export async function marketRefusal(
  deps: { temporal: Client; taskQueue: string; venues: VenuesConfig; timeoutMs?: number },
  symbol: string,
  config: SymbolConfig,
): Promise<string | undefined> {
  const markets = tradedMarkets(config);
  if (markets.length === 0) return undefined;
  const unconfigured = unconfiguredMarket(deps.venues, markets);
  if (unconfigured) return unconfigured;
  const answers = await askMarketRules(deps.temporal, deps.taskQueue, symbol, markets, deps.timeoutMs);
  return marketRulesRefusal(symbol, markets, answers);
}
