import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/common';
import { DEFAULT_SHARD_COUNT, ORCHESTRATOR_WORKFLOW_ID, shardWorkflowId } from '../domain/ids';
import { orchestratorWorkflow } from '../workflows';
import {
  addSymbolUpdate,
  listSymbolsQuery,
  pauseUpdate,
  removeSymbolUpdate,
  resumeUpdate,
  shardSymbolsQuery,
  statusQuery,
  symbolQuery,
  updateSymbolUpdate,
  type ControlResult,
  type OrchestratorStatus,
  type ShardSymbolEntry,
} from '../workflows/orchestrator/messages';
import type { OrchestratorInput } from '../workflows/orchestrator/orchestrator-workflow';
import type { SymbolConfigInput } from '../workflows/symbol/symbol-config';
import { symbolStateQuery, type SymbolState } from '../workflows/symbol/symbol-messages';
import { inFlightUpdateLimit } from './in-flight-updates';

/** Which orchestrator the API and workers steer: production uses the defaults, tests their own ids. */
export interface OrchestratorRef {
  workflowId: string;
  input?: OrchestratorInput;
}

export const defaultOrchestratorRef: OrchestratorRef = { workflowId: ORCHESTRATOR_WORKFLOW_ID };

/** Starts the root unless it already runs (USE_EXISTING): safe from every worker and API process. */
export async function ensureOrchestrator(client: Client, taskQueue: string, ref: OrchestratorRef) {
  const shardCount = ref.input?.shardCount ?? DEFAULT_SHARD_COUNT;
  return client.workflow.start(orchestratorWorkflow, {
    workflowId: ref.workflowId,
    taskQueue,
    args: [ref.input ?? {}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Keel orchestrator: ${shardCount} shards`,
    staticDetails:
      'Steer with signals or updates addSymbol, removeSymbol, updateSymbol, pause, resume ' +
      '(e.g. temporal workflow signal --workflow-id keel-orchestrator --name addSymbol --input ...).',
  });
}

/** A control call refused by the orchestrator, with the HTTP status it maps to. */
export class ControlRefused extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

function refusal(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const message = error.cause?.message ?? error.message;
    if (/already registered/.test(message)) throw new ControlRefused(409, message);
    if (/not registered/.test(message)) throw new ControlRefused(404, message);
    throw new ControlRefused(400, message);
  }
  if (error instanceof WorkflowNotFoundError)
    throw new ControlRefused(503, 'the orchestrator workflow is not running (start a worker)');
  throw error;
}

export function orchestratorControl(client: Client, ref: OrchestratorRef = defaultOrchestratorRef) {
  const root = () => client.workflow.getHandle(ref.workflowId);
  const limit = inFlightUpdateLimit(ref.workflowId);
  const update = <A>(definition: UpdateDefinition<ControlResult, [A]>, arg: A): Promise<ControlResult> =>
    limit(() => root().executeUpdate(definition, { args: [arg] })).catch(refusal);
  const query = <R>(promise: Promise<R>) => promise.catch(refusal);

  return {
    addSymbol: (symbol: string, config: SymbolConfigInput) => update(addSymbolUpdate, { symbol, config }),
    removeSymbol: (symbol: string) => update(removeSymbolUpdate, { symbol }),
    updateSymbol: (symbol: string, config: SymbolConfigInput) =>
      update(updateSymbolUpdate, { symbol, config }),
    pause: (symbol?: string) => update(pauseUpdate, symbol ? { symbol } : {}),
    resume: (symbol?: string) => update(resumeUpdate, symbol ? { symbol } : {}),
    status: (): Promise<OrchestratorStatus> => query(root().query(statusQuery)),
    listRegistered: () => query(root().query(listSymbolsQuery)),
    registered: (symbol: string) => query(root().query(symbolQuery, symbol)),
    /** What each shard holds (status per child), keyed by symbol. */
    async shardEntries(status: OrchestratorStatus): Promise<Map<string, ShardSymbolEntry>> {
      const lists = await Promise.all(
        status.shards.map((shard) =>
          client.workflow
            .getHandle(shardWorkflowId(status.idPrefix, shard.index))
            .query(shardSymbolsQuery)
            .catch((): ShardSymbolEntry[] => []),
        ),
      );
      return new Map(lists.flat().map((entry) => [entry.symbol, entry]));
    },
    /** The symbol workflow's own state, or undefined when it is not running. */
    symbolState: (workflowId: string): Promise<SymbolState | undefined> =>
      client.workflow
        .getHandle(workflowId)
        .query(symbolStateQuery)
        .catch(() => undefined),
  };
}
export type OrchestratorControl = ReturnType<typeof orchestratorControl>;
