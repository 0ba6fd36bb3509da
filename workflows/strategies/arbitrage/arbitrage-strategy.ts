import { ActivityCancellationType, isCancellation, log, proxyActivities, sleep } from '@temporalio/workflow';
import { z } from 'zod';
import type { SeenTouch } from '../../../activities/quote-watch';
import { add, compare, multiply, subtract } from '../../../domain/decimal';
import { splitCanonical } from '../../../domain/symbols';
import type { Side } from '../../../domain/trading';
import { VenueSchema, MarketKindSchema } from '../../../domain/venues';
import type { AccountChange, FundingChange } from '../../accounts/account-messages';
import type {
  KeelActivities,
  StrategyContext,
  StrategyDefinition,
  StrategyInstance,
} from '../strategy-types';
import {
  arbitrageMarkets,
  ArbitrageParamsSchema,
  type ArbitrageParams,
  type LegName,
} from './arbitrage-params';
import { arbitragePnl, type ArbitragePnl } from './arbitrage-pnl';
import { feeInQuote, imbalance, LegFillsSchema, openQuantity } from './arbitrage-position';
import { decideEntry, decideExit, type ArbitrageMarket } from './decision-policy';
import {
  firstLeg,
  legOrder,
  legSide,
  secondLegSize,
  unwindOrder,
  type LegOrder,
  type LegRules,
  type Phase,
} from './execution-policy';
import {
  canEnter,
  headroomPct,
  marginAction,
  reduceQuantity,
  type MarginAction,
  type MarginCheck,
} from './margin-policy';
import type { OrderBook } from './price-source';

// spot-perp waits for a quote change in a long activity that heartbeats every second and answers a
// cancellation (a command arrived) by returning; a dead worker's wait is retried within 3 s.
const quoteWatch = proxyActivities<Pick<KeelActivities, 'awaitQuoteChange'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '3 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

const LEGS = ['long', 'short'] as const satisfies readonly LegName[];
const other = (leg: LegName): LegName => (leg === 'long' ? 'short' : 'long');

const ClosedArbitrageSchema = z.object({
  entrySpreadBps: z.number(),
  exitSpreadBps: z.number().nullable(),
  /**
   * closed: both legs exited by the exit decision; unwound: the saga undid a failed entry; external: a
   * leg was closed behind Keel's back (on the venue's site, a liquidation) and the other closed after it.
   */
  outcome: z.enum(['closed', 'unwound', 'external']),
  pnl: z.custom<ArbitragePnl>(),
});
export type ClosedArbitrage = z.infer<typeof ClosedArbitrageSchema>;

const LegWhereSchema = z.object({ venue: VenueSchema, market: MarketKindSchema, account: z.string() });
type LegWhere = z.infer<typeof LegWhereSchema>;

const ArbitrageStateSchema = z.object({
  trading: z.boolean().default(false),
  /** degraded: a leg could not be brought back in line; no new entries until an operator acts. */
  phase: z.enum(['flat', 'open', 'degraded']).default('flat'),
  /**
   * The arbitrage in progress: where its legs trade (fixed at entry, so new params never strand a position),
   * their fills so far, and the spread it entered at.
   */
  current: z
    .object({
      where: z.object({ long: LegWhereSchema, short: LegWhereSchema }),
      entrySpreadBps: z.number(),
      exitSpreadBps: z.number().nullable().default(null),
      legs: z.object({ long: LegFillsSchema, short: LegFillsSchema }),
      /** Client order ids of every leg order, in order: the first names the arbitrage in the ledger. */
      orders: z.array(z.string()).default([]),
      openedAt: z.number().default(0),
    })
    .optional(),
  closed: z.array(ClosedArbitrageSchema).default([]),
  realizedPnl: z.string().default('0'),
  fees: z.string().default('0'),
  /** Funding received (+) or paid (−) over every arbitrage, and the payments already booked (venue, account, id). */
  funding: z.string().default('0'),
  fundingBooked: z.array(z.string()).default([]),
  /** Entries in a row whose second leg fell short and were unwound; and no entry before `enterAfter`. */
  consecutiveUnwinds: z.number().int().default(0),
  enterAfter: z.number().default(0),
  /** The leverage Keel set on each perp leg's venue account (`venue account`), so it is set once. */
  leverage: z.record(z.string(), z.number()).default({}),
  /** When an open arbitrage last read its perp legs' margin, and the headroom each account had (%). */
  marginCheckedAt: z.number().default(0),
  headroomPct: z.record(z.string(), z.number()).default({}),
  /** Why the last step did not trade, for the operator. */
  lastDecision: z.string().optional(),
  problems: z.array(z.string()).default([]),
});
export type ArbitrageState = z.infer<typeof ArbitrageStateSchema>;

