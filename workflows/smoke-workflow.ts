import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type { createActivities } from '../activities';

const { recordSmokeRun } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5, initialInterval: '200 milliseconds' },
});

export const SmokeInputSchema = z.object({
  symbol: z.string().min(1).max(64),
  note: z.string().max(500).default(''),
});
export type SmokeInput = z.input<typeof SmokeInputSchema>;

export interface SmokeResult {
  rowId: string;
  symbol: string;
}

/** Proves one path through every real part: this workflow, a worker, an activity and Postgres. */
export async function smokeWorkflow(rawInput: SmokeInput): Promise<SmokeResult> {
  const input = SmokeInputSchema.parse(rawInput);
  const { workflowId, runId } = workflowInfo();
  const rowId = await recordSmokeRun({ workflowId, runId, symbol: input.symbol, note: input.note });
  return { rowId, symbol: input.symbol };
}
