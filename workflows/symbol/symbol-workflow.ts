import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { clientOrderId, clientOrderIdPrefix } from '../../domain/ids';
import { ExchangeKey, StrategyKey, SymbolStatusKey } from '../../temporal/search-attributes';
import { accountChangeSignal, AccountChangeSchema, type AccountChange } from '../accounts/account-messages';
import {
  describeIssues,
  ManualCommandSchema,
  type ManualCommandResult,
} from '../strategies/manual/manual-params';
import { manualStrategy } from '../strategies/manual/manual-strategy';
import { findStrategy } from '../strategies/strategy-registry';
import type {
  CommandAnswer,
  KeelActivities,
  StrategyContext,
  StrategyInstance,
  StrategySnapshot,
} from '../strategies/strategy-types';
import { dropReason, refuseUndecodableInput } from '../undecodable-payload';
import { venueActivities } from '../venue-activities';
import { SymbolConfigSchema, type SymbolConfig } from './symbol-config';
import { SymbolMachine, type FailureSnapshot, type SymbolEffect } from './symbol-machine';
import {
  MANUAL_ORDER_FAILURES,
  manualOrderUpdate,
  SymbolCommandSchema,
  symbolCommandSignal,
  symbolPingSignal,
  symbolStateQuery,
  symbolStatusSignal,
  symbolStoppedSignal,
  type SymbolCommand,
  type SymbolState,
} from './symbol-messages';

const activityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', backoffCoefficient: 2 },
} as const;
const activities = proxyActivities<KeelActivities>(activityOptions);
/** Exchange calls run on their venue's task queue, paced fleet-wide; the ledger's on the workflow's own. */
const strategyActivities: StrategyContext['activities'] = {
  ...venueActivities<KeelActivities, Exclude<keyof StrategyContext['activities'], 'recordArbitrage'>>(
    activityOptions,
    [
      'marketSnapshot',
      'fundingRate',
      'marginAccount',
      'setLeverage',
      'placeOrdersOnce',
      'cancelOrdersOnce',
      'reconcileOrders',
    ],
  ),
  recordArbitrage: activities.recordArbitrage,
};

// Alerts retry for a while, then give up (logged): an alert must never hold up trading.
const alerter = proxyActivities<Pick<KeelActivities, 'sendAlert'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumInterval: '1 minute',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['AlertMisconfigured', 'AlertInvalid'],
  },
});
const UNHEALTHY = new Set(['degraded', 'failed']);
/** The server refuses more than 2,000 updates per run (history.maxTotalUpdates): continue-as-new well before. */
const MAX_COMMANDS_PER_RUN = 1_000;

export interface SymbolInput {
  symbol: string;
  config: SymbolConfig;
  paused: boolean;
  shardWorkflowId: string;
  shardIndex: number;
  maxHistoryEvents: number;
  /** Restarted after its workflow stopped running: the dead chain's scope, whose orders it sweeps first. */
  sweepOrdersOf?: string;
  carried?: {
    strategies: Record<string, StrategySnapshot>;
    pending: SymbolCommand[];
    runs: number;
    ordersIssued: number;
    failures?: FailureSnapshot;
    droppedSignals?: number;
  };
}