/**
 * After an entry had to be unwound, the next waits this long (the venue that refused may refuse again, and
 * every unwind pays the spread and fees); after this many unwinds in a row the strategy stops entering.
 */
const UNWIND_COOLDOWN_MS = 30_000;
const MAX_CONSECUTIVE_UNWINDS = 3;

/** How often a degraded arbitrage tries again to close its exposed leg (it never enters meanwhile). */
const DEGRADED_RETRY_MS = 30_000;

/** The closed arbitrages kept in the state (the ledger has every order). */
const CLOSED_KEPT = 20;

/** Funding payment ids remembered to book each once: far more than a venue re-sends. */
const FUNDING_IDS_KEPT = 200;

interface LegView {
  book: OrderBook;
  rules: LegRules;
}

/** What one leg order did: its fill (quantity 0 when nothing), and why it fell short. */
interface LegResult {
  quantity: string;
  price: string;
  fee: string;
  shortfall?: string;
}

/**
 * Two-leg arbitrage (spot-perp on one venue, perp-perp across two): enters when the spread plus expected
 * funding reaches the entry threshold and exits when it closes, each leg through the one exactly-once
 * order path. The legs run as a saga: the second is sized to what the first filled, and any leg left
 * holding more than the other is closed down to it at once; when that fails the strategy is `degraded`,
 * stops entering, and says so loudly. Every step is durable: a worker killed between legs resumes at the
 * same point of the saga with the same client order ids.
 */
