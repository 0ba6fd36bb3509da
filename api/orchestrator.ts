import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/common';
import { z } from 'zod';
import { StartupError } from '../config/startup-error';
import { ORCHESTRATOR_WORKFLOW_ID, shardWorkflowId } from '../domain/ids';
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
  symbolStateQuery,
  updateSymbolUpdate,
  type ControlResult,
  type OrchestratorStatus,
  type ShardSymbolEntry,
  type SymbolState,
} from '../workflows/orchestrator/messages';
import type { OrchestratorInput } from '../workflows/orchestrator/orchestrator-workflow';
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT } from '../workflows/orchestrator/shard-routing';
import type { SymbolConfigInput } from '../workflows/orchestrator/symbol-config';

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

/**
 * The server admits only a few in-flight updates per workflow (history.maxInFlightUpdates, 10 by default)
 * and answers more with RESOURCE_EXHAUSTED: each process keeps its own calls to one root below that.
 */
const MAX_IN_FLIGHT_UPDATES = 8;
const limiters = new Map<string, <T>(run: () => Promise<T>) => Promise<T>>();
function limiterFor(workflowId: string) {
  let limiter = limiters.get(workflowId);
  if (!limiter) {
    let active = 0;
    const waiting: Array<() => void> = [];
    limiter = async <T>(run: () => Promise<T>): Promise<T> => {
      // A finishing call hands its slot straight to the next waiter, so at most MAX run at once.
      if (active >= MAX_IN_FLIGHT_UPDATES) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      try {
        return await run();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active -= 1;
      }
    };
    limiters.set(workflowId, limiter);
  }
  return limiter;
}

export function orchestratorControl(client: Client, ref: OrchestratorRef = defaultOrchestratorRef) {
  const root = () => client.workflow.getHandle(ref.workflowId);
  const limit = limiterFor(ref.workflowId);
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

const OrchestratorEnvSchema = z.object({
  KEEL_SHARD_COUNT: z.coerce.number().int().min(1).max(MAX_SHARD_COUNT).default(DEFAULT_SHARD_COUNT),
});

/**
 * The production root, with its shard count from KEEL_SHARD_COUNT (default 8; fixed for the root's life:
 * a running root keeps the count it started with).
 */
export function orchestratorRefFromEnv(env: NodeJS.ProcessEnv = process.env): OrchestratorRef {
  const parsed = OrchestratorEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new StartupError(`bad configuration: KEEL_SHARD_COUNT: ${parsed.error.issues[0]?.message}`);
  return { workflowId: ORCHESTRATOR_WORKFLOW_ID, input: { shardCount: parsed.data.KEEL_SHARD_COUNT } };
}
