import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common';
import type { PairDiscoveryInput, pairDiscoveryWorkflow } from '../workflows/scanner/discovery-workflow';

/**
 * Pair discovery on a Temporal Schedule (docs/scanner.md): the discovery workflow every 6 hours by
 * default, a run skipped while the previous one is still going, and an on-demand run beside it.
 */

export const DISCOVERY_SCHEDULE_ID = 'scanner-pair-discovery';
/** The on-demand run's workflow id: a second one is refused while the first runs. */
export const DISCOVERY_NOW_WORKFLOW_ID = 'scanner-pair-discovery-now';
export const DEFAULT_DISCOVERY_EVERY = '6h';

export interface DiscoveryScheduleOptions {
  taskQueue: string;
  /** How often discovery runs (ms or an `ms`-style string such as '6h'); default 6 h. */
  every?: Duration;
  /** The workflow's input: discovery settings and the connector account (validated by the workflow). */
  settings?: PairDiscoveryInput;
  /** Default `scanner-pair-discovery`; tests pass their own. */
  scheduleId?: string;
}

type DiscoveryAction = ScheduleOptionsStartWorkflowAction<typeof pairDiscoveryWorkflow>;

function scheduleParts(options: DiscoveryScheduleOptions) {
  const scheduleId = options.scheduleId ?? DISCOVERY_SCHEDULE_ID;
  const action: DiscoveryAction = {
    type: 'startWorkflow',
    workflowType: 'pairDiscoveryWorkflow',
    // The schedule appends the start time, so every scheduled run has an id of its own.
    workflowId: scheduleId,
    taskQueue: options.taskQueue,
    args: [options.settings ?? {}],
  };
  return {
    scheduleId,
    action,
    spec: { intervals: [{ every: msToNumber(options.every ?? DEFAULT_DISCOVERY_EVERY) }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  };
}

/**
 * Creates the discovery schedule, or brings an existing one in line with `options` (interval, settings,
 * task queue, overlap policy), so calling it at every start leaves exactly one schedule. Its pause state
 * is kept: an operator's pause survives a restart.
 */
export async function ensureDiscoverySchedule(
  client: Client,
  options: DiscoveryScheduleOptions,
): Promise<{ handle: ScheduleHandle; created: boolean }> {
  const { scheduleId, action, spec, policies } = scheduleParts(options);
  try {
    const handle = await client.schedule.create({ scheduleId, spec, action, policies });
    return { handle, created: true };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(scheduleId);
  await handle.update<typeof pairDiscoveryWorkflow>((previous) => ({
    spec,
    action,
    policies,
    state: { paused: previous.state.paused, note: previous.state.note ?? '' },
  }));
  return { handle, created: false };
}

/** A discovery run is already going under the on-demand id: wait for it instead of starting another. */
export class DiscoveryAlreadyRunningError extends Error {
  override readonly name = 'DiscoveryAlreadyRunningError';
  constructor(readonly workflowId: string) {
    super(`pair discovery is already running (workflow ${workflowId})`);
  }
}

/**
 * Starts a discovery run now, beside the schedule, under one fixed workflow id: a second call while it
 * runs is refused (`DiscoveryAlreadyRunningError`); once it has finished the id can be used again. A run
 * of the schedule going at the same time is harmless: snapshots are versioned in one transaction and the
 * later save diffs against the earlier one.
 */
export async function runDiscoveryNow(
  client: Client,
  options: Pick<DiscoveryScheduleOptions, 'taskQueue' | 'settings'> & { workflowId?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof pairDiscoveryWorkflow>> {
  const workflowId = options.workflowId ?? DISCOVERY_NOW_WORKFLOW_ID;
  try {
    return await client.workflow.start<typeof pairDiscoveryWorkflow>('pairDiscoveryWorkflow', {
      taskQueue: options.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      args: [options.settings ?? {}],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      throw new DiscoveryAlreadyRunningError(workflowId);
    throw error;
  }
}

/** Runs the schedule's action now (skipped, as a scheduled run would be, while a run of it is going). */
export async function triggerDiscoverySchedule(client: Client, scheduleId = DISCOVERY_SCHEDULE_ID) {
  await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}
