import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, bundleWorkflowCode, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities';

const workflowsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'workflows');
export const workflowsPath = join(workflowsDir, 'index.ts');

/**
 * Keel's data converter: the default encoding, but a payload that cannot be decoded reaches the workflow as
 * an `UndecodablePayload` marker (workflows/undecodable-payload.ts) its handlers drop, instead of failing
 * the workflow task (docs/temporal.md). Workers load it, and every workflow bundle must contain it.
 */
export const keelDataConverter = { payloadConverterPath: join(workflowsDir, 'payload-converter.ts') };

/** A client's options for the payload codec (encryption), where one is configured. */
export const clientCodecOptions = (codec: PayloadCodec | undefined) =>
  codec ? { dataConverter: { payloadCodecs: [codec] } } : {};

/** A worker's data converter: Keel's, and the payload codec (encryption) where one is configured. */
export const workerDataConverter = (codec: PayloadCodec | undefined) => ({
  ...keelDataConverter,
  payloadCodecs: codec ? [codec] : [],
});

/**
 * Bundles workflows once (Keel's by default; tests and benches pass their own), always with Keel's payload
 * converter; tests share one bundle across many workers because bundling takes seconds.
 */
export async function bundleWorkflows(path = workflowsPath): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: path, ...keelDataConverter, logger: quietBundlerLogger });
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
  /** Encrypts what the worker sends the server and decrypts what it reads (KEEL_CODEC_KEYS). */
  payloadCodec?: PayloadCodec;
  /** How the worker names itself to Temporal (the SDK's pid@host by default). */
  identity?: string;
  /** How long a stopping worker lets its activities finish before cancelling them (the SDK's 0 by default). */
  shutdownGraceTime?: string;
}

export async function createKeelWorker(options: KeelWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    dataConverter: workerDataConverter(options.payloadCodec),
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
    ...(options.identity && { identity: options.identity }),
    ...(options.shutdownGraceTime && { shutdownGraceTime: options.shutdownGraceTime }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
  });
}
