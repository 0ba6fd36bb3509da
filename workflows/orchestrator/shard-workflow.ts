import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { symbolWorkflowId } from '../../domain/ids';
import { ExchangeKey, ShardKey, StrategyKey, SymbolKey } from '../../temporal/search-attributes';
import { describeConfig, type SymbolConfig } from '../symbol/symbol-config';
import {
  symbolCommandSignal,
  symbolPingSignal,
  SymbolStatusReportSchema,
  symbolStatusSignal,
  SymbolStoppedSchema,
  symbolStoppedSignal,
  type SymbolCommand,
} from '../symbol/symbol-messages';
import { symbolWorkflow } from '../symbol/symbol-workflow';
import { dropReason, refuseUndecodableInput } from '../undecodable-payload';
import {
  ShardCommandBatchSchema,
  shardCommandsSignal,
  shardStatusQuery,
  shardSymbolsQuery,
  type ShardSymbolEntry,
} from './messages';

export interface ShardInput {
  shardIndex: number;
  idPrefix: string;
  maxHistoryEvents: number;
  /** How often the shard checks that each child still runs (default 5 minutes). */
  livenessCheckMs?: number;
  carried?: { symbols: ShardSymbolEntry[]; runs: number; droppedSignals?: number };
}

type ParsedCommand = ReturnType<typeof ShardCommandBatchSchema.parse>['commands'][number];

/** Search attributes of a symbol workflow: what the Web UI filters on. */
export function symbolSearchAttributes(symbol: string, config: SymbolConfig, shardIndex: number) {
  return [
    { key: SymbolKey, value: symbol },
    { key: StrategyKey, value: config.strategies.map((strategy) => strategy.name).join(',') || 'none' },
    { key: ExchangeKey, value: config.venues.map((venue) => venue.venue).join(',') },
    { key: ShardKey, value: shardIndex },
  ];
}

/**
 * One shard: the durable registry of its symbols and one child workflow per symbol (`symbol:BTC-USDT`).
 * Commands for one symbol apply strictly in order; different symbols proceed concurrently. Children are
 * started with ABANDON and addressed by id, so continue-as-new (or a root restart) never orphans,
 * terminates or duplicates them.
 */
