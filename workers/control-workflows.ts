import type { Client } from '@temporalio/client';
import { ensureOrchestrator, type OrchestratorRef } from '../api/orchestrator';
import { ensureRisk } from '../api/risk';
import type { KeelConfig } from '../config/keel-config';
import type { VenuesConfig } from '../config/venues';
import { ensureAccountWorkflows } from './account-workflows';
import { ensurePerformanceSchedule } from './performance-schedule';

/**
 * The long-lived workflows the control plane keeps running, each started once and reused by every later
 * start: the root orchestrator (KEEL_SHARD_COUNT applies only to a new root), the risk engine, each perp
 * account's reconciliation with its venue, and the performance snapshots' schedule.
 */
export async function ensureControlWorkflows(
  client: Client,
  config: Pick<KeelConfig, 'TEMPORAL_TASK_QUEUE' | 'KEEL_PERFORMANCE_SNAPSHOT_MS'>,
  venues: VenuesConfig,
  orchestrator: OrchestratorRef,
): Promise<void> {
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  await ensureOrchestrator(client, taskQueue, orchestrator);
  await ensureRisk(client, taskQueue);
  await ensureAccountWorkflows(client, taskQueue, venues);
  await ensurePerformanceSchedule(client, { taskQueue, everyMs: config.KEEL_PERFORMANCE_SNAPSHOT_MS });
}
