import { z } from 'zod';
import type { createActivities } from '../../activities';
import { RiskLimitsSchema } from '../../domain/risk';
import { DecimalParamSchema } from '../../domain/trading';
import type { VenueRef } from '../../domain/venues';
import type { AccountChange } from '../accounts/account-messages';

/**
 * The symbol's own pre-trade limits (domain/risk.ts); account and global ones are set through the risk
 * workflow, and the tightest applies. Two hold by default, so no symbol trades without a bound.
 */
export const SymbolRiskSchema = RiskLimitsSchema.extend({
  maxOpenOrders: z.number().int().min(0).max(10_000).default(20),
  maxOrderNotional: DecimalParamSchema.default('10000'),
});
export type SymbolRisk = z.infer<typeof SymbolRiskSchema>;

export type KeelActivities = ReturnType<typeof createActivities>;

/** What the symbol workflow hands a strategy: everything it may touch, nothing else. */
export interface StrategyContext {
  symbol: string;
  strategyName: string;
  /** The strategy's position in the symbol's configuration: part of its client order ids. */
  slot: number;
  venue: VenueRef;
  risk: SymbolRisk;
  /** The stable scope of this symbol workflow chain: its orders' client order ids start with its prefix. */
  orderIdScope: string;
  /** The next client order id of the chain for this strategy: never one the chain has issued before. */
  newClientOrderId(): string;
  /**
   * Runs a wait (a long, heartbeating activity such as the watch) that the symbol workflow cancels as soon
   * as a command arrives, so pause, stop and new params never wait behind it. Only for waits that answer
   * a cancellation by returning what they have: never around placing or cancelling orders.
   */
  interruptible<T>(wait: () => Promise<T>): Promise<T>;
  /** Order activities (proxied; every call is durable and retried by Temporal). */
  activities: Pick<
    KeelActivities,
    | 'marketSnapshot'
    | 'fundingRate'
    | 'marginAccount'
    | 'setLeverage'
    | 'placeOrdersOnce'
    | 'cancelOrdersOnce'
    | 'reconcileOrders'
    | 'recordArbitrage'
  >;
}

/**
 * A running strategy inside a symbol workflow. Hooks run one at a time (the symbol workflow serialises
 * them); each may await activities. State returned by `snapshot` must be JSON and is carried across
 * continue-as-new into `create` of the next run.
 */
export interface StrategyInstance {
  /** Called when the strategy starts or resumes trading, and after its params change. */
  start(): Promise<void>;
  /** Called on the strategy's timer while trading. */
  step(): Promise<void>;
  /** Stop trading for now: cancel resting orders, keep state. */
  pause(): Promise<void>;
  /** Leave for good (symbol removed or strategy dropped from the config): cancel everything. */
  stop(): Promise<void>;
  /** New params (already validated by the definition's schema). */
  update(params: unknown): Promise<void>;
  /** Milliseconds until the next `step`, or undefined to wait for a message. */
  nextStepInMs(): number | undefined;
  /** How the strategy is doing by its own account: trouble it found that an operator must see. */
  health(): StrategyHealth;
  /**
   * Optional: the account workflow found the venue's position in one of this symbol's perps changed by
   * something other than Keel's orders (a close on the venue's site, a liquidation).
   */
  onAccountChange?(change: AccountChange): Promise<void>;
  snapshot(): StrategySnapshot;
  /**
   * Optional: whether the strategy would take an operator's command now (the manual strategy's orders),
   * and why not. Asked in the update's validator, before anything is recorded: synchronous, no side effects.
   */
  refuseCommand?(input: unknown): CommandRefusal | undefined;
  /**
   * Optional: carries out an operator's command, serialised with the other hooks like them. A refusal it
   * finds only now (the order closed meanwhile) is an answer; a throw is the strategy's failure.
   */
  command?(input: unknown): Promise<CommandAnswer>;
}

/** Why a strategy refuses a command: bad input, an order it does not hold, or not now (API: 400, 404, 409). */
export interface CommandRefusal {
  reason: 'invalid' | 'not-found' | 'conflict';
  message: string;
}

export type CommandAnswer = { ok: true; result: unknown } | { ok: false; refusal: CommandRefusal };

export interface StrategyHealth {
  status: 'ok' | 'degraded';
  /** Each problem named, e.g. the client order ids the venue no longer knows. */
  problems: string[];
}

export interface StrategySnapshot {
  /** Open client order ids this strategy believes it holds. */
  openOrders: string[];
  /** Strategy-specific durable state (JSON). */
  state: unknown;
}

export interface StrategyDefinition<Params> {
  name: string;
  paramsSchema: z.ZodType<Params>;
  create(context: StrategyContext, params: Params, carried: unknown): StrategyInstance;
  /**
   * Optional: the venue markets these params trade on, each with the order size (base units) that must
   * meet the venue's minimums and what the size is, for messages (e.g. "short leg"). `symbolVenue` is
   * the symbol's venue the strategy is configured on; a market without an account trades on its account.
   * Pure: the API asks the venues for each market's rules before the symbol is added or updated, and
   * refuses a symbol not listed there or a size below the minimums.
   */
  tradedMarkets?(
    params: Params,
    symbolVenue: VenueRef,
  ): Array<{
    venue: VenueRef['venue'];
    market: VenueRef['market'];
    account?: string | undefined;
    quantity?: string | undefined;
    what: string;
  }>;
}
