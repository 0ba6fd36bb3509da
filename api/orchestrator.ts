import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
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
import { RUN_CLOSING, type OrchestratorInput } from '../workflows/orchestrator/orchestrator-workflow';
import type { SymbolConfigInput } from '../workflows/symbol/symbol-config';
import { symbolStateQuery, type SymbolState } from '../workflows/symbol/symbol-messages';
import { inFlightUpdateLane, queryLane } from './workflow-lanes';

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
    readonly statusCode: 400 | 403 | 404 | 409 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How long an API read waits for Temporal before answering 503. Idle, a read takes 30-150 ms, and under
 * add/remove churn 100-500 ms; a root wedged or without a worker answers late or never (GET /symbols took
 * up to 30 s in bench/api-reads.ts before this bound). 5 s is long enough for any healthy answer and short
 * enough that an operator (or a probe) gets a clear "busy, try again" instead of a hung request.
 */
export const TEMPORAL_READ_TIMEOUT_MS = 5_000;

/** gRPC codes UNAVAILABLE (the server is away) and FAILED_PRECONDITION (the workflow cannot answer now, e.g. its task is failing). */
const NOT_NOW: ReadonlySet<number> = new Set([14, 9]);

/**
 * A call cut off by its deadline: DEADLINE_EXCEEDED when the client's timer fires first, CANCELLED when the
 * server gives up on the deadline it was sent (the API cancels nothing else).
 */
const timedOut = (error: unknown) => isGrpcDeadlineError(error) || isGrpcCancelledError(error);

/** Why Temporal could not answer, when that is Temporal's state rather than our fault; else undefined. */
export function temporalUnavailable(error: unknown, timeoutMs: number): string | undefined {
  if (timedOut(error))
    return `Temporal did not answer within ${timeoutMs / 1000} s (is a worker running? the orchestrator may be busy); try again`;
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (isGrpcServiceError(cause) && NOT_NOW.has(cause.code))
      return `Temporal cannot answer now: ${cause.details}`;
  return undefined;
}

/** Lets deadline errors through (the read as a whole has run out of time); anything else becomes `fallback`. */
const unlessDeadline =
  <T>(fallback: T) =>
  (error: unknown): T => {
    if (timedOut(error)) throw error;
    return fallback;
  };

function refusal(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const message = error.cause?.message ?? error.message;
    if (/already registered/.test(message)) throw new ControlRefused(409, message);
    if (/not registered/.test(message)) throw new ControlRefused(404, message);
    if (message === RUN_CLOSING) throw new ControlRefused(503, message);
    throw new ControlRefused(400, message);
  }
  if (error instanceof WorkflowNotFoundError)
    throw new ControlRefused(503, 'the orchestrator workflow is not running (start a worker)');
  throw error;
}

export function orchestratorControl(
  client: Client,
  ref: OrchestratorRef = defaultOrchestratorRef,
  options: { readTimeoutMs?: number } = {},
) {
  const readTimeoutMs = options.readTimeoutMs ?? TEMPORAL_READ_TIMEOUT_MS;
  const update = async <A>(
    definition: UpdateDefinition<ControlResult, [A]>,
    arg: A,
  ): Promise<ControlResult> => {
    // The same update id on every try: a retry across the root's continue-as-new is answered, not re-applied.
    const updateId = randomUUID();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await inFlightUpdateLane(ref.workflowId, () =>
          client.workflow.getHandle(ref.workflowId).executeUpdate(definition, { args: [arg], updateId }),
        );
      } catch (error) {
        const closing = error instanceof WorkflowUpdateFailedError && error.cause?.message === RUN_CLOSING;
        if (!closing || attempt >= 50) return refusal(error);
        await sleep(100 * Math.min(attempt + 1, 5));
      }
    }
  };
  const query = <R, A extends unknown[]>(workflowId: string, definition: QueryDefinition<R, A>, ...args: A) =>
    queryLane(workflowId, () => client.workflow.getHandle(workflowId).query(definition, ...args));
  const queryRoot = <R, A extends unknown[]>(definition: QueryDefinition<R, A>, ...args: A) =>
    query(ref.workflowId, definition, ...args).catch(refusal);

  return {
    addSymbol: (symbol: string, config: SymbolConfigInput) => update(addSymbolUpdate, { symbol, config }),
    removeSymbol: (symbol: string) => update(removeSymbolUpdate, { symbol }),
    updateSymbol: (symbol: string, config: SymbolConfigInput) =>
      update(updateSymbolUpdate, { symbol, config }),
    pause: (symbol?: string) => update(pauseUpdate, symbol ? { symbol } : {}),
    resume: (symbol?: string) => update(resumeUpdate, symbol ? { symbol } : {}),
    status: (): Promise<OrchestratorStatus> => queryRoot(statusQuery),
    listRegistered: () => queryRoot(listSymbolsQuery),
    registered: (symbol: string) => queryRoot(symbolQuery, symbol),
    /** What each shard holds (status per child), keyed by symbol. */
    async shardEntries(status: OrchestratorStatus): Promise<Map<string, ShardSymbolEntry>> {
      const lists = await Promise.all(
        status.shards.map((shard) =>
          query(shardWorkflowId(status.idPrefix, shard.index), shardSymbolsQuery).catch(
            unlessDeadline<ShardSymbolEntry[]>([]),
          ),
        ),
      );
      return new Map(lists.flat().map((entry) => [entry.symbol, entry]));
    },
    /** The symbol workflow's own state, or undefined when it is not running. */
    symbolState: (workflowId: string): Promise<SymbolState | undefined> =>
      query(workflowId, symbolStateQuery).catch(unlessDeadline(undefined)),
    /**
     * Runs `read` with one deadline on every Temporal call it makes (readTimeoutMs from now); when Temporal
     * does not answer in time, or cannot answer, it fails with a 503 that says so instead of hanging.
     */
    within: <T>(read: () => Promise<T>): Promise<T> =>
      client.withDeadline(Date.now() + readTimeoutMs, read).catch((error: unknown) => {
        const unavailable = temporalUnavailable(error, readTimeoutMs);
        throw unavailable ? new ControlRefused(503, unavailable) : error;
      }),
    readTimeoutMs,
  };
}
export type OrchestratorControl = ReturnType<typeof orchestratorControl>;
