import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { clientOrderId } from '../../domain/ids';
import { ExchangeKey, StrategyKey } from '../../temporal/search-attributes';
import { findStrategy } from '../strategies/strategy-registry';
import type { KeelActivities, StrategyInstance, StrategySnapshot } from '../strategies/strategy-types';
import { SymbolConfigSchema, type SymbolConfig } from './symbol-config';
import { SymbolMachine, type SymbolEffect } from './symbol-machine';
import {
  SymbolCommandSchema,
  symbolCommandSignal,
  symbolStateQuery,
  symbolStoppedSignal,
  type SymbolCommand,
  type SymbolState,
} from './symbol-messages';

const activities = proxyActivities<KeelActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', backoffCoefficient: 2 },
});

export interface SymbolInput {
  symbol: string;
  config: SymbolConfig;
  paused: boolean;
  shardWorkflowId: string;
  shardIndex: number;
  maxHistoryEvents: number;
  carried?: {
    strategies: Record<string, StrategySnapshot>;
    pending: SymbolCommand[];
    runs: number;
    ordersIssued: number;
  };
}

/**
 * One symbol: holds its configuration and runs its strategies through the plug-in seam. A thin loop:
 * messages and timers go to the `SymbolMachine`, whose effects it carries out by calling strategy hooks
 * (which do all exchange I/O through activities). Pause cancels resting orders; stop (symbol removed)
 * cancels everything before the workflow completes and tells its shard.
 */
export async function symbolWorkflow(input: SymbolInput): Promise<void> {
  const info = workflowInfo();
  const orderIdScope = `${info.workflowId}/${info.firstExecutionRunId}`;
  const runs = (input.carried?.runs ?? 0) + 1;
  const pending: SymbolCommand[] = [...(input.carried?.pending ?? [])];
  const machine = new SymbolMachine({
    config: SymbolConfigSchema.parse(input.config),
    paused: input.paused,
    knows: (name) => findStrategy(name) !== undefined,
    ordersIssued: input.carried?.ordersIssued ?? 0,
  });
  const instances = new Map<number, StrategyInstance>();

  setHandler(symbolCommandSignal, (payload) => {
    const parsed = SymbolCommandSchema.safeParse(payload);
    if (!parsed.success) return log.warn('dropped malformed symbolCommand signal', { symbol: input.symbol });
    pending.push(parsed.data);
  });
  setHandler(symbolStateQuery, (): SymbolState => ({
    symbol: input.symbol,
    workflowId: info.workflowId,
    status: machine.status,
    paused: machine.paused,
    config: machine.config,
    strategies: [...instances].map(([slot, instance]) => ({
      name: machine.nameOf(slot) ?? '',
      ...instance.snapshot(),
    })),
    run: runs,
  }));

  const instance = (slot: number): StrategyInstance => {
    const found = instances.get(slot);
    if (!found) throw new Error(`no strategy instance in slot ${slot}`);
    return found;
  };

  const carryOut = async (effects: SymbolEffect[]): Promise<'finished' | undefined> => {
    for (const effect of effects) {
      switch (effect.type) {
        case 'create': {
          const definition = findStrategy(effect.name);
          if (!definition) break;
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
            activities,
          };
          const params = definition.paramsSchema.parse(effect.params);
          instances.set(effect.slot, definition.create(context, params, effect.carried));
          break;
        }
        case 'discard':
          instances.clear();
          break;
        case 'start':
        case 'step':
        case 'pause':
        case 'stop':
          await instance(effect.slot)[effect.type]();
          break;
        case 'update':
          await instance(effect.slot).update(effect.params);
          break;
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
          break;
        case 'finish':
          // The shard may hear this a moment before this run closes: a re-add waits for the close (see shard).
          await getExternalWorkflowHandle(input.shardWorkflowId).signal(symbolStoppedSignal, {
            symbol: input.symbol,
          });
          log.info('symbol stopped', { symbol: input.symbol });
          return 'finished';
      }
    }
    return undefined;
  };

  const carried = input.carried
    ? Object.fromEntries(
        Object.entries(input.carried.strategies).map(([name, snapshot]) => [name, snapshot.state]),
      )
    : undefined;
  await carryOut(machine.boot(carried));
  machine.settle();

  for (;;) {
    const next = machine.nextDueAt();
    if (next === undefined) await condition(() => pending.length > 0 || wantsContinueAsNew());
    // A step already due runs now: a timer of even 1 ms is a server round trip (and fires late).
    else if (next > Date.now())
      await condition(() => pending.length > 0 || wantsContinueAsNew(), next - Date.now());

    while (pending.length > 0) {
      const command = SymbolCommandSchema.parse(pending.shift());
      if ((await carryOut(machine.handle(command))) === 'finished') return;
      machine.settle();
    }

    for (const slot of machine.slots) await carryOut(machine.stepIfDue(slot, Date.now()));

    if (wantsContinueAsNew() && pending.length === 0) {
      const strategies: Record<string, StrategySnapshot> = {};
      for (const [slot, running] of instances) strategies[machine.nameOf(slot) ?? ''] = running.snapshot();
      await continueAsNew<typeof symbolWorkflow>({
        ...input,
        config: machine.config,
        paused: machine.paused,
        carried: { strategies, pending: [], runs, ordersIssued: machine.ordersIssued },
      });
    }
  }

  function wantsContinueAsNew() {
    const current = workflowInfo();
    return current.continueAsNewSuggested || current.historyLength >= input.maxHistoryEvents;
  }
}