/** What failed, readably: an activity failure's own cause, else the error's message. */
function describeFailure(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return `${error.activityType}: ${error.cause.message}`;
  if (error instanceof ApplicationFailure && error.type) return `${error.type}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * One symbol: holds its configuration and runs its strategies through the plug-in seam. A thin loop:
 * messages and timers go to the `SymbolMachine`, whose effects it carries out by calling strategy hooks
 * (which do all exchange I/O through activities). A hook that fails is a failure of its strategy, never of
 * the workflow: the machine decides what follows, and the symbol shows it (query, search attribute, its
 * shard, the API). Pause cancels resting orders; stop (symbol removed) cancels everything before the
 * workflow completes and tells its shard.
 */
export async function symbolWorkflow(input: SymbolInput): Promise<void> {
  refuseUndecodableInput(input, 'symbolWorkflow');
  const info = workflowInfo();
  let droppedSignals = input.carried?.droppedSignals ?? 0;
  const orderIdScope = `${info.workflowId}/${info.firstExecutionRunId}`;
  const runs = (input.carried?.runs ?? 0) + 1;
  const pending: SymbolCommand[] = [...(input.carried?.pending ?? [])];
  const machine = new SymbolMachine({
    config: SymbolConfigSchema.parse(input.config),
    paused: input.paused,
    knows: (name) => findStrategy(name) !== undefined,
    ordersIssued: input.carried?.ordersIssued ?? 0,
    ...(input.carried?.failures ? { failures: input.carried.failures } : {}),
  });
  const instances = new Map<number, StrategyInstance>();
  /**
   * Operators' commands to a strategy (manual orders), in arrival order: the loop carries each out between
   * hooks, as it does the shard's commands, and leaves its answer for the update that awaits it.
   */
  const commands: Array<{ id: number; strategy: string; input: unknown }> = [];
  const answers = new Map<number, CommandAnswer | { ok: false; failure: string }>();
  let commandsTaken = 0;
  /** Position changes the account workflow saw and this run has not handed to its strategies yet. */
  const accountChanges: AccountChange[] = [];
  const waiting = () => pending.length > 0 || commands.length > 0 || accountChanges.length > 0;
  /** Cancels the strategy's current interruptible wait, if there is one. */
  let interrupt: (() => void) | undefined;
  const interruptible = async <T>(wait: () => Promise<T>): Promise<T> => {
    const scope = new CancellationScope();
    interrupt = () => scope.cancel();
    if (waiting()) scope.cancel();
    try {
      return await scope.run(wait);
    } catch (error) {
      // Cancelled while an attempt was failing: Temporal would have retried it, and only the cancellation
      // stopped that, so the wait ended as the interruption asked, not as a failure of the strategy.
      if (
        scope.consideredCancelled &&
        error instanceof ActivityFailure &&
        error.retryState === 'CANCEL_REQUESTED'
      )
        throw new CancelledFailure('interrupted while an attempt was failing', [], error);
      throw error;
    } finally {
      interrupt = undefined;
    }
  };

  setHandler(symbolCommandSignal, (payload) => {
    const parsed = SymbolCommandSchema.safeParse(payload);
    if (!parsed.success) {
      droppedSignals += 1;
      return log.warn('dropped symbolCommand signal', {
        symbol: input.symbol,
        reason: dropReason(payload, 'malformed payload'),
      });
    }
    pending.push(parsed.data);
    interrupt?.();
  });
  setHandler(symbolPingSignal, () => undefined);
  setHandler(accountChangeSignal, (payload) => {
    const parsed = AccountChangeSchema.safeParse(payload);
    if (!parsed.success) {
      droppedSignals += 1;
      return log.warn('dropped accountChange signal', {
        symbol: input.symbol,
        reason: dropReason(payload, 'malformed payload'),
      });
    }
    accountChanges.push(parsed.data);
    interrupt?.();
  });
  setHandler(
    manualOrderUpdate,
    async (payload) => {
      const id = commandsTaken;
      commandsTaken += 1;
      commands.push({ id, strategy: manualStrategy.name, input: payload });
      interrupt?.();
      await condition(() => answers.has(id));
      const answer = answers.get(id) ?? { ok: false, failure: 'no answer' };
      answers.delete(id);
      if (answer.ok) return answer.result as ManualCommandResult;
      if ('failure' in answer)
        throw ApplicationFailure.nonRetryable(answer.failure, MANUAL_ORDER_FAILURES.failed);
      throw ApplicationFailure.nonRetryable(
        answer.refusal.message,
        MANUAL_ORDER_FAILURES[answer.refusal.reason],
      );
    },
    {
      validator: (payload) => {
        const refuse = (reason: keyof typeof MANUAL_ORDER_FAILURES, message: string): never => {
          throw ApplicationFailure.nonRetryable(message, MANUAL_ORDER_FAILURES[reason]);
        };
        const command = ManualCommandSchema.safeParse(payload);
        if (!command.success) return refuse('invalid', describeIssues(command.error));
        const target = machine.commandTarget(manualStrategy.name);
        if ('refused' in target) return refuse('conflict', target.refused);
        const refusal = instances.get(target.slot)?.refuseCommand?.(command.data);
        if (refusal) refuse(refusal.reason, refusal.message);
      },
    },
  );
  setHandler(symbolStateQuery, (): SymbolState => ({
    symbol: input.symbol,
    workflowId: info.workflowId,
    status: machine.status,
    problems: machine.problems,
    paused: machine.paused,
    config: machine.config,
    strategies: [...instances].map(([slot, instance]) => {
      const health = instance.health();
      const failure = machine.failureOf(slot);
      return {
        name: machine.nameOf(slot) ?? '',
        ...instance.snapshot(),
        health: failure === undefined ? health.status : 'failed',
        problems: [...(failure === undefined ? [] : [failure]), ...health.problems],
      };
    }),
    run: runs,
    droppedSignals,
  }));

  const instance = (slot: number): StrategyInstance => {
    const found = instances.get(slot);
    if (!found) throw new Error(`no strategy instance in slot ${slot}`);
    return found;
  };

  /** Carries out one effect; a strategy hook that throws is handed to the machine as that strategy's failure. */
  const carryOut = async (effect: SymbolEffect): Promise<SymbolEffect[]> => {
    try {
      switch (effect.type) {
        case 'create': {
          const definition = findStrategy(effect.name);
          if (!definition) return [];
          const context = {
            symbol: input.symbol,
            strategyName: effect.name,
            slot: effect.slot,
            venue: effect.venue,
            risk: effect.risk,
            orderIdScope,
            newClientOrderId: () =>
              clientOrderId({
                scope: orderIdScope,
                strategySlot: effect.slot,
                sequence: machine.nextOrderSequence(),
              }),
            interruptible,
            activities: strategyActivities,
          };
          const params = definition.paramsSchema.parse(effect.params);
          instances.set(effect.slot, definition.create(context, params, effect.carried));
          return [];
        }
        case 'discard':
          instances.clear();
          return [];
        case 'start':
        case 'step':
        case 'pause':
          await instance(effect.slot)[effect.type]();
          break;
        case 'stop':
          await instance(effect.slot).stop();
          machine.stopped(effect.slot, effect.reason);
          break;
        case 'update':
          await instance(effect.slot).update(effect.params);
          break;
        case 'accountChange':
          await instance(effect.slot).onAccountChange?.(effect.change);
          break;
        case 'command': {
          const running = instance(effect.slot);
          answers.set(
            effect.id,
            running.command
              ? await running.command(effect.input)
              : { ok: false, refusal: { reason: 'conflict', message: 'this strategy takes no commands' } },
          );
          break;
        }
        case 'schedule':
          machine.scheduled(effect.slot, instance(effect.slot).nextStepInMs(), Date.now());
          break;
        case 'publish':
          upsertSearchAttributes([
            {
              key: StrategyKey,
              value: effect.config.strategies.map((strategy) => strategy.name).join(',') || 'none',
            },
            { key: ExchangeKey, value: effect.config.venues.map((venue) => venue.venue).join(',') },
          ]);
          return [];
        case 'finish':
          return [];
        case 'sweep':
          await strategyActivities.reconcileOrders({
            ...effect.venue,
            symbol: input.symbol,
            strategy: 'sweep',
            clientOrderIdPrefix: clientOrderIdPrefix(effect.scope),
            tracked: [],
          });
          return [];
      }
      if ('slot' in effect && instances.has(effect.slot))
        machine.reported(effect.slot, instances.get(effect.slot)?.health() ?? { status: 'ok', problems: [] });
      return [];
    } catch (error) {
      if (!('slot' in effect)) throw error;
      const reason = describeFailure(error);
      log.error('strategy failed', { symbol: input.symbol, slot: effect.slot, effect: effect.type, reason });
      if (effect.type === 'command')
        answers.set(effect.id, {
          ok: false,
          failure: `${machine.nameOf(effect.slot) ?? ''} failed: ${reason}`,
        });
      return machine.failed(effect.slot, effect, reason, Date.now());
    }
  };

  /** Carries out effects in order (and what failures lead to); true when the symbol's removal is complete. */
  const run = async (effects: SymbolEffect[]): Promise<boolean> => {
    const queue = [...effects];
    for (let effect = queue.shift(); effect; effect = queue.shift()) {
      if (effect.type === 'finish') {
        if (!machine.readyToFinish()) continue;
        // The shard may hear this a moment before this run closes: a re-add waits for the close (see shard).
        await getExternalWorkflowHandle(input.shardWorkflowId).signal(symbolStoppedSignal, {
          symbol: input.symbol,
        });
        log.info('symbol stopped', { symbol: input.symbol });
        return true;
      }
      queue.unshift(...(await carryOut(effect)));
    }
    return false;
  };

  /**
   * Publishes the status as a search attribute when it changes, and tells the shard whenever the symbol
   * becomes unhealthy, changes its trouble, or recovers (running and paused the shard knows by itself).
   */
  let publishedStatus: string | undefined;
  let reportedTrouble = '';
  let alerted = false;
  let alertsSent = 0;
  const publishStatus = async () => {
    const report = { symbol: input.symbol, status: machine.status, problems: machine.problems.slice(0, 50) };
    if (report.status !== publishedStatus) {
      publishedStatus = report.status;
      upsertSearchAttributes([{ key: SymbolStatusKey, value: report.status }]);
    }
    const trouble = report.problems.length > 0 ? JSON.stringify(report) : '';
    if (trouble === reportedTrouble) return;
    reportedTrouble = trouble;
    if (trouble) log.warn('symbol is not healthy', report);
    if (UNHEALTHY.has(report.status) && !alerted) {
      alerted = true;
      alertsSent += 1;
      // One alert per spell of trouble (the alert activity dedupes retries by the incident id).
      void alerter
        .sendAlert({
          incident: `symbol:${input.symbol}:${workflowInfo().runId}:${alertsSent}`,
          text: `Keel: ${input.symbol} is ${report.status}: ${report.problems.join('; ').slice(0, 1000)}`,
        })
        .catch((error: unknown) => log.error('alert not delivered', { error: String(error) }));
    } else if (!UNHEALTHY.has(report.status)) alerted = false;
    await getExternalWorkflowHandle(input.shardWorkflowId).signal(symbolStatusSignal, report);
  };

  const carried = input.carried
    ? Object.fromEntries(
        Object.entries(input.carried.strategies).map(([name, snapshot]) => [name, snapshot.state]),
      )
    : undefined;
  try {
    await run(machine.boot(carried, input.carried ? undefined : input.sweepOrdersOf));
  } catch (error) {
    const reason = `starting failed: ${describeFailure(error)}`;
    log.error(reason, { symbol: input.symbol });
    machine.crashed(reason);
  }
  machine.settle();

  /** Carries out one operator command; whatever happens, the update awaiting it gets an answer. */
  const carryOutCommand = async (next: (typeof commands)[number]) => {
    try {
      const target = machine.commandTarget(next.strategy);
      if ('refused' in target)
        answers.set(next.id, { ok: false, refusal: { reason: 'conflict', message: target.refused } });
      else await run(machine.command(target.slot, next.id, next.input));
    } finally {
      if (!answers.has(next.id))
        answers.set(next.id, { ok: false, failure: 'the symbol workflow failed carrying it out' });
    }
  };
  /** The symbol is removed: queued commands are refused, and the run ends once every update is answered. */
  const closeCommands = async () => {
    for (const next of commands.splice(0))
      answers.set(next.id, { ok: false, refusal: { reason: 'conflict', message: 'the symbol was removed' } });
    if (!allHandlersFinished()) await condition(allHandlersFinished);
  };

  for (;;) {
    await publishStatus();
    const next = machine.nextDueAt();
    if (next === undefined) await condition(() => waiting() || wantsContinueAsNew());
    // A step already due runs now: a timer of even 1 ms is a server round trip (and fires late).
    else if (next > Date.now()) await condition(() => waiting() || wantsContinueAsNew(), next - Date.now());

    try {
      // The shard's commands first: a pause that arrived with an order is in force before the order's turn.
      while (waiting()) {
        // Then what the venue did behind Keel's back, before any new operator order.
        const change = pending.length === 0 ? accountChanges.shift() : undefined;
        if (change) {
          await run(machine.accountChanged(change));
          continue;
        }
        const operatorCommand = pending.length === 0 ? commands.shift() : undefined;
        if (operatorCommand) {
          await carryOutCommand(operatorCommand);
          continue;
        }
        const command = SymbolCommandSchema.parse(pending.shift());
        if (await run(machine.handle(command))) return await closeCommands();
        machine.settle();
      }
      if (await run(machine.retryStopsIfDue(Date.now()))) return await closeCommands();
      for (const slot of machine.slots) await run(machine.stepIfDue(slot, Date.now()));
    } catch (error) {
      // Not a strategy's failure (those are handled above): a fault of the workflow's own. Nothing trades
      // until an operator acts, and the symbol says so rather than failing and looking fine to its shard.
      const reason = `the symbol workflow failed: ${describeFailure(error)}`;
      log.error(reason, { symbol: input.symbol });
      machine.crashed(reason);
    }

    if (wantsContinueAsNew() && !waiting()) {
      // Updates answered this turn return before the run closes; one arriving meanwhile is carried out first.
      if (!allHandlersFinished()) await condition(() => allHandlersFinished() || waiting());
      if (waiting()) continue;
      const strategies: Record<string, StrategySnapshot> = {};
      for (const [slot, running] of instances) strategies[machine.nameOf(slot) ?? ''] = running.snapshot();
      await continueAsNew<typeof symbolWorkflow>({
        ...input,
        config: machine.config,
        paused: machine.paused,
        carried: {
          strategies,
          pending: [],
          runs,
          ordersIssued: machine.ordersIssued,
          failures: machine.failures(),
          droppedSignals,
        },
      });
    }
  }

  function wantsContinueAsNew() {
    const current = workflowInfo();
    return (
      current.continueAsNewSuggested ||
      current.historyLength >= input.maxHistoryEvents ||
      commandsTaken >= MAX_COMMANDS_PER_RUN
    );
  }
}
