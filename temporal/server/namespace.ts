import { setTimeout as sleep } from 'node:timers/promises';
import { type Connection } from '@temporalio/client';
import { StartupError } from '../../config/startup-error';
import { ensureSearchAttributes } from '../ensure-search-attributes';
import { temporalApi } from '../proto';
import { keelSearchAttributes } from '../search-attributes';

/** gRPC status codes the namespace calls answer with. */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * Each service keeps namespaces (and, on SQL visibility, the namespace's search-attribute aliases) in a
 * cache refreshed every `system.namespaceCacheRefreshInterval` (2 s by default).
 */
const NAMESPACE_CACHE_REFRESH_MS = 2_000;

function grpcCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}

/** Registers the namespace unless it exists (the server creates none but its own `temporal-system`). */
export async function ensureNamespace(
  connection: Connection,
  namespace: string,
  retentionHours: number,
): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (error) {
    if (grpcCode(error) !== NOT_FOUND) throw error;
  }
  try {
    // fromObject turns the plain number into the Long the typed request wants.
    const request = temporalApi.workflowservice.v1.RegisterNamespaceRequest.fromObject({
      namespace,
      description: 'Keel',
      workflowExecutionRetentionPeriod: { seconds: retentionHours * 3600 },
    });
    await connection.workflowService.registerNamespace(request);
    return true;
  } catch (error) {
    if (grpcCode(error) === ALREADY_EXISTS) return false;
    throw error;
  }
}

/** A visibility query naming every Keel search attribute: it fails until the frontend knows them all. */
function probeQuery(): string {
  return Object.entries(keelSearchAttributes)
    .map(([name, type]) => (type === 'Int' ? `${name} = 0` : `${name} = 'keel-probe'`))
    .join(' OR ');
}

async function waitUntilQueryable(connection: Connection, namespace: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: probeQuery() });
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new StartupError(
    `namespace ${namespace} or Keel's search attributes did not become usable within ${timeoutMs} ms: ` +
      `${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

export interface NamespaceSetup {
  namespaceCreated: boolean;
  searchAttributesAdded: string[];
}

/**
 * The namespace and Keel's search attributes (through `ensureSearchAttributes`), then waits until the
 * frontend accepts a query on all of them and, when anything was new (unless `settle` is false: a server
 * about to restart starts with fresh caches anyway), two cache refreshes for the history and matching
 * services.
 */
export async function prepareNamespace(
  connection: Connection,
  namespace: string,
  retentionHours: number,
  options: { timeoutMs?: number; settle?: boolean } = {},
): Promise<NamespaceSetup> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const namespaceCreated = await ensureNamespace(connection, namespace, retentionHours);
  // The frontend answers NamespaceNotFound until its cache has the new namespace.
  const deadline = Date.now() + timeoutMs;
  let searchAttributesAdded: string[] | undefined;
  while (!searchAttributesAdded) {
    try {
      searchAttributesAdded = await ensureSearchAttributes(connection, namespace);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
  await waitUntilQueryable(connection, namespace, Math.max(1000, deadline - Date.now()));
  const changed = namespaceCreated || searchAttributesAdded.length > 0;
  if (changed && (options.settle ?? true)) await sleep(2 * NAMESPACE_CACHE_REFRESH_MS);
  return { namespaceCreated, searchAttributesAdded };
}
