import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import { shardWorkflowId, symbolWorkflowId } from '../../domain/ids';
import { ShardKey } from '../../temporal/search-attributes';
import {
  addSymbolSignal,
  addSymbolUpdate,
  AddSymbolSchema,
  listSymbolsQuery,
  pauseSignal,
  pauseUpdate,
  PauseResumeSchema,
  removeSymbolSignal,
  removeSymbolUpdate,
  RemoveSymbolSchema,
  resumeSignal,
  resumeUpdate,
  shardCommandsSignal,
  statusQuery,
  symbolQuery,
  updateSymbolSignal,
  updateSymbolUpdate,
  UpdateSymbolSchema,
  type ControlResult,
  type RootSymbolEntry,
  type ShardCommand,
} from './messages';
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, shardForSymbol } from './shard-routing';
import { shardWorkflow } from './shard-workflow';
import type { SymbolConfig } from './symbol-config';

export const OrchestratorInputSchema = z.object({
  shardCount: z.number().int().min(1).max(MAX_SHARD_COUNT).default(DEFAULT_SHARD_COUNT),
  /** '' in production; tests and benches namespace their shard and symbol ids with it. */
  idPrefix: z
    .string()
    .max(40)
    .regex(/^[A-Za-z0-9_.:-]*$/)
    .default(''),
  /** Continue-as-new once history reaches this many events even if the server has not suggested it. */
  maxHistoryEvents: z.number().int().min(50).max(50_000).default(5_000),
  /** The server refuses more than 2,000 updates per run (history.maxTotalUpdates): continue-as-new well before. */
  maxUpdatesPerRun: z.number().int().min(10).max(1_800).default(1_000),
  /** Passed to every shard (and by shards to every symbol workflow). */
  shardMaxHistoryEvents: z.number().int().min(50).max(50_000).default(10_000),
});
export type OrchestratorInput = z.input<typeof OrchestratorInputSchema> & { carried?: OrchestratorCarried };

interface OrchestratorCarried {
  symbols: RootSymbolEntry[];
  /** Recent update ids with their results: a client retrying an update across continue-as-new gets the same answer. */
  completedUpdates?: Array<[string, ControlResult]>;
  globalPaused: boolean;
  droppedSignals: number;
  runs: number;
}

type Command =
  | { kind: 'add'; symbol: string; config: SymbolConfig }
  | { kind: 'remove'; symbol: string }
  | { kind: 'update'; symbol: string; config: SymbolConfig }
  | { kind: 'pause' | 'resume'; symbol?: string | undefined };

const reason = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');

/**
 * The root: one per deployment (`keel-orchestrator`). Owns `shardCount` shard workflows, routes every
 * symbol to one by a stable hash and forwards control messages to it. Its own state is the registry of
 * symbol → shard and desired pause state; shards own the children.
 */
