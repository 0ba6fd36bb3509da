import { ActivityCancellationType, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { PlacementResult } from '../../../activities/place-order-once';
import type { SignalWatchResult } from '../../../activities/signal-watch';
import { compare, multiply, normalize } from '../../../domain/decimal';
import { strategyClientOrderIdPrefix } from '../../../domain/ids';
import {
  emptyLatencyHistogram,
  LatencyHistogramSchema,
  recordLatency,
} from '../../../domain/latency-histogram';
import type {
  KeelActivities,
  StrategyContext,
  StrategyDefinition,
  StrategyInstance,
} from '../strategy-types';
import { SignalParamsSchema, type SignalParams } from './signal-params';
import { planSignalOrder, positionAfter, type Touch } from './signal-plan';

// The hot loop runs in a long activity that heartbeats every second and answers a cancellation (a command
// arrived) by returning; a dead worker's loop is retried within 3 s.
const signalWatch = proxyActivities<Pick<KeelActivities, 'awaitSignalDecision'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '3 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

/** Orders refused in a row before the strategy reports itself degraded: it trades on, but not well. */
const REFUSALS_TO_DEGRADE = 3;

const SignalStateSchema = z.object({
  trading: z.boolean().default(false),
  /** Signed base units held through this strategy's fills. */
  position: z.string().default('0'),
  /** Until when the position's signal holds (ms). */
  holdUntil: z.number().default(0),
  /** Whether the venue's public trades reach the loop (trade-flow imbalance reads 0 without them). */
  tradeFlow: z.boolean().optional(),
  /** The L2 book behind the depth features, as the loop last reported it; null: the venue streams no depth. */
  depthBook: z
    .object({
      synced: z.boolean(),
      sequence: z.number(),
      snapshots: z.number(),
      resyncs: z.number(),
      overflows: z.number(),
    })
    .nullable()
    .optional(),
  /** No decision before this (ms): the cooldown after an order that filled nothing. */
  quietUntil: z.number().default(0),
  /** A maker entry resting at the touch, cancelled at `expiresAt` for what did not fill. */
  entry: z
    .object({
      clientOrderId: z.string(),
      side: z.enum(['buy', 'sell']),
      expiresAt: z.number(),
      holdUntil: z.number(),
    })
    .optional(),
  rules: z.object({ tickSize: z.string(), lotSize: z.string() }).optional(),
  decisions: z.number().int().default(0),
  /** Every decision's tick → decision (µs, in the loop) and decision → acknowledged (ms, the durable path). */
  tickToDecisionMicros: LatencyHistogramSchema.default(emptyLatencyHistogram),
  decisionToAckMs: LatencyHistogramSchema.default(emptyLatencyHistogram),
  /** Orders refused in a row (a risk limit's denial, the venue's rejection), and the latest refusal. */
  refusals: z.number().int().default(0),
  lastRefusal: z.string().optional(),
  orders: z.number().int().default(0),
  lastDecision: z
    .object({
      at: z.number(),
      side: z.enum(['buy', 'sell']),
      quantity: z.number(),
      reason: z.string(),
      strength: z.number().nullable(),
      confidence: z.number().nullable(),
      tickToDecisionMicros: z.number(),
      touch: z.object({ bid: z.string(), ask: z.string(), bidSize: z.string(), askSize: z.string() }),
      /** The features the loop decided on (volatility, momentum, imbalance, spread, depth ratio, trade flow). */
      features: z.record(z.string(), z.number()).optional(),
      clientOrderId: z.string().nullable(),
      filled: z.string(),
      outcome: z.string(),
    })
    .optional(),
});
type SignalState = z.infer<typeof SignalStateSchema>;

/**
 * Seed 003's signal strategy: the hot loop (update → features → signal → decision) runs in the
 * `awaitSignalDecision` activity; each decision it returns becomes one order through the exactly-once,
 * risk-checked path, and its fill moves the position the next loop weighs signals against.
 */
export const signalStrategy: StrategyDefinition<SignalParams> = {
  name: 'signal',
  paramsSchema: SignalParamsSchema,
  tradedMarkets: (params, venue) => [
    {
      venue: venue.venue,
      market: venue.market,
      quantity: normalize(multiply(params.maxPosition, String(params.orderSizeFraction))),
      what: 'an entry (maxPosition × orderSizeFraction)',
    },
  ],
  create(context: StrategyContext, initialParams: SignalParams, carried: unknown): StrategyInstance {
    let params = initialParams;
    const parsed = SignalStateSchema.safeParse(carried ?? {});
    const state: SignalState = parsed.success ? parsed.data : SignalStateSchema.parse({});
    const { activities, venue, symbol } = context;
    const where = { venue: venue.venue, market: venue.market, account: venue.account };

    const rules = async () => {
      if (!state.rules) {
        const { tickSize, lotSize } = await activities.marketSnapshot({ ...where, symbol });
        state.rules = { tickSize, lotSize };
      }
      return state.rules;
    };

    const place = async (
      decision: { side: 'buy' | 'sell'; quantity: number; reason: string },
      touch: Touch,
    ): Promise<PlacementResult | undefined> => {
      const plan = planSignalOrder(decision, touch, await rules(), params.execution, params.maxSlippageBps);
      if (!plan) return undefined;
      state.orders += 1;
      const [result] = await activities.placeOrdersOnce([
        {
          ...where,
          symbol,
          strategy: context.strategyName,
          type: 'limit',
          ...plan,
          clientOrderId: context.newClientOrderId(),
          limits: context.risk,
          live: venue.live,
        },
      ]);
      return result;
    };

    /** Cancels a resting maker entry; what filled of it joins the position. */
    const settleEntry = async () => {
      const entry = state.entry;
      if (!entry) return;
      const [result] = await activities.cancelOrdersOnce({
        ...where,
        symbol,
        clientOrderIds: [entry.clientOrderId],
      });
      const filled = result?.filledQuantity ?? '0';
      state.position = positionAfter(state.position, entry.side, filled);
      if (compare(filled, '0') > 0) state.holdUntil = entry.holdUntil;
      if (state.lastDecision?.clientOrderId === entry.clientOrderId)
        state.lastDecision = {
          ...state.lastDecision,
          filled,
          outcome: `rested, ${result?.status ?? 'unknown'}`,
        };
      state.entry = undefined;
    };

    const act = async (decision: NonNullable<SignalWatchResult['decision']>) => {
      state.decisions += 1;
      recordLatency(state.tickToDecisionMicros, decision.tickToDecisionMicros);
      const result = await place(decision, decision);
      // The workflow's clock is its task's start: when it took in the venue's answer.
      if (result) recordLatency(state.decisionToAckMs, Date.now() - decision.decidedAt);
      const filled = result?.filledQuantity ?? '0';
      const resting = result?.status === 'open' || result?.status === 'partially-filled';
      state.lastDecision = {
        at: decision.decidedAt,
        side: decision.side,
        quantity: decision.quantity,
        reason: decision.reason,
        strength: decision.signal?.strength ?? null,
        confidence: decision.signal?.confidence ?? null,
        tickToDecisionMicros: decision.tickToDecisionMicros,
        touch: { bid: decision.bid, ask: decision.ask, bidSize: decision.bidSize, askSize: decision.askSize },
        features: { ...decision.features },
        clientOrderId: result?.clientOrderId ?? null,
        filled,
        outcome: result ? (result.denial ?? result.rejection ?? result.status) : 'below one lot',
      };
      const refusal = result?.denial ?? result?.rejection ?? undefined;
      if (refusal) {
        state.refusals += 1;
        state.lastRefusal = refusal;
      } else if (compare(filled, '0') > 0 || resting) state.refusals = 0;
      if (result && resting) {
        state.entry = {
          clientOrderId: result.clientOrderId,
          side: decision.side,
          expiresAt: Date.now() + params.makerWaitMs,
          holdUntil: decision.holdUntil + params.makerWaitMs,
        };
        return;
      }
      state.position = positionAfter(state.position, decision.side, filled);
      if (compare(filled, '0') > 0) {
        if (decision.reason === 'entry') state.holdUntil = decision.holdUntil;
        return;
      }
      state.quietUntil = Date.now() + params.cooldownMs;
      if (result?.denial) log.warn('signal: order denied by a risk limit', { symbol, denial: result.denial });
    };

    const watch = async () => {
      const { lotSize } = await rules();
      const result = await context
        .interruptible(() =>
          signalWatch.awaitSignalDecision({
            ...where,
            symbol,
            generator: params.generator,
            windowMs: params.windowMs,
            minSamples: params.minSamples,
            maxPosition: Number(params.maxPosition),
            orderSizeFraction: params.orderSizeFraction,
            lotSize: Number(lotSize),
            allowShort: params.allowShort,
            position: Number(state.position),
            holdUntil: state.holdUntil,
            maxWaitMs: params.quietWaitMs,
          }),
        )
        .catch((error: unknown) => {
          // Cancelled before it started: nothing was decided.
          if (isCancellation(error)) return undefined;
          throw error;
        });
      if (!result) return;
      state.tradeFlow = result.tradeFlow;
      state.depthBook = result.depthBook;
      if (compare(state.position, '0') !== 0) state.holdUntil = result.holdUntil;
      if (result.decision) await act(result.decision);
    };

    const flatten = async () => {
      if (compare(state.position, '0') === 0) return;
      const touch = await activities.marketSnapshot({ ...where, symbol });
      if (!touch.bid || !touch.ask) {
        log.warn('signal: no touch to close the position on; it stays', { symbol, position: state.position });
        return;
      }
      const side = compare(state.position, '0') > 0 ? 'sell' : 'buy';
      const quantity = Math.abs(Number(state.position));
      const result = await place({ side, quantity, reason: 'exit-stop' }, { bid: touch.bid, ask: touch.ask });
      state.position = positionAfter(state.position, side, result?.filledQuantity ?? '0');
      if (compare(state.position, '0') !== 0)
        log.warn('signal: the position was not closed in full on stop', { symbol, position: state.position });
    };

    const sweep = () =>
      activities.reconcileOrders({
        ...where,
        symbol,
        strategy: context.strategyName,
        clientOrderIdPrefix: strategyClientOrderIdPrefix(context.orderIdScope, context.slot),
        tracked: [],
      });

    return {
      async start() {
        state.trading = true;
        await rules();
      },
      async step() {
        if (!state.trading) return;
        if (state.entry) {
          if (Date.now() >= state.entry.expiresAt) await settleEntry();
          return;
        }
        if (Date.now() >= state.quietUntil) await watch();
      },
      async pause() {
        state.trading = false;
        await settleEntry();
      },
      async stop() {
        state.trading = false;
        await settleEntry();
        if (params.flattenOnStop) await flatten();
        await sweep();
      },
      async update(next: unknown) {
        params = SignalParamsSchema.parse(next);
      },
      nextStepInMs: () => {
        if (!state.trading) return undefined;
        return Math.max(0, (state.entry?.expiresAt ?? state.quietUntil) - Date.now());
      },
      snapshot: () => ({ openOrders: state.entry ? [state.entry.clientOrderId] : [], state: { ...state } }),
      health: () =>
        state.refusals >= REFUSALS_TO_DEGRADE
          ? {
              status: 'degraded' as const,
              problems: [`the last ${state.refusals} orders were refused: ${state.lastRefusal ?? 'unknown'}`],
            }
          : { status: 'ok' as const, problems: [] },
    };
  },
};
