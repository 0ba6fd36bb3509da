import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import {
  describeVenues,
  unconfiguredVenueAccount,
  type VenuesConfig,
  type VenueSetup,
} from '../config/venues';
import { accountHealth, orderStreams, type AccountHealth, type OrderStreamRow } from '../db/venue-accounts';
import { venueTaskQueue } from '../domain/venue-task-queue';
import type { VenueRef } from '../domain/venues';
import { temporalApi } from '../temporal/proto';

/** How long an order stream may be down before /status fails on it: a reconnect takes less. */
export const ORDER_STREAM_DOWN_MS = 60_000;

/** The workers polling `taskQueue` for activities now (where order streams run), by Temporal identity. */
export async function pollingWorkers(temporal: Client, taskQueue: string): Promise<string[]> {
  const response = await temporal.workflowService.describeTaskQueue({
    namespace: temporal.options.namespace,
    taskQueue: { name: taskQueue, kind: temporalApi.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporalApi.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (response.pollers ?? []).flatMap((poller) => (poller.identity ? [poller.identity] : []));
}

/** Order streams of live workers down for longer than a reconnect takes: their watches poll meanwhile. */
export function downTooLong(streams: readonly OrderStreamRow[], now = Date.now()): OrderStreamRow[] {
  return streams.filter((row) => !row.live && now - row.changed_at.getTime() > ORDER_STREAM_DOWN_MS);
}

/** A venue's order-path activity queue as an operator sees it: its name, rate limit and who polls it. */
export async function venueQueueView(temporal: Client, workflowQueue: string, setup: VenueSetup) {
  const name = venueTaskQueue(workflowQueue, setup.venue);
  return { name, rateLimit: setup.rateLimit, pollers: await pollingWorkers(temporal, name) };
}

/**
 * What an operator sees of one venue: its configuration (no credential values), its order queue, each
 * account's health, and its private order streams in the workers polling now (`workers`).
 */
export async function venuesView(
  config: VenuesConfig,
  pool: Pool,
  workers: readonly string[],
  queues: ReadonlyArray<Awaited<ReturnType<typeof venueQueueView>>>,
) {
  const health = await accountHealth(pool);
  const streams = await orderStreams(pool, workers);
  const healthOf = (venue: string, account: string) =>
    health.find((row) => row.venue === venue && row.account === account);
  return describeVenues(config).map((venue, index) => ({
    ...venue,
    taskQueue: queues[index]!,
    accounts: venue.accounts.map((account) => {
      const row = healthOf(venue.venue, account.name);
      return {
        ...account,
        health: row?.state ?? 'unchecked',
        detail: row?.detail ?? 'no worker has checked it yet',
        checkedAt: row?.checked_at.toISOString() ?? null,
        rateLimit: row?.rate_limit ?? '',
        orderStreams: streams
          .filter((stream) => stream.venue === venue.venue && stream.account === account.name)
          .map((stream) => ({
            market: stream.market,
            worker: stream.worker,
            state: stream.live ? ('live' as const) : ('down' as const),
            detail: stream.detail,
            since: stream.changed_at.toISOString(),
          })),
      };
    }),
  }));
}

/** Of the accounts' last checks (`accountHealth`), every configured account's that was not `ok` (/status). */
export function unhealthyAccounts(config: VenuesConfig, health: readonly AccountHealth[]): AccountHealth[] {
  const configured = new Set(
    config.venues.flatMap((setup) => setup.accounts.map((account) => `${setup.venue}/${account.name}`)),
  );
  return health.filter((row) => configured.has(`${row.venue}/${row.account}`) && row.state !== 'ok');
}

/**
 * Why a symbol may not trade on these venue accounts, or undefined: a venue or market that is not
 * configured, an account the configuration does not list, or one whose credentials the venue refused.
 */
export async function venueRefusal(
  config: VenuesConfig,
  pool: Pool,
  refs: readonly VenueRef[],
): Promise<{ statusCode: 400 | 409; message: string } | undefined> {
  const health = await accountHealth(pool);
  for (const ref of refs) {
    const unconfigured = unconfiguredVenueAccount(config, ref);
    if (unconfigured) return { statusCode: 400, message: unconfigured.message };
    const row = health.find((entry) => entry.venue === ref.venue && entry.account === ref.account);
    if (row?.state === 'bad-credentials')
      return {
        statusCode: 409,
        message: `account ${ref.account} on ${ref.venue} has bad credentials (checked ${row.checked_at.toISOString()}: ${row.detail}); fix them and restart the worker`,
      };
  }
  return undefined;
}
