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
import { ExchangeKey, StrategyKey } from '../../temporal/search-attributes';
import { findStrategy } from '../strategies/strategy-registry';
import type { KeelActivities, StrategyInstance, StrategySnapshot } from '../strategies/strategy-types';
import {
  SymbolCommandSchema,
  symbolCommandSignal,
  symbolStateQuery,
  symbolStoppedSignal,
  type SymbolCommand,
  type SymbolState,
} from './messages';
import { SymbolConfigSchema, type SymbolConfig, type SymbolStatus } from './symbol-config';

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
  };
}

interface Running {
  name: string;
  instance: StrategyInstance;
  dueAt: number | undefined;
}

/**
 * One symbol: holds its configuration and runs its strategies through the plug-in seam. All exchange
 * I/O is in activities the strategies call; pause cancels resting orders, stop (symbol removed) cancels
 * everything before the workflow completes and tells its shard.
 */
export async function symbolWorkflow(input: SymbolInput): Promise<void> {
  const info = workflowInfo();
  const orderIdScope = `${info.workflowId}/${info.firstExecutionRunId}`;
  let config = SymbolConfigSchema.parse(input.config);
  let paused = input.paused;
  let status: SymbolStatus = 'starting';
  const runs = (input.carried?.runs ?? 0) + 1;
  const pending: SymbolCommand[] = [...(input.carried?.pending ?? [])];
  let running: Running[] = [];

  setHandler(symbolCommandSignal, (payload) => {
    const parsed = SymbolCommandSchema.safeParse(payload);
    if (!parsed.success) return log.warn('dropped malformed symbolCommand signal', { symbol: input.symbol });
    pending.push(parsed.data);
  });
  setHandler(symbolStateQuery, (): SymbolState => ({
    symbol: input.symbol,
    workflowId: info.workflowId,
    status,
    paused,
    config,
    strategies: running.map(({ name, instance }) => ({ name, ...instance.snapshot() })),
    run: runs,
  }));

  const instantiate = (carried: Record<string, StrategySnapshot> | undefined) =>
    config.strategies.flatMap((strategy, slot): Running[] => {
      const definition = findStrategy(strategy.name);
      const venue = config.venues[strategy.venue];
      if (!definition || !venue) return [];
      const instance = definition.create(
        {
          symbol: input.symbol,
          strategyName: strategy.name,
          slot,
          venue,
          risk: config.risk,
          orderIdScope,
          activities,
        },
        definition.paramsSchema.parse(strategy.params),
        carried?.[strategy.name]?.state,
      );
      return [{ name: strategy.name, instance, dueAt: undefined }];
    });

  const schedule = (entry: Running) => {
    const delay = entry.instance.nextStepInMs();
    entry.dueAt = delay === undefined ? undefined : Date.now() + delay;
  };
  const startAll = async () => {
    for (const entry of running) {
      await entry.instance.start();
      schedule(entry);
    }
  };

  running = instantiate(input.carried?.strategies);
  if (!input.carried) {
    if (!paused) await startAll();
  } else {
    for (const entry of running) schedule(entry);
  }
  status = paused ? 'paused' : 'running';

  for (;;) {
    const dueTimes = running.flatMap((entry) => (entry.dueAt === undefined ? [] : [entry.dueAt]));
    const next = dueTimes.length > 0 && !paused ? Math.min(...dueTimes) : undefined;
    if (next === undefined) await condition(() => pending.length > 0 || wantsContinueAsNew());
    // A step already due runs now: a timer of even 1 ms is a server round trip (and fires late).
    else if (next > Date.now())
      await condition(() => pending.length > 0 || wantsContinueAsNew(), next - Date.now());

    while (pending.length > 0) {
      const command = SymbolCommandSchema.parse(pending.shift());
      if (command.kind === 'stop') {
        status = 'stopping';
        for (const entry of running) await entry.instance.stop();
        // The shard may hear this a moment before this run closes: a re-add waits for the close (see shard).
        await getExternalWorkflowHandle(input.shardWorkflowId).signal(symbolStoppedSignal, {
          symbol: input.symbol,
        });
        log.info('symbol stopped', { symbol: input.symbol });
        return;
      }
      if (command.kind === 'pause' && !paused) {
        paused = true;
        for (const entry of running) await entry.instance.pause();
      } else if (command.kind === 'resume' && paused) {
        paused = false;
        await startAll();
      } else if (command.kind === 'update') {
        const previous = running;
        const nextConfig = command.config;
        // Same strategy on the same venue: hand it the new params. Anything else: stop old, start new.
        const sameShape =
          JSON.stringify(nextConfig.venues) === JSON.stringify(config.venues) &&
          JSON.stringify(nextConfig.strategies.map((s) => [s.name, s.venue])) ===
            JSON.stringify(config.strategies.map((s) => [s.name, s.venue]));
        if (sameShape && JSON.stringify(nextConfig.risk) === JSON.stringify(config.risk)) {
          config = nextConfig;
          for (const [index, entry] of previous.entries()) {
            if (!paused) await entry.instance.update(config.strategies[index]?.params ?? {});
            schedule(entry);
          }
        } else {
          for (const entry of previous) await entry.instance.stop();
          config = nextConfig;
          running = instantiate(undefined);
          if (!paused) await startAll();
        }
        upsertSearchAttributes([
          { key: StrategyKey, value: config.strategies.map((strategy) => strategy.name).join(',') || 'none' },
          { key: ExchangeKey, value: config.venues.map((venue) => venue.venue).join(',') },
        ]);
      }
      status = paused ? 'paused' : 'running';
    }

    if (!paused) {
      for (const entry of running) {
        if (entry.dueAt !== undefined && entry.dueAt <= Date.now()) {
          await entry.instance.step();
          schedule(entry);
        }
      }
    }

    if (wantsContinueAsNew() && pending.length === 0) {
      const strategies: Record<string, StrategySnapshot> = {};
      for (const entry of running) strategies[entry.name] = entry.instance.snapshot();
      await continueAsNew<typeof symbolWorkflow>({
        ...input,
        config,
        paused,
        carried: { strategies, pending: [], runs },
      });
    }
  }

  function wantsContinueAsNew() {
    const current = workflowInfo();
    return current.continueAsNewSuggested || current.historyLength >= input.maxHistoryEvents;
  }
}