export async function shardWorkflow(input: ShardInput): Promise<void> {
  refuseUndecodableInput(input, 'shardWorkflow');
  let droppedSignals = input.carried?.droppedSignals ?? 0;
  const drop = (signal: string, payload: unknown) => {
    droppedSignals += 1;
    log.warn(`dropped ${signal} signal`, { reason: dropReason(payload, 'malformed payload') });
  };
  const registry = new Map<string, ShardSymbolEntry>(
    (input.carried?.symbols ?? []).map((entry) => [entry.symbol, entry]),
  );
  const runs = (input.carried?.runs ?? 0) + 1;
  /** Tail of each symbol's command chain. */
  const chains = new Map<string, Promise<void>>();
  const { workflowId: shardId } = workflowInfo();

  /** The child is registered but its workflow does not run: the symbol shows it, an operator resumes it. */
  const markClosed = (entry: ShardSymbolEntry, error: unknown) => {
    entry.closed = true;
    entry.status = 'failed';
    entry.problems = [
      `the symbol workflow is not running (${error instanceof Error ? error.message : String(error)}): resume restarts it`,
    ];
    log.error('symbol workflow not running', { symbol: entry.symbol, workflowId: entry.workflowId });
  };
  const signalChild = async (entry: ShardSymbolEntry, command: SymbolCommand) => {
    try {
      await getExternalWorkflowHandle(entry.workflowId).signal(symbolCommandSignal, command);
    } catch (error) {
      markClosed(entry, error);
    }
  };

  /** `afterRemoval`: the id's previous run reported 'stopped' and may still be closing; wait for it. */
  const startSymbol = async (entry: ShardSymbolEntry, afterRemoval = false) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await startOnce(entry);
        break;
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        if (afterRemoval && attempt < 60) {
          await sleep('500 milliseconds');
          continue;
        }
        // Already running (a retried command, or a start whose outcome an earlier run never saw): it is ours.
        log.info('symbol workflow already running', { workflowId: entry.workflowId });
        break;
      }
    }
    entry.status = entry.paused ? 'paused' : 'running';
  };

  /** `sweepOrdersOf`: the scope of a dead chain whose orders the new child cancels and settles first. */
  const startOnce = async (entry: ShardSymbolEntry, sweepOrdersOf?: string) => {
    const child = await startChild(symbolWorkflow, {
      workflowId: entry.workflowId,
      args: [
        {
          symbol: entry.symbol,
          config: entry.config,
          paused: entry.paused,
          shardWorkflowId: shardId,
          shardIndex: input.shardIndex,
          maxHistoryEvents: input.maxHistoryEvents,
          ...(sweepOrdersOf ? { sweepOrdersOf } : {}),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: symbolSearchAttributes(entry.symbol, entry.config, input.shardIndex),
      staticSummary: `${entry.symbol}: ${describeConfig(entry.config)}`,
      staticDetails: `Shard ${input.shardIndex} (${shardId}). Steer it through the orchestrator, not directly.`,
    });
    entry.orderIdScope = `${entry.workflowId}/${child.firstExecutionRunId}`;
  };

  /** A registered child whose workflow no longer runs starts again, and first sweeps the dead chain's orders. */
  const restartSymbol = async (entry: ShardSymbolEntry) => {
    const previous = entry.orderIdScope;
    try {
      await startOnce(entry, previous);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    delete entry.closed;
    delete entry.problems;
    entry.status = entry.paused ? 'paused' : 'running';
    log.info('symbol workflow restarted', { symbol: entry.symbol, sweptScope: previous });
  };

  const applyOne = async (command: ParsedCommand) => {
    if (command.kind === 'add') {
      const existing = registry.get(command.symbol);
      const afterRemoval = existing?.status === 'stopping';
      if (existing) {
        // A removal of the previous incarnation is still in flight: wait until its child has finished.
        if (existing.status === 'stopping') await condition(() => !registry.has(command.symbol));
        else
          return log.warn('add for a symbol this shard already holds: ignored', { symbol: command.symbol });
      }
      const entry: ShardSymbolEntry = {
        symbol: command.symbol,
        workflowId: symbolWorkflowId(input.idPrefix, command.symbol),
        status: 'starting',
        paused: command.paused,
        config: command.config,
      };
      registry.set(command.symbol, entry);
      return startSymbol(entry, afterRemoval);
    }
    if (command.kind === 'pause' || command.kind === 'resume') {
      // Global pause/resume fans out per symbol through their own chains (order with their other commands).
      if (!command.symbol) {
        for (const entry of registry.values()) void enqueue({ kind: command.kind, symbol: entry.symbol });
        return;
      }
      const entry = registry.get(command.symbol);
      if (!entry || entry.status === 'stopping') return;
      entry.paused = command.kind === 'pause';
      if (entry.closed) return command.kind === 'resume' ? restartSymbol(entry) : undefined;
      if (!entry.problems?.length) entry.status = entry.paused ? 'paused' : 'running';
      return signalChild(entry, { kind: command.kind });
    }
    const entry = registry.get(command.symbol);
    if (!entry || entry.status === 'stopping') {
      return log.warn(`${command.kind} for a symbol this shard does not hold: ignored`, {
        symbol: command.symbol,
      });
    }
    if (command.kind === 'update') {
      entry.config = command.config;
      if (entry.closed) return;
      return signalChild(entry, { kind: 'update', config: command.config });
    }
    if (entry.closed) {
      // Nothing runs to cancel the orders: a new chain does it (sweeping the dead one's), then stops.
      await restartSymbol(entry);
    }
    // The child cancels its orders, then signals symbolStopped, which deletes the entry (in this run or,
    // carried as 'stopping', in a later one).
    entry.status = 'stopping';
    await signalChild(entry, { kind: 'stop' });
  };

  const enqueue = (command: ParsedCommand): Promise<void> => {
    const key = command.symbol ?? '*';
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => applyOne(command));
    const tail = next.catch((error: unknown) => {
      log.error('shard command failed', {
        command: command.kind,
        symbol: command.symbol,
        error: String(error),
      });
    });
    chains.set(key, tail);
    void tail.then(() => {
      if (chains.get(key) === tail) chains.delete(key);
    });
    return tail;
  };

  setHandler(shardCommandsSignal, async (payload) => {
    const parsed = ShardCommandBatchSchema.safeParse(payload);
    if (!parsed.success) return drop('shardCommands', payload);
    await Promise.all(parsed.data.commands.map(enqueue));
  });
  setHandler(symbolStoppedSignal, (payload) => {
    const parsed = SymbolStoppedSchema.safeParse(payload);
    if (!parsed.success) return drop('symbolStopped', payload);
    const entry = registry.get(parsed.data.symbol);
    if (entry?.status === 'stopping') registry.delete(parsed.data.symbol);
  });
  setHandler(symbolStatusSignal, (payload) => {
    const parsed = SymbolStatusReportSchema.safeParse(payload);
    if (!parsed.success) return drop('symbolStatus', payload);
    const entry = registry.get(parsed.data.symbol);
    if (!entry || entry.status === 'stopping' || entry.closed) return;
    entry.status = parsed.data.status;
    if (parsed.data.problems.length > 0) entry.problems = parsed.data.problems;
    else delete entry.problems;
  });
  setHandler(shardSymbolsQuery, () => [...registry.values()]);
  setHandler(shardStatusQuery, () => ({
    shardIndex: input.shardIndex,
    symbols: registry.size,
    droppedSignals,
    runs,
  }));

  /** Every so often, each registered child is asked whether it runs (a signal to a closed workflow fails). */
  const checkLiveness = async () => {
    for (;;) {
      await sleep(input.livenessCheckMs ?? 5 * 60_000);
      for (const entry of [...registry.values()]) {
        if (entry.status === 'stopping' || entry.status === 'starting' || entry.closed) continue;
        await getExternalWorkflowHandle(entry.workflowId)
          .signal(symbolPingSignal)
          .catch((error: unknown) => markClosed(entry, error));
      }
    }
  };
  void checkLiveness();

  // Entries a previous run was still starting (it cannot have continued-as-new mid-start, but be safe).
  for (const entry of registry.values()) if (entry.status === 'starting') void enqueueStart(entry);
  function enqueueStart(entry: ShardSymbolEntry) {
    const previous = chains.get(entry.symbol) ?? Promise.resolve();
    const tail = previous.then(() => startSymbol(entry)).catch((error: unknown) => log.error(String(error)));
    chains.set(entry.symbol, tail);
    return tail;
  }

  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= input.maxHistoryEvents,
  );
  // Wait for in-flight commands; removals already signalled carry over as 'stopping' entries.
  await condition(() => allHandlersFinished() && chains.size === 0);
  await continueAsNew<typeof shardWorkflow>({
    ...input,
    carried: { symbols: [...registry.values()], runs, droppedSignals },
  });
}
