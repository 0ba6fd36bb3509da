import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';

export const workflowsPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'index.ts');

/**
 * Bundles workflows once (Keel's by default; tests and benches pass their own); tests share one bundle
 * across many workers because bundling takes seconds.
 */
export async function bundleWorkflows(path = workflowsPath): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: path, logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export interface KeelWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDependencies;
  workflowBundle?: WorkflowBundle;
  /** Workflows kept in memory between tasks (SDK default: sized from available memory). */
  maxCachedWorkflows?: number;
}

export async function createKeelWorker(options: KeelWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}
