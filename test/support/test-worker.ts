import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { ActivityDependencies } from '../../activities';
import { createKeelWorker } from '../../workers/worker';
import { testEnvironment, uniqueName } from './test-env';

export interface RunningTestWorker {
  client: Client;
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

let runtimeInstalled = false;
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  runtimeInstalled = true;
}

/** A real worker on its own task queue against the run's dev server, plus a client for it. */
export async function startTestWorker(
  deps: ActivityDependencies,
  options: { address?: string } = {},
): Promise<RunningTestWorker> {
  installQuietRuntime();
  const env = testEnvironment();
  const address = options.address ?? env.temporalAddress;
  const taskQueue = uniqueName('test-queue');
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createKeelWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    workflowBundle: { code: readFileSync(env.workflowBundlePath, 'utf8') },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    client,
    taskQueue,
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
