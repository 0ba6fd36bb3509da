import { proxyActivities } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(value: number): Promise<number> }>({
  startToCloseTimeout: '10 seconds',
});

/** The unit of work of the dev-server benchmark: one workflow task, one activity, completion. */
export async function echoWorkflow(value: number): Promise<number> {
  return echo(value);
}