export async function orchestratorWorkflow(rawInput: OrchestratorInput = {}): Promise<void> {
  const input = OrchestratorInputSchema.parse(rawInput);
  const { workflowId } = workflowInfo();
  const carried = rawInput.carried;
  const symbols = new Map<string, RootSymbolEntry>(
    (carried?.symbols ?? []).map((entry) => [entry.symbol, entry]),
  );
  let globalPaused = carried?.globalPaused ?? false;
  let droppedSignals = carried?.droppedSignals ?? 0;
  const completedUpdates = new Map<string, ControlResult>(carried?.completedUpdates ?? []);
  const REMEMBERED_UPDATES = 500;
  const runs = (carried?.runs ?? 0) + 1;
  let shardsReady = false;

  // Outboxes: commands wait here and travel to their shard in order, one batch signal at a time.
  const outboxes: ShardCommand[][] = Array.from({ length: input.shardCount }, () => []);
  const sending: boolean[] = Array.from({ length: input.shardCount }, () => false);

  const pump = async (shard: number) => {
    if (sending[shard]) return;
    sending[shard] = true;
    try {
      await condition(() => shardsReady);
      while ((outboxes[shard]?.length ?? 0) > 0) {
        const commands = outboxes[shard]?.splice(0) ?? [];
        await getExternalWorkflowHandle(shardWorkflowId(input.idPrefix, shard)).signal(shardCommandsSignal, {
          commands,
        });
      }
    } finally {
      sending[shard] = false;
    }
  };
  const send = (shard: number, command: ShardCommand) => {
    outboxes[shard]?.push(command);
    void pump(shard);
  };
  const outboxesEmpty = () => outboxes.every((box) => box.length === 0) && sending.every((busy) => !busy);

  /** Business checks shared by validators (reject) and signal handlers (drop). */
  const refusal = (command: Command): string | undefined => {
    if (command.kind === 'add' && symbols.has(command.symbol))
      return `${command.symbol} is already registered`;
    if ((command.kind === 'remove' || command.kind === 'update') && !symbols.has(command.symbol))
      return `${command.symbol} is not registered`;
    if (
      (command.kind === 'pause' || command.kind === 'resume') &&
      command.symbol &&
      !symbols.has(command.symbol)
    )
      return `${command.symbol} is not registered`;
    return undefined;
  };

  /** Applies a validated, allowed command: the registry changes at once, the shard hears in order. */
  const apply = (command: Command): ControlResult => {
    if (command.kind === 'add') {
      const shard = shardForSymbol(command.symbol, input.shardCount);
      const entry: RootSymbolEntry = {
        symbol: command.symbol,
        shard,
        workflowId: symbolWorkflowId(input.idPrefix, command.symbol),
        paused: globalPaused,
      };
      symbols.set(command.symbol, entry);
      send(shard, { kind: 'add', symbol: command.symbol, config: command.config, paused: entry.paused });
      return { symbol: entry.symbol, shard, workflowId: entry.workflowId, outcome: 'added', affected: 1 };
    }
    if (command.kind === 'remove' || command.kind === 'update') {
      const entry = symbols.get(command.symbol);
      if (!entry) throw new Error(`${command.symbol} is not registered`);
      if (command.kind === 'remove') {
        symbols.delete(command.symbol);
        send(entry.shard, { kind: 'remove', symbol: command.symbol });
      } else {
        send(entry.shard, { kind: 'update', symbol: command.symbol, config: command.config });
      }
      const outcome = command.kind === 'remove' ? 'removing' : 'updated';
      return { symbol: entry.symbol, shard: entry.shard, workflowId: entry.workflowId, outcome, affected: 1 };
    }
    const paused = command.kind === 'pause';
    const outcome = paused ? 'paused' : 'resumed';
    if (command.symbol) {
      const entry = symbols.get(command.symbol);
      if (!entry) throw new Error(`${command.symbol} is not registered`);
      entry.paused = paused;
      send(entry.shard, { kind: command.kind, symbol: command.symbol });
      return { symbol: entry.symbol, shard: entry.shard, workflowId: entry.workflowId, outcome, affected: 1 };
    }
    globalPaused = paused;
    for (const entry of symbols.values()) entry.paused = paused;
    for (let shard = 0; shard < input.shardCount; shard += 1) send(shard, { kind: command.kind });
    return { outcome, affected: symbols.size };
  };

  const parsers = {
    addSymbol: (payload: unknown): Command => ({ kind: 'add', ...AddSymbolSchema.parse(payload) }),
    removeSymbol: (payload: unknown): Command => ({ kind: 'remove', ...RemoveSymbolSchema.parse(payload) }),
    updateSymbol: (payload: unknown): Command => ({ kind: 'update', ...UpdateSymbolSchema.parse(payload) }),
    pause: (payload: unknown): Command => ({ kind: 'pause', ...PauseResumeSchema.parse(payload) }),
    resume: (payload: unknown): Command => ({ kind: 'resume', ...PauseResumeSchema.parse(payload) }),
  };
  type Kind = keyof typeof parsers;

  const validate = (kind: Kind, payload: unknown): Command => {
    let command: Command;
    try {
      command = parsers[kind](payload);
    } catch (error) {
      if (error instanceof z.ZodError) throw new Error(`invalid ${kind}: ${reason(error)}`, { cause: error });
      throw error;
    }
    const refused = refusal(command);
    if (refused) throw new Error(`${kind} refused: ${refused}`);
    return command;
  };

  const onSignal = (kind: Kind) => (payload: unknown) => {
    let command: Command;
    try {
      command = validate(kind, payload);
    } catch (error) {
      droppedSignals += 1;
      log.warn(`dropped ${kind} signal`, { reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    apply(command);
  };
  let updatesThisRun = 0;
  const update = (kind: Kind) => ({
    handler: (payload: unknown): ControlResult => {
      updatesThisRun += 1;
      const id = currentUpdateInfo()?.id;
      const earlier = id === undefined ? undefined : completedUpdates.get(id);
      if (earlier) return earlier;
      const result = apply(validate(kind, payload));
      if (id !== undefined) {
        completedUpdates.set(id, result);
        if (completedUpdates.size > REMEMBERED_UPDATES) {
          const oldest = completedUpdates.keys().next();
          if (!oldest.done) completedUpdates.delete(oldest.value);
        }
      }
      return result;
    },
    validator: (payload: unknown) => {
      const id = currentUpdateInfo()?.id;
      if (id !== undefined && completedUpdates.has(id)) return;
      validate(kind, payload);
    },
  });

  // Handlers first, so nothing sent before the shards exist is lost.
  setHandler(addSymbolSignal, onSignal('addSymbol'));
  setHandler(removeSymbolSignal, onSignal('removeSymbol'));
  setHandler(updateSymbolSignal, onSignal('updateSymbol'));
  setHandler(pauseSignal, onSignal('pause'));
  setHandler(resumeSignal, onSignal('resume'));
  for (const [definition, kind] of [
    [addSymbolUpdate, 'addSymbol'],
    [removeSymbolUpdate, 'removeSymbol'],
    [updateSymbolUpdate, 'updateSymbol'],
    [pauseUpdate, 'pause'],
    [resumeUpdate, 'resume'],
  ] as const) {
    const { handler, validator } = update(kind);
    setHandler(definition, handler, { validator });
  }
  setHandler(listSymbolsQuery, () => [...symbols.values()]);
  setHandler(symbolQuery, (symbol: string) => symbols.get(symbol) ?? null);
  setHandler(statusQuery, () => {
    const counts = Array.from({ length: input.shardCount }, () => 0);
    for (const entry of symbols.values()) counts[entry.shard] = (counts[entry.shard] ?? 0) + 1;
    return {
      workflowId,
      idPrefix: input.idPrefix,
      shardCount: input.shardCount,
      globalPaused,
      symbolCount: symbols.size,
      shards: counts.map((count, index) => ({
        index,
        workflowId: shardWorkflowId(input.idPrefix, index),
        symbols: count,
      })),
      droppedSignals,
    };
  });

  // Ensure every shard runs. A shard that already runs (an earlier run of this root started it) is fine.
  await Promise.all(
    Array.from({ length: input.shardCount }, async (_, index) => {
      try {
        await startChild(shardWorkflow, {
          workflowId: shardWorkflowId(input.idPrefix, index),
          args: [
            { shardIndex: index, idPrefix: input.idPrefix, maxHistoryEvents: input.shardMaxHistoryEvents },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [{ key: ShardKey, value: index }],
          staticSummary: `Keel shard ${index} of ${input.shardCount}`,
          staticDetails: `Owns the symbols whose FNV-1a hash mod ${input.shardCount} is ${index}; root ${workflowId}.`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    }),
  );
  shardsReady = true;
  log.info('orchestrator ready', { shards: input.shardCount, symbols: symbols.size, run: runs });

  await condition(
    () =>
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength >= input.maxHistoryEvents ||
      updatesThisRun >= input.maxUpdatesPerRun,
  );
  await condition(() => allHandlersFinished() && outboxesEmpty());
  await continueAsNew<typeof orchestratorWorkflow>({
    ...input,
    carried: {
      symbols: [...symbols.values()],
      completedUpdates: [...completedUpdates.entries()],
      globalPaused,
      droppedSignals,
      runs,
    },
  });
}
