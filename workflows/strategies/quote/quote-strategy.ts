import { log } from '@temporalio/workflow';
import { z } from 'zod';
import { strategyClientOrderIdPrefix } from '../../../domain/ids';
import { type StrategyContext, type StrategyDefinition, type StrategyInstance } from '../strategy-types';
import { QuoteParamsSchema, type QuoteParams } from './quote-params';
import { planQuotes } from './quote-plan';

const QuoteStateSchema = z.object({
  resting: z.array(z.string()).default([]),
  lastMid: z.string().optional(),
  trading: z.boolean().default(false),
});
type QuoteState = z.infer<typeof QuoteStateSchema>;

/**
 * Keeps `levels` resting limit orders each side of mid and re-quotes them on a timer: cancel the last
 * generation, plan the next (pure `planQuotes`), place it. Pause and stop cancel everything it holds.
 */
export const quoteStrategy: StrategyDefinition<QuoteParams> = {
  name: 'quote',
  paramsSchema: QuoteParamsSchema,
  create(context: StrategyContext, initialParams: QuoteParams, carried: unknown): StrategyInstance {
    let params = initialParams;
    const parsed = QuoteStateSchema.safeParse(carried ?? {});
    const state: QuoteState = parsed.success ? parsed.data : QuoteStateSchema.parse({});
    const { activities, venue, symbol } = context;
    const where = { venue: venue.venue, market: venue.market, account: venue.account };

    const cancelResting = async () => {
      if (state.resting.length === 0) return;
      await activities.cancelOrdersOnce({ ...where, symbol, clientOrderIds: state.resting });
      state.resting = [];
    };
    const cancelEverything = async () => {
      await cancelResting();
      // Also sweeps anything else of this strategy's on the venue and settles what the ledger left open.
      await activities.reconcileOrders({
        ...where,
        symbol,
        strategy: context.strategyName,
        clientOrderIdPrefix: strategyClientOrderIdPrefix(context.orderIdScope, context.slot),
        tracked: [],
      });
    };
    const requote = async () => {
      const market = await activities.marketSnapshot({ ...where, symbol });
      const plan = planQuotes({
        market,
        referencePrice: params.referencePrice,
        levels: params.levels,
        halfSpreadBps: params.halfSpreadBps,
        levelStepBps: params.levelStepBps,
        quantity: params.quantity,
      });
      if (plan.skipped.length > 0)
        log.warn('quote: levels the venue would refuse', { symbol, skipped: plan.skipped });
      await cancelResting();
      state.lastMid = plan.mid;
      if (plan.orders.length === 0) return;
      const orders = plan.orders.map((order) => ({
        ...where,
        symbol,
        strategy: context.strategyName,
        ...order,
        type: 'limit' as const,
        postOnly: true,
        timeInForce: 'GTC' as const,
        clientOrderId: context.newClientOrderId(),
        limits: context.risk,
        live: venue.live,
      }));
      const results = await activities.placeOrdersOnce(orders);
      state.resting = results
        .filter((result) => result.status === 'open' || result.status === 'partially-filled')
        .map((result) => result.clientOrderId);
    };

    return {
      async start() {
        state.trading = true;
        await requote();
      },
      async step() {
        if (state.trading) await requote();
      },
      async pause() {
        state.trading = false;
        await cancelEverything();
      },
      async stop() {
        state.trading = false;
        await cancelEverything();
      },
      async update(next: unknown) {
        params = QuoteParamsSchema.parse(next);
        if (state.trading) await requote();
      },
      nextStepInMs: () => (state.trading ? params.requoteIntervalMs : undefined),
      snapshot: () => ({ openOrders: [...state.resting], state: { ...state } }),
      health: () => ({ status: 'ok' as const, problems: [] }),
    };
  },
};
