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
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, shardWorkflowId } from '../../domain/ids';
import { ShardKey } from '../../temporal/search-attributes';
import { dropReason, refuseUndecodableInput } from '../undecodable-payload';
import {
  addSymbolSignal,
  addSymbolUpdate,
  listSymbolsQuery,
  pauseSignal,
  pauseUpdate,
  removeSymbolSignal,
  removeSymbolUpdate,
  resumeSignal,
  resumeUpdate,
  shardCommandsSignal,
  statusQuery,
  symbolQuery,
  updateSymbolSignal,
  updateSymbolUpdate,
  type ControlResult,
  type ShardCommand,
} from './messages';
import {
  CompletedUpdates,
  RootRegistry,
  type ControlCommand,
  type ControlKind,
  type RegistrySnapshot,
} from './root-registry';
import { shardWorkflow } from './shard-workflow';

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
  /** How often each shard checks that its children still run. */
  shardLivenessCheckMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
});
/** The refusal of an update while the root closes a run to continue as new; the caller retries. */
export const RUN_CLOSING = 'the orchestrator is starting a new run: retry in a moment';

export type OrchestratorInput = z.input<typeof OrchestratorInputSchema> & { carried?: OrchestratorCarried };

interface OrchestratorCarried extends RegistrySnapshot {
  /** Recent update ids with their results: a client retrying an update across continue-as-new gets the same answer. */
  completedUpdates?: Array<[string, ControlResult]>;
  runs: number;
}

/**
 * The root: one per deployment (`keel-orchestrator`). Owns `shardCount` shard workflows, routes every
 * symbol to one by a stable hash and forwards control messages to it. Its decisions are the
 * `RootRegistry`'s (symbol → shard, desired pause state); shards own the children.
 */
export async function orchestratorWorkflow(rawInput: OrchestratorInput = {}): Promise<void> {
  refuseUndecodableInput(rawInput, 'orchestratorWorkflow');
  const input = OrchestratorInputSchema.parse(rawInput);
  const { workflowId } = workflowInfo();
  const carried = rawInput.carried;
  const registry = new RootRegistry(input.shardCount, input.idPrefix, carried);
  const completedUpdates = new CompletedUpdates(carried?.completedUpdates);
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
  const outboxesEmpty = () => outboxes.every((box) => box.length === 0) && sending.every((busy) => !busy);

  /** Applies a validated command: the registry changes at once, each shard hears in order. */
  const apply = (command: ControlCommand): ControlResult => {
    const { result, sends } = registry.apply(command);
    for (const { shard, command: shardCommand } of sends) {
      outboxes[shard]?.push(shardCommand);
      void pump(shard);
    }
    return result;
  };

  const onSignal = (kind: ControlKind) => (payload: unknown) => {
    let command: ControlCommand;
    try {
      command = registry.validate(kind, payload);
    } catch (error) {
      registry.dropped();
      log.warn(`dropped ${kind} signal`, {
        reason: dropReason(payload, error instanceof Error ? error.message : String(error)),
      });
      return;
    }
    apply(command);
  };
  let updatesThisRun = 0;
  const update = (kind: ControlKind) => ({
    handler: (payload: unknown): ControlResult => {
      updatesThisRun += 1;
      const id = currentUpdateInfo()?.id;
      const earlier = completedUpdates.get(id);
      if (earlier) return earlier;
      const result = apply(registry.validate(kind, payload));
      completedUpdates.remember(id, result);
      return result;
    },
    validator: (payload: unknown) => {
      if (completedUpdates.get(currentUpdateInfo()?.id)) return;
      // Past the bound this run takes no more updates, so its handlers and outboxes can drain and it can
      // continue as new before the server's limit of updates per run (refused, not recorded: retry).
      if (updatesThisRun >= input.maxUpdatesPerRun) throw new Error(RUN_CLOSING);
      registry.validate(kind, payload);
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
  setHandler(listSymbolsQuery, () => registry.list());
  setHandler(symbolQuery, (symbol: string) => registry.get(symbol));
  setHandler(statusQuery, () => registry.status(workflowId));

  // Ensure every shard runs. A shard that already runs (an earlier run of this root started it) is fine.
  await Promise.all(
    Array.from({ length: input.shardCount }, async (_, index) => {
      try {
        await startChild(shardWorkflow, {
          workflowId: shardWorkflowId(input.idPrefix, index),
          args: [
            {
              shardIndex: index,
              idPrefix: input.idPrefix,
              maxHistoryEvents: input.shardMaxHistoryEvents,
              livenessCheckMs: input.shardLivenessCheckMs,
            },
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
  log.info('orchestrator ready', { shards: input.shardCount, symbols: registry.list().length, run: runs });

  await condition(
    () =>
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength >= input.maxHistoryEvents ||
      updatesThisRun >= input.maxUpdatesPerRun,
  );
  await condition(() => allHandlersFinished() && outboxesEmpty());
  await continueAsNew<typeof orchestratorWorkflow>({
    ...input,
    carried: { ...registry.snapshot(), completedUpdates: completedUpdates.entries(), runs },
  });
}
