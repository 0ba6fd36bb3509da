import { log } from '@temporalio/workflow';
import { z } from 'zod';
import type { PlacementResult } from '../../../activities/place-order-once';
import { strategyClientOrderIdPrefix } from '../../../domain/ids';
import type { CommandAnswer, StrategyContext, StrategyDefinition, StrategyInstance } from '../strategy-types';
import {
  describeIssues,
  ManualCommandSchema,
  ManualOrderShape,
  ManualParamsSchema,
  type ManualCommandResult,
  type ManualOrderSpec,
  type ManualParams,
} from './manual-params';
import { applyReport, isResting, refuseCommand, replacementFor } from './manual-plan';

const ManualStateSchema = z.object({
  orders: z
    .array(
      ManualOrderShape.extend({
        clientOrderId: z.string(),
        status: z.string(),
        filledQuantity: z.string(),
      }),
    )
    .default([]),
  trading: z.boolean().default(false),
  /** Resting orders the venue no longer knows: shown until an operator cancels them. */
  missing: z.array(z.string()).default([]),
});
type ManualState = z.infer<typeof ManualStateSchema>;

/**
 * Orders an operator places, amends and cancels by hand (the `manualOrder` update on the symbol workflow,
 * which the API's `/symbols/:symbol/manual-orders` routes send). It plans nothing: each command goes out
 * through the one exactly-once order path under a client order id of the symbol's chain and the symbol's
 * risk limits, so it is in the ledger under strategy `manual` like any other order. While orders rest it
 * reads their fills every `refreshMs`; pause and stop cancel them (resume does not place them again).
 */
export const manualStrategy: StrategyDefinition<ManualParams> = {
  name: 'manual',
  paramsSchema: ManualParamsSchema,
  create(context: StrategyContext, initialParams: ManualParams, carried: unknown): StrategyInstance {
    let params = initialParams;
    const parsed = ManualStateSchema.safeParse(carried ?? {});
    const state: ManualState = parsed.success ? parsed.data : ManualStateSchema.parse({});
    const { activities, venue, symbol } = context;
    const where = { venue: venue.venue, market: venue.market, account: venue.account };

    const place = async (spec: ManualOrderSpec): Promise<PlacementResult> => {
      const clientOrderId = context.newClientOrderId();
      const [placed] = await activities.placeOrdersOnce([
        {
          ...where,
          symbol,
          strategy: context.strategyName,
          clientOrderId,
          ...spec,
          limits: context.risk,
          live: venue.live,
        },
      ]);
      if (!placed) throw new Error(`no placement result for ${clientOrderId}`);
      if (isResting(placed.status))
        state.orders.push({
          ...spec,
          clientOrderId,
          status: placed.status,
          filledQuantity: placed.filledQuantity,
        });
      return placed;
    };

    /** Cancels one resting order; its last state, or undefined when the venue no longer knew it. */
    const cancel = async (clientOrderId: string): Promise<PlacementResult | undefined> => {
      const [last] = await activities.cancelOrdersOnce({ ...where, symbol, clientOrderIds: [clientOrderId] });
      state.orders = last
        ? applyReport(state.orders, last)
        : state.orders.filter((order) => order.clientOrderId !== clientOrderId);
      state.missing = state.missing.filter((id) => state.orders.some((order) => order.clientOrderId === id));
      return last;
    };

    /** Reads what happened to the resting orders (fills, closes) and settles anything of ours the ledger left open. */
    const reconcile = async () => {
      const result = await activities.reconcileOrders({
        ...where,
        symbol,
        strategy: context.strategyName,
        clientOrderIdPrefix: strategyClientOrderIdPrefix(context.orderIdScope, context.slot),
        tracked: state.orders.map(({ clientOrderId, filledQuantity }) => ({ clientOrderId, filledQuantity })),
      });
      for (const change of result.changes) state.orders = applyReport(state.orders, change);
      state.missing = result.missing.filter((id) => state.orders.some((order) => order.clientOrderId === id));
      if (result.strays.length > 0)
        log.warn('manual: stray orders cancelled', { symbol, strays: result.strays });
    };

    const cancelAll = async () => {
      const ids = state.orders.map((order) => order.clientOrderId);
      if (ids.length > 0) await activities.cancelOrdersOnce({ ...where, symbol, clientOrderIds: ids });
      state.orders = [];
      state.missing = [];
      await reconcile();
    };

    const run = async (input: unknown): Promise<CommandAnswer> => {
      const parsedCommand = ManualCommandSchema.safeParse(input);
      if (!parsedCommand.success)
        return { ok: false, refusal: { reason: 'invalid', message: describeIssues(parsedCommand.error) } };
      const command = parsedCommand.data;
      const refusal = refuseCommand(command, state.orders);
      if (refusal) return { ok: false, refusal };
      const done = (result: ManualCommandResult): CommandAnswer => ({ ok: true, result });
      if (command.kind === 'place') {
        const { kind: _kind, ...spec } = command;
        return done({ kind: 'place', order: await place(spec) });
      }
      const order = state.orders.find((candidate) => candidate.clientOrderId === command.clientOrderId);
      const last = await cancel(command.clientOrderId);
      const gone = `the venue no longer knows ${command.clientOrderId}: dropped from the open orders`;
      if (command.kind === 'cancel')
        return done({ kind: 'cancel', order: last ?? null, ...(last ? {} : { note: gone }) });
      if (!order || !last) return done({ kind: 'amend', order: null, replaced: last ?? null, note: gone });
      const replacement = replacementFor(order, command, last);
      if ('none' in replacement)
        return done({ kind: 'amend', order: null, replaced: last, note: replacement.none });
      return done({ kind: 'amend', order: await place(replacement.order), replaced: last });
    };

    return {
      async start() {
        state.trading = true;
        await reconcile();
      },
      async step() {
        if (state.trading && state.orders.length > 0) await reconcile();
      },
      async pause() {
        state.trading = false;
        await cancelAll();
      },
      async stop() {
        state.trading = false;
        await cancelAll();
      },
      async update(next: unknown) {
        params = ManualParamsSchema.parse(next);
      },
      nextStepInMs: () => (state.trading && state.orders.length > 0 ? params.refreshMs : undefined),
      snapshot: () => ({
        openOrders: state.orders.map((order) => order.clientOrderId),
        state: { ...state, orders: state.orders.map((order) => ({ ...order })) },
      }),
      health: () =>
        state.missing.length > 0
          ? {
              status: 'degraded' as const,
              problems: [`the venue no longer knows these manual orders: ${state.missing.join(', ')}`],
            }
          : { status: 'ok' as const, problems: [] },
      refuseCommand(input: unknown) {
        const command = ManualCommandSchema.safeParse(input);
        if (!command.success) return { reason: 'invalid', message: describeIssues(command.error) };
        if (!state.trading)
          return { reason: 'conflict', message: 'the manual strategy is not trading (paused or failed)' };
        return refuseCommand(command.data, state.orders);
      },
      async command(input: unknown) {
        if (!state.trading)
          return {
            ok: false,
            refusal: { reason: 'conflict', message: 'the manual strategy is not trading (paused or failed)' },
          };
        return run(input);
      },
    };
  },
};
