import { ActivityCancellationType, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { ReconcileResult } from '../../../activities/order-reconcile';
import type { OrderChange, WatchResult } from '../../../activities/order-watch';
import type { PlaceOrderInput, PlacementResult } from '../../../activities/place-order-once';
import { fromFixed, toFixed } from '../../../domain/decimal';
import { strategyClientOrderIdPrefix } from '../../../domain/ids';
import { venueActivities } from '../../venue-activities';
import type {
  KeelActivities,
  StrategyContext,
  StrategyDefinition,
  StrategyInstance,
} from '../strategy-types';
import { planContingencies } from './grid-contingencies';
import { validateGrid } from './grid-levels';
import {
  closingOrders,
  GridIdIssuer,
  holdsOrder,
  liveOrders,
  orderKey,
  type IssuedIds,
  type LiveOrder,
} from './grid-order-ids';
import { GridParamsSchema, type GridParams, type TradingRules } from './grid-params';
import {
  applyEvent,
  applyPrice,
  cancelGrid,
  nextGeneration,
  startGrid,
  type GridCommand,
  type GridEvent,
  type GridState,
  type SubmitOrder,
} from './grid-plan';
import { eventsFromReport, type GridOrderRef, type VenueReport } from './grid-reports';

// Placement retries until the venue's answer is known (exactly-once makes that safe); an attempt on a
// worker that died is retried after 15 s (connectors time out well before). The watch is long and
// heartbeats every poll, so a dead worker's watch is retried within 3 s.
// Each runs on its venue's task queue, paced fleet-wide to the venue's rate limit.
const orders = venueActivities<KeelActivities, 'placeOrderOnce' | 'cancelOrderOnce' | 'reconcileOrders'>(
  {
    startToCloseTimeout: '15 seconds',
    retry: {
      initialInterval: '200 milliseconds',
      maximumInterval: '10 seconds',
      nonRetryableErrorTypes: ['ClientOrderIdConflict'],
    },
  },
  ['placeOrderOnce', 'cancelOrderOnce', 'reconcileOrders'],
);
// The watch heartbeats every second whatever its poll interval (activities/order-watch.ts), and answers a
// cancellation (a command arrived) by returning what it has; the workflow waits for that answer.
const watcher = proxyActivities<Pick<KeelActivities, 'watchOrders'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '3 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

/** Durable state of one grid: the planner's state plus the client order ids its orders were placed under. */
interface GridStrategyState {
  ids: IssuedIds;
  grid?: GridState;
  rules?: TradingRules;
  trading: boolean;
  /** Why the grid cannot run on this venue (from validateGrid), shown in the symbol's state. */
  problems: string[];
  /** Orders the plan holds that the venue no longer knows: shown, no longer watched, until they leave the plan. */
  missing?: string[];
  /** The risk check's last denial, until an order is placed again: the grid trades short of its plan. */
  denied?: string;
}

const sameOrder = (placed: PlaceOrderInput, command: SubmitOrder) =>
  placed.side === command.side && placed.price === command.price && placed.quantity === command.quantity;

function midOf(
  bid: string | undefined,
  ask: string | undefined,
  reference: string | undefined,
): string | undefined {
  if (bid && ask) return fromFixed((toFixed(bid) + toFixed(ask)) / 2n);
  return reference;
}

/**
 * Grid trading (long or neutral) on one venue market. The plan is pure (`grid-plan.ts`); this strategy
 * carries it out through exactly-once placement and waits for fills in a heartbeating watch activity, so
 * the workflow wakes only when something happened to one of its orders or to the price band.
 */
export const gridStrategy: StrategyDefinition<GridParams> = {
  name: 'grid',
  paramsSchema: GridParamsSchema,
  create(context: StrategyContext, initialParams: GridParams, carried: unknown): StrategyInstance {
    let params = initialParams;
    const state: GridStrategyState = {
      trading: false,
      ids: {},
      problems: [],
      ...(carried as Partial<GridStrategyState>),
    };
    const { venue, symbol } = context;
    const where = { venue: venue.venue, market: venue.market, account: venue.account };
    const strategyPrefix = strategyClientOrderIdPrefix(context.orderIdScope, context.slot);
    const issuer = new GridIdIssuer(state.ids, () => context.newClientOrderId());
    /** Not carried across continue-as-new: every run reconciles once before it trades. */
    let reconciledThisRun = false;
    /** Orders a watch already placed for the plan (fired contingencies), by order key, until executed. */
    const prePlaced = new Map<string, { order: PlaceOrderInput; result: PlacementResult }>();

    const live = () => liveOrders(state.grid, state.ids);
    /** Every order the venue must be asked about: resting ones and those being cancelled. */
    const tracked = () => [...live(), ...closingOrders(state.grid, state.ids)];
    /** Orders the venue has said it does not know: kept in view, left out of the watch. */
    const noteMissing = (ids: string[] = []) => {
      const held = new Set(tracked().map((entry) => entry.clientOrderId));
      state.missing = [...new Set([...(state.missing ?? []), ...ids])].filter((id) => held.has(id));
    };
    const watched = (entries: LiveOrder[]) =>
      entries.map(({ clientOrderId, order }) => ({ clientOrderId, filledQuantity: order.filled }));
    const placementOf = (command: SubmitOrder, clientOrderId: string): PlaceOrderInput => ({
      ...where,
      symbol,
      strategy: context.strategyName,
      clientOrderId,
      side: command.side,
      type: 'limit',
      price: command.price,
      quantity: command.quantity,
      limits: context.risk,
      live: venue.live,
    });

    /** One plan event; the id of an order the plan lets go is forgotten with it. */
    const apply = (event: GridEvent & GridOrderRef): GridCommand[] => {
      if (!state.grid) return [];
      const step = applyEvent(state.grid, params, event);
      state.grid = step.state;
      if (!holdsOrder(state.grid, event.generation, event.level, event.seq))
        delete state.ids[orderKey(event.generation, event.level, event.seq)];
      return step.commands;
    };
    /** Feeds what the venue reported about one of the grid's orders into the plan: every report, from any path. */
    const report = (order: GridOrderRef, venueReport: VenueReport): GridCommand[] =>
      eventsFromReport(order, venueReport).flatMap(apply);
    const refOf = ({ generation, level, order }: LiveOrder): GridOrderRef => ({
      generation,
      level,
      seq: order.seq,
    });

    const execute = async (commands: GridCommand[]): Promise<void> => {
      for (const command of commands) {
        const key = orderKey(command.generation, command.level, command.seq);
        if (command.type === 'CancelOrder') {
          const id = state.ids[key];
          const final = id
            ? await orders.cancelOrderOnce({ ...where, symbol, clientOrderId: id })
            : undefined;
          // The venue's last word, with any fill that reached it before the cancel; none: it never had it.
          await execute(report(command, final ?? { status: 'canceled', filledQuantity: '0' }));
          continue;
        }
        const early = prePlaced.get(key);
        let placed: PlacementResult;
        if (early && sameOrder(early.order, command)) {
          prePlaced.delete(key);
          state.ids[key] = early.order.clientOrderId;
          placed = early.result;
        } else {
          placed = await orders.placeOrderOnce(placementOf(command, issuer.issueFor(key)));
        }
        if (placed.status === 'rejected')
          log.warn('grid order rejected', {
            symbol,
            clientOrderId: placed.clientOrderId,
            reason: placed.rejection,
          });
        if (placed.status === 'denied') {
          log.warn('grid order denied by the risk check', { symbol, denial: placed.denial });
          state.denied = placed.denial ?? placed.denialRule ?? 'denied';
        } else delete state.denied;
        await execute(report(command, placed));
      }
    };

    /** Feeds what the venue reported about orders that were live into the plan, and carries out its answer. */
    const applyChanges = async (entries: LiveOrder[], changes: OrderChange[]) => {
      for (const change of changes) {
        const held = entries.find((entry) => entry.clientOrderId === change.clientOrderId);
        if (held) await execute(report(refOf(held), change));
      }
    };

    /** Lays out the grid (first start, resume, new params) around the market's mid. */
    const layOut = async () => {
      const market = await context.activities.marketSnapshot({ ...where, symbol });
      const rules: TradingRules = {
        tickSize: market.tickSize,
        lotSize: market.lotSize,
        minQuantity: market.minQuantity,
        minNotional: market.minNotional,
      };
      state.problems = validateGrid(params, rules);
      if (state.problems.length > 0) {
        log.error('grid cannot run on this venue', { symbol, problems: state.problems });
        return;
      }
      const mid = midOf(market.bid, market.ask, params.referencePrice);
      if (!mid) return log.warn('grid waits for a two-sided book (or a referencePrice)', { symbol });
      state.rules = rules;
      // A new generation is laid out only once the old one's cancels have answered, with their fills.
      if (state.grid) await cancelOrders();
      const step = state.grid
        ? nextGeneration(state.grid, params, rules, mid)
        : startGrid(params, rules, mid);
      state.grid = step.state;
      await execute(step.commands);
    };

    /**
     * Brings the plan in line with the venue before acting: fills and closes of its orders that nobody
     * watched (after continue-as-new, a pause, a long outage) are applied; orders of ours the plan does not
     * hold are cancelled; intents left by earlier runs are settled. Every run does it once before trading.
     */
    const reconcile = async () => {
      const entries = tracked();
      const result: ReconcileResult = await orders.reconcileOrders({
        ...where,
        symbol,
        strategy: context.strategyName,
        clientOrderIdPrefix: strategyPrefix,
        tracked: watched(entries),
      });
      reconciledThisRun = true;
      state.missing = [];
      noteMissing(result.missing);
      const { changes, ...found } = result;
      if (Object.values(found).some((ids) => ids.length > 0))
        log.warn('grid reconciled with the venue', { symbol, ...found });
      await applyChanges(entries, changes);
      noteMissing();
    };

    /** Cancels every resting order of the plan, applying what each cancel reports (fills that raced it). */
    const cancelOrders = async () => {
      if (!state.grid) return;
      const step = cancelGrid(state.grid);
      state.grid = step.state;
      await execute(step.commands);
    };
    /** Pause and stop: every order of this strategy cancelled, then the venue swept for any of ours left. */
    const cancelAll = async () => {
      await cancelOrders();
      await reconcile();
    };

    /** Re-plans on a new mid price (the band was left or re-entered). */
    const followPrice = async (mid: string) => {
      if (!state.grid || !state.rules) return;
      const step = applyPrice(state.grid, params, state.rules, mid);
      state.grid = step.state;
      await execute(step.commands);
    };

    const watchOnce = async () => {
      const grid = state.grid;
      if (!grid || !state.rules) return layOut();
      const entries = tracked().filter((entry) => !(state.missing ?? []).includes(entry.clientOrderId));
      const band =
        params.outOfRange === 'cancel' && !grid.suspended
          ? { low: grid.prices[0] ?? '0', high: grid.prices.at(-1) ?? '0' }
          : undefined;
      const reserved = planContingencies(grid, params, live()).map(({ trigger, key, replacement }) => ({
        trigger,
        key,
        order: placementOf(replacement, issuer.reserve()),
      }));
      const result: WatchResult = await context
        .interruptible(() =>
          watcher.watchOrders({
            ...where,
            symbol,
            orders: watched(entries),
            ...(band ? { priceBand: band } : {}),
            maxWaitMs: params.watchMs,
            pollMs: params.pollMs,
            contingencies: reserved.map(({ trigger, order }) => ({ trigger, order })),
          }),
        )
        .catch((error: unknown) => {
          // Cancelled before it started: nothing was watched, nothing was placed.
          if (isCancellation(error)) return { reason: 'interrupted' as const, changes: [] };
          throw error;
        });
      const fired = reserved.find(
        (entry) => entry.order.clientOrderId === result.fired?.placement.clientOrderId,
      );
      if (fired && result.fired)
        prePlaced.set(fired.key, { order: fired.order, result: result.fired.placement });
      await applyChanges(entries, result.changes);
      noteMissing(result.missing);
      // Never the case unless the plan and the watch disagree; then the early order must not stay a stray.
      for (const [key, early] of prePlaced) {
        log.error('a contingency placed by the watch did not match the plan: cancelled', { symbol, key });
        prePlaced.delete(key);
        await orders.cancelOrderOnce({ ...where, symbol, clientOrderId: early.order.clientOrderId });
      }
      if (result.reason === 'price' && result.mid) await followPrice(result.mid);
      else if (grid.suspended) {
        const market = await context.activities.marketSnapshot({ ...where, symbol });
        const mid = midOf(market.bid, market.ask, undefined);
        if (mid) await followPrice(mid);
      }
    };

    return {
      async start() {
        state.trading = true;
        await reconcile();
        await layOut();
      },
      async step() {
        if (!state.trading || state.problems.length > 0) return;
        if (!reconciledThisRun) await reconcile();
        await watchOnce();
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
        params = GridParamsSchema.parse(next);
        if (!state.trading) return;
        await reconcile();
        await layOut();
      },
      nextStepInMs: () =>
        state.trading && state.problems.length === 0 ? (state.grid ? 0 : params.watchMs) : undefined,
      snapshot: () => ({ openOrders: tracked().map((entry) => entry.clientOrderId), state: { ...state } }),
      health: () => {
        const problems = [
          ...state.problems,
          ...((state.missing ?? []).length > 0
            ? [`the venue no longer knows these orders of the plan: ${(state.missing ?? []).join(', ')}`]
            : []),
          ...(state.denied ? [`the risk check denied its last order: ${state.denied}`] : []),
        ];
        return { status: problems.length > 0 ? 'degraded' : 'ok', problems };
      },
    };
  },
};
