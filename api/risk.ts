import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { liftProof } from '../db/kill-switch';
import { riskWorkflow } from '../workflows';
import {
  engageKillSwitchUpdate,
  liftKillSwitchUpdate,
  riskStatusQuery,
  setRiskLimitsUpdate,
  setTradingStateUpdate,
  type EngageKillSwitchInput,
  type RiskStatus,
  type SetRiskLimitsInput,
  type SetTradingStateInput,
} from '../workflows/risk/risk-messages';
import { RISK_WORKFLOW_ID, type RiskInput } from '../workflows/risk/risk-workflow';
import { ControlRefused } from './orchestrator';

/** Which risk workflow the API and workers use: production `keel-risk`, tests their own. */
export interface RiskRef {
  workflowId: string;
  input?: RiskInput;
}

export const defaultRiskRef: RiskRef = { workflowId: RISK_WORKFLOW_ID };

/** Starts the risk workflow unless it already runs: safe from every worker and API process. */
export async function ensureRisk(client: Client, taskQueue: string, ref: RiskRef = defaultRiskRef) {
  return client.workflow.start(riskWorkflow, {
    workflowId: ref.workflowId,
    taskQueue,
    args: [ref.input ?? {}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Keel risk engine: trading states, limits, kill switch, circuit breakers',
    staticDetails:
      'Signals or updates setTradingState, setRiskLimits, engageKillSwitch; update liftKillSwitch (needs the proof); ' +
      'query status (e.g. temporal workflow signal --workflow-id keel-risk --name engageKillSwitch --input \'{"reason":"..."}\').',
  });
}

function refusal(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    const message = cause?.message ?? error.message;
    const type = cause && 'type' in cause ? cause.type : undefined;
    if (type === 'KillSwitchLiftRefused') throw new ControlRefused(403, message);
    if (type === 'KillSwitchNotEngaged' || /kill switch/.test(message))
      throw new ControlRefused(409, message);
    throw new ControlRefused(400, message);
  }
  if (error instanceof WorkflowNotFoundError)
    throw new ControlRefused(503, 'the risk workflow is not running (start a worker)');
  throw error;
}

/** The risk workflow as the API uses it: updates that answer accepted or why not, and its status. */
export function riskControl(client: Client, ref: RiskRef = defaultRiskRef) {
  const handle = () => client.workflow.getHandle(ref.workflowId);
  const update = <R, A>(definition: UpdateDefinition<R, [A]>, arg: A): Promise<R> =>
    handle()
      .executeUpdate(definition, { args: [arg], updateId: randomUUID() })
      .catch(refusal);
  return {
    setTradingState: (change: SetTradingStateInput) => update(setTradingStateUpdate, change),
    setRiskLimits: (change: SetRiskLimitsInput) => update(setRiskLimitsUpdate, change),
    engageKillSwitch: (engagement: EngageKillSwitchInput) => update(engageKillSwitchUpdate, engagement),
    /** The token never leaves this process: the workflow gets a proof good for this incident only. */
    liftKillSwitch: (lift: { incident: string; token: string; actor?: string; reason: string }) =>
      update(liftKillSwitchUpdate, {
        incident: lift.incident,
        proof: liftProof(lift.token, lift.incident),
        reason: lift.reason,
        ...(lift.actor ? { actor: lift.actor } : {}),
      }),
    status: (): Promise<RiskStatus> => handle().query(riskStatusQuery).catch(refusal),
  };
}
export type RiskControl = ReturnType<typeof riskControl>;