export const arbitrageStrategy: StrategyDefinition<ArbitrageParams> = {
  name: 'arbitrage',
  paramsSchema: ArbitrageParamsSchema,
  tradedMarkets: arbitrageMarkets,
  create(context: StrategyContext, initialParams: ArbitrageParams, carried: unknown): StrategyInstance {
    let params = initialParams;
    const parsed = ArbitrageStateSchema.safeParse(carried ?? {});
    const state: ArbitrageState = parsed.success ? parsed.data : ArbitrageStateSchema.parse({});
    const { activities, symbol } = context;

    /** Where a leg trades: the open arbitrage's own legs, else the params'. */
    const where = (leg: LegName): LegWhere =>
      state.current?.where[leg] ?? {
        venue: params[leg].venue,
        market: params[leg].market,
        account: params[leg].account ?? context.venue.account,
      };

    const quoteAsset = splitCanonical(symbol)?.quote ?? 'USDT';
    const accountKey = (at: LegWhere) => `${at.venue} ${at.market} ${at.account}`;
    /** A spot leg is paid in full; a perp leg takes margin at the policy's leverage. */
    const leverageOf = (leg: LegName) => (where(leg).market === 'perp' ? params.margin.leverage : 1);

    /** Sets the policy's leverage on each perp leg's account, once per account and value. */
    const ensureLeverage = async () => {
      for (const leg of LEGS) {
        const at = where(leg);
        if (at.market !== 'perp' || state.leverage[accountKey(at)] === params.margin.leverage) continue;
        await activities.setLeverage({ ...at, symbol, leverage: params.margin.leverage });
        state.leverage[accountKey(at)] = params.margin.leverage;
      }
    };

    /** Whether both legs' accounts keep the policy's headroom once `size` is entered at these prices. */
    const marginForEntry = async (prices: Record<LegName, string>) => {
      const checks: MarginCheck[] = await Promise.all(
        LEGS.map(async (leg) => ({
          key: accountKey(where(leg)),
          account: await activities.marginAccount({ ...where(leg), asset: quoteAsset }),
          notional: multiply(params.size, prices[leg]),
          leverage: leverageOf(leg),
        })),
      );
      return canEnter(checks, params.margin.minHeadroomPct);
    };

    /**
     * What the perp legs' margin asks of an open arbitrage: to reduce or exit when an account's headroom
     * fell below the policy's marks (a move against a leg, funding paid), read at most every `margin.checkIntervalMs`.
     */
    const marginPressure = async (): Promise<{ action: MarginAction; reason: string } | undefined> => {
      if (Date.now() - state.marginCheckedAt < params.margin.checkIntervalMs) return undefined;
      state.marginCheckedAt = Date.now();
      let worst: { key: string; pct: number } | undefined;
      for (const leg of LEGS) {
        const at = where(leg);
        if (at.market !== 'perp') continue;
        const pct = headroomPct(await activities.marginAccount({ ...at, asset: quoteAsset }));
        state.headroomPct[accountKey(at)] = pct;
        if (!worst || pct < worst.pct) worst = { key: accountKey(at), pct };
      }
      if (!worst) return undefined;
      const action = marginAction(worst.pct, params.margin);
      if (action === 'hold') return undefined;
      const mark = action === 'exit' ? params.margin.exitBelowPct : params.margin.reduceBelowPct;
      return { action, reason: `margin: ${worst.key} headroom ${worst.pct}% is below ${mark}%: ${action}` };
    };

    /** Each leg's touch as last read: what a spot-perp wait compares new quotes with. */
    const seen: Partial<Record<LegName, SeenTouch>> = {};
    const view = async (leg: LegName): Promise<LegView> => {
      const snapshot = await activities.marketSnapshot({ ...where(leg), symbol });
      const { bid, ask, bidSize, askSize } = snapshot;
      seen[leg] = { bid, ask, bidSize, askSize };
      return {
        book: {
          bids: snapshot.bid ? [[snapshot.bid, snapshot.bidSize ?? '0']] : [],
          asks: snapshot.ask ? [[snapshot.ask, snapshot.askSize ?? '0']] : [],
        },
        rules: snapshot,
      };
    };
    const market = async (): Promise<{ legs: Record<LegName, LegView>; market: ArbitrageMarket }> => {
      const [long, short] = await Promise.all(LEGS.map(view));
      const funding: ArbitrageMarket['funding'] = {};
      if (params.fundingHorizonHours > 0)
        for (const leg of LEGS)
          if (params[leg].market === 'perp')
            funding[leg] = { rate: (await activities.fundingRate({ ...where(leg), symbol })).rate };
      return {
        legs: { long: long!, short: short! },
        market: { long: long!.book, short: short!.book, funding },
      };
    };

    /** Sends one leg order through the exactly-once path and waits out a maker leg's timeout. */
    const execute = async (order: LegOrder): Promise<LegResult> => {
      const clientOrderId = context.newClientOrderId();
      state.current?.orders.push(clientOrderId);
      const [placed] = await activities.placeOrdersOnce([
        {
          ...where(order.leg),
          symbol,
          strategy: context.strategyName,
          clientOrderId,
          side: order.side,
          type: order.type,
          price: order.price,
          quantity: order.quantity,
          timeInForce: order.timeInForce,
          postOnly: order.postOnly,
          reduceOnly: order.reduceOnly,
          limits: context.risk,
          live: context.venue.live,
        },
      ]);
      let result = placed!;
      if (order.timeInForce === 'GTC' && (result.status === 'open' || result.status === 'partially-filled')) {
        await sleep(order.timeoutMs);
        result =
          (
            await activities.cancelOrdersOnce({
              ...where(order.leg),
              symbol,
              clientOrderIds: [clientOrderId],
            })
          )[0] ?? result;
      }
      const price = result.averagePrice ?? order.price;
      const fee = feeInQuote(symbol, result.fee, result.feeAsset, price);
      if (fee === undefined)
        state.problems.push(
          `${order.leg} leg ${clientOrderId}: fee in ${result.feeAsset} left out of the PnL`,
        );
      const why =
        result.rejection ??
        result.denial ??
        `${result.status}, filled ${result.filledQuantity} of ${order.quantity}`;
      return {
        quantity: result.filledQuantity,
        price,
        fee: fee ?? '0',
        ...(compare(result.filledQuantity, order.quantity) < 0 && { shortfall: why }),
      };
    };

    const record = (leg: LegName, phase: Phase, fill: LegResult) => {
      if (!state.current || compare(fill.quantity, '0') === 0) return;
      const fills = state.current.legs[leg];
      (phase === 'entry' ? fills.entries : fills.exits).push({
        price: fill.price,
        quantity: fill.quantity,
        fee: fill.fee,
      });
    };

    /** Flags the strategy degraded: it stops entering and the symbol shows it. */
    const degrade = (problem: string) => {
      state.phase = 'degraded';
      state.problems.push(problem);
      log.error('arbitrage degraded: a leg is exposed', { symbol, problem });
    };

    /**
     * Closes whatever one leg holds beyond the other (a first leg whose partner fell short), at the market
     * within the slippage bound. Degraded when it cannot.
     */
    const rebalance = async (): Promise<void> => {
      const current = state.current;
      if (!current) return;
      const excess = imbalance(current.legs);
      if (!excess) return;
      const { book, rules } = await view(excess.leg);
      const holdingSide: Side = legSide(excess.leg, 'entry');
      const lastEntry = current.legs[excess.leg].entries.at(-1);
      const order = unwindOrder(
        params,
        { leg: excess.leg, side: holdingSide, quantity: excess.quantity, price: lastEntry?.price ?? '0' },
        book,
        rules,
      );
      const fill = await execute(order);
      record(excess.leg, 'exit', fill);
      if (fill.shortfall)
        degrade(
          `${excess.leg} leg held ${excess.quantity} more than the ${other(excess.leg)} leg and closing it failed (${fill.shortfall}): ${imbalance(current.legs)?.quantity ?? '0'} still exposed`,
        );
    };

    /** Both legs flat: the arbitrage is over, its PnL realized. */
    const settle = async (outcome: ClosedArbitrage['outcome']) => {
      const current = state.current;
      if (!current) return;
      if (LEGS.some((leg) => compare(openQuantity(current.legs[leg]), '0') !== 0)) return;
      if (LEGS.every((leg) => current.legs[leg].entries.length === 0)) {
        state.current = undefined;
        return;
      }
      const pnl = arbitragePnl(current.legs);
      await activities.recordArbitrage({
        id: current.orders[0] ?? `${context.orderIdScope}/${current.openedAt}`,
        symbol,
        strategy: context.strategyName,
        kind: params.kind,
        outcome,
        legs: {
          long: { ...current.where.long, ...current.legs.long },
          short: { ...current.where.short, ...current.legs.short },
        },
        entrySpreadBps: current.entrySpreadBps,
        exitSpreadBps: current.exitSpreadBps,
        grossPnl: pnl.grossPnl,
        fees: pnl.fees,
        funding: pnl.funding,
        netPnl: pnl.netPnl,
        clientOrderIds: current.orders,
        openedAt: current.openedAt,
        closedAt: Date.now(),
      });
      state.closed = [
        ...state.closed,
        { entrySpreadBps: current.entrySpreadBps, exitSpreadBps: current.exitSpreadBps, outcome, pnl },
      ].slice(-CLOSED_KEPT);
      state.realizedPnl = add(state.realizedPnl, pnl.netPnl);
      state.fees = add(state.fees, pnl.fees);
      state.current = undefined;
      if (state.phase === 'open') state.phase = 'flat';
    };

    /**
     * Funding the venue settled on a leg's position: part of the open arbitrage's PnL. A payment that
     * arrives after its arbitrage closed (the account workflow reads every 30 s) is realized on its own.
     */
    const bookFunding = (change: FundingChange) => {
      const leg = LEGS.find((name) => {
        const at = state.current?.where[name] ?? where(name);
        return at.venue === change.venue && at.market === change.market && at.account === change.account;
      });
      if (!leg) return;
      for (const payment of change.payments) {
        // A payment id is the venue's own (or a settlement time): unique on its venue and account only.
        const key = `${change.venue} ${change.account} ${payment.id}`;
        if (state.fundingBooked.includes(key)) continue;
        state.fundingBooked = [...state.fundingBooked, key].slice(-FUNDING_IDS_KEPT);
        state.funding = add(state.funding, payment.amount);
        const legFunding = state.current?.legs[leg].funding;
        if (legFunding) legFunding.push(payment.amount);
        else state.realizedPnl = add(state.realizedPnl, payment.amount);
      }
    };

    /**
     * spot-perp is event-driven: between steps it waits until a leg's touch differs from what it last
     * decided on (or `quoteWaitMs` passes quietly), instead of polling on an interval.
     */
    const awaitQuoteChange = async () => {
      await context
        .interruptible(() =>
          quoteWatch.awaitQuoteChange({
            legs: LEGS.map((leg) => ({ ...where(leg), symbol })),
            seen: LEGS.map((leg) => seen[leg] ?? null),
            // Sizes at the touch matter only to the depth-aware price.
            sizes: params.priceSource === 'depth',
            maxWaitMs: params.quoteWaitMs,
          }),
        )
        .catch((error: unknown) => {
          // Cancelled before it started: the next step reads both legs anyway.
          if (!isCancellation(error)) throw error;
        });
    };
    const eventDriven = () => params.kind === 'spot-perp';

    const enter = async () => {
      if (Date.now() < state.enterAfter) return;
      const now = await market();
      const decision = decideEntry(params, now.market);
      if (!decision.enter) {
        state.lastDecision = decision.reason;
        return;
      }
      const books = { long: now.market.long, short: now.market.short };
      const first = firstLeg(params, books, 'entry');
      const plan = legOrder(params, first, 'entry', books[first], params.size, now.legs[first].rules);
      if (!plan.order) {
        state.lastDecision = plan.reason;
        return;
      }
      await ensureLeverage();
      const margin = await marginForEntry({ long: decision.longPrice, short: decision.shortPrice });
      if (!margin.enter) {
        state.lastDecision = `margin: ${margin.reason}`;
        return;
      }
      state.current = {
        where: { long: where('long'), short: where('short') },
        entrySpreadBps: decision.spreadBps,
        exitSpreadBps: null,
        legs: { long: LegFillsSchema.parse({}), short: LegFillsSchema.parse({}) },
        orders: [],
        openedAt: Date.now(),
      };
      const firstFill = await execute(plan.order);
      record(first, 'entry', firstFill);
      const second = other(first);
      const secondPrice = second === 'long' ? decision.longPrice : decision.shortPrice;
      const sizing = secondLegSize(firstFill.quantity, now.legs[second].rules, secondPrice);
      if (sizing.action === 'flat') {
        state.current = undefined;
        state.lastDecision = `${first} leg filled nothing: ${firstFill.shortfall ?? 'no fill'}`;
        return;
      }
      if (sizing.action === 'place') {
        const secondPlan = legOrder(
          params,
          second,
          'entry',
          books[second],
          sizing.quantity,
          now.legs[second].rules,
        );
        const secondFill = secondPlan.order ? await execute(secondPlan.order) : undefined;
        if (secondFill) record(second, 'entry', secondFill);
        const shortfall = secondFill?.shortfall ?? secondPlan.reason;
        if (shortfall)
          state.lastDecision = `${second} leg fell short (${shortfall}): unwinding the ${first} leg`;
      } else state.lastDecision = sizing.reason;
      await rebalance();
      if (state.phase !== 'degraded') state.phase = 'open';
      await settle('unwound');
      // Still holding (both legs entered, or a leg left exposed): not an unwind to count.
      if (state.current) {
        state.consecutiveUnwinds = 0;
        return;
      }
      state.consecutiveUnwinds += 1;
      state.enterAfter = Date.now() + UNWIND_COOLDOWN_MS;
      if (state.consecutiveUnwinds >= MAX_CONSECUTIVE_UNWINDS)
        degrade(
          `${state.consecutiveUnwinds} entries in a row were unwound; the last: ${state.lastDecision ?? 'unknown'}`,
        );
    };

    /**
     * Closes both legs when the spread has converged, or when margin headroom calls for it: all of both
     * legs on an exit, half on a reduction.
     */
    const exit = async () => {
      const current = state.current!;
      const pressure = await marginPressure();
      const now = await market();
      const decision = decideExit(params, now.market, current.entrySpreadBps);
      if (!decision.exit && !pressure) {
        state.lastDecision = decision.reason;
        return;
      }
      if (decision.exit) current.exitSpreadBps = decision.closingSpreadBps;
      else state.lastDecision = pressure?.reason;
      const books = { long: now.market.long, short: now.market.short };
      const first = firstLeg(params, books, 'exit');
      const held = openQuantity(current.legs[first]);
      const quantity =
        !decision.exit && pressure?.action === 'reduce' ? reduceQuantity(held, now.legs[first].rules) : held;
      const plan = legOrder(params, first, 'exit', books[first], quantity, now.legs[first].rules);
      if (!plan.order) {
        state.lastDecision = plan.reason;
        return;
      }
      const firstFill = await execute(plan.order);
      record(first, 'exit', firstFill);
      const second = other(first);
      const secondPrice = decision.exit
        ? second === 'long'
          ? decision.longPrice
          : decision.shortPrice
        : firstFill.price;
      const sizing = secondLegSize(firstFill.quantity, now.legs[second].rules, secondPrice);
      if (sizing.action === 'place') {
        const secondPlan = legOrder(
          params,
          second,
          'exit',
          books[second],
          sizing.quantity,
          now.legs[second].rules,
        );
        if (secondPlan.order) record(second, 'exit', await execute(secondPlan.order));
      }
      await rebalance();
      await settle('closed');
    };

    return {
      async start() {
        state.trading = true;
        // An operator resuming or re-configuring clears a degraded state that holds no exposure; an exposed
        // leg keeps it degraded until it is closed.
        if (state.phase === 'degraded' && !state.current) {
          state.phase = 'flat';
          state.problems = [];
          state.consecutiveUnwinds = 0;
        }
      },
      async step() {
        if (!state.trading) return;
        if (state.phase === 'flat') await enter();
        else if (state.phase === 'open') await exit();
        else if (state.current && imbalance(state.current.legs)) await rebalance();
        if (eventDriven() && state.trading && state.phase !== 'degraded') await awaitQuoteChange();
      },
      async pause() {
        // Taker legs never rest and a maker leg is cancelled before its step ends: nothing to cancel.
        state.trading = false;
      },
      async stop() {
        state.trading = false;
        // Leaving for good: close both legs at the market rather than leave a position nobody watches.
        const current = state.current;
        if (!current) return;
        for (const leg of LEGS) {
          const quantity = openQuantity(current.legs[leg]);
          if (compare(quantity, '0') === 0) continue;
          const { book, rules } = await view(leg);
          const lastEntry = current.legs[leg].entries.at(-1);
          const fill = await execute(
            unwindOrder(
              params,
              { leg, side: legSide(leg, 'entry'), quantity, price: lastEntry?.price ?? '0' },
              book,
              rules,
            ),
          );
          record(leg, 'exit', fill);
          if (fill.shortfall) degrade(`stopping: the ${leg} leg could not be closed: ${fill.shortfall}`);
        }
        await settle('closed');
      },
      async update(next: unknown) {
        params = ArbitrageParamsSchema.parse(next);
      },
      async onAccountChange(change: AccountChange) {
        if (change.kind === 'funding') {
          bookFunding(change);
          return;
        }
        const current = state.current;
        const leg = LEGS.find((name) => {
          const at = current?.where[name];
          return at?.venue === change.venue && at.market === change.market && at.account === change.account;
        });
        if (!current || !leg) return;
        // Signed, as the venue counts: the long leg holds +, the short leg −.
        const direction = leg === 'long' ? '1' : '-1';
        const held = openQuantity(current.legs[leg]);
        const now = multiply(
          add(multiply(held, direction), subtract(change.venueQuantity, change.ledgerQuantity)),
          direction,
        );
        const problem = `${leg} leg on ${change.venue} perp changed behind Keel's back: the venue holds ${change.venueQuantity}, Keel's fills ${change.ledgerQuantity}`;
        log.warn('arbitrage: a leg changed on the venue', { symbol, problem });
        if (compare(now, held) > 0 || compare(now, '0') < 0) {
          // Grown or flipped: not Keel's to trade away.
          degrade(`${problem}; the leg grew, so Keel leaves it to the operator`);
          return;
        }
        // Closed outside Keel, at a price Keel does not know: booked at the leg's entry price (no gross PnL).
        const entry = current.legs[leg].entries.at(-1);
        record(leg, 'exit', { quantity: subtract(held, now), price: entry?.price ?? '0', fee: '0' });
        state.lastDecision = `${problem}; closing the other leg to match`;
        await rebalance();
        await settle('external');
      },
      nextStepInMs: () =>
        !state.trading
          ? undefined
          : state.phase === 'degraded'
            ? DEGRADED_RETRY_MS
            : eventDriven()
              ? 0
              : params.pollIntervalMs,
      snapshot: () => ({ openOrders: [], state }),
      health: () =>
        state.phase === 'degraded'
          ? { status: 'degraded' as const, problems: [...state.problems] }
          : { status: 'ok' as const, problems: [] },
    };
  },
};
