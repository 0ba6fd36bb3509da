import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../api/app';
import { SIMULATED_VENUES } from '../../../config/venues';
import { venueTaskQueue } from '../../../domain/venue-task-queue';
import {
  readAuthHeader,
  startHarness,
  TEST_API_READ_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { uniqueName } from '../../support/test-env';

/**
 * `/status` per component, as seed 002's health manager aggregates them: each check's latency, every task
 * queue Keel's workers must poll with its pollers, each venue's recent call latency and errors.
 */
interface Check {
  ok: boolean;
  detail?: string;
  latencyMs?: number;
}
interface Status {
  status: string;
  checks: Record<string, Check> & {
    workers: Check & {
      ok: boolean;
      detail: string;
      taskQueues: Array<{
        name: string;
        type: string;
        pollers: number;
        identities: string[];
        lastPollAgoMs: number | null;
      }>;
    };
    venues: Check & {
      calls: Array<{
        venue: string;
        calls: number;
        errors: number;
        p50Ms: number;
        p99Ms: number;
        lastOk: boolean;
      }>;
    };
  };
}

describe('/status: each component with its state and latency', () => {
  const ref = testOrchestratorRef('status-components', { shardCount: 1 });
  let harness: Harness;
  let app: FastifyInstance;
  let database: TestDatabase;

  before(async () => {
    const started = await startHarness({ database: 'status_components', orchestrator: ref });
    harness = started;
    ({ app, database } = started);
  });
  after(() => harness.stop());

  test('every check timed; both kinds of task on the worker’s queue polled; venue calls summarized', async () => {
    await database.pool.query(
      `INSERT INTO venue_calls (venue, op, at, ms, ok) VALUES
         ('binance', 'createOrder', now() - interval '4 s', 10, true),
         ('binance', 'createOrder', now() - interval '3 s', 20, true),
         ('binance', 'cancelOrder', now() - interval '2 s', 30, true),
         ('binance', 'openOrders', now() - interval '1 s', 40, false),
         ('bybit', 'openOrders', now() - interval '10 min', 99, true)`,
    );
    const response = await app.inject({ url: '/status', headers: readAuthHeader });
    const body = response.json<Status>();
    assert.equal(response.statusCode, 200, response.body);
    for (const [name, check] of Object.entries(body.checks))
      assert.ok(typeof check.latencyMs === 'number' && check.latencyMs >= 0, `${name} has its latency`);

    const queues = body.checks.workers.taskQueues;
    assert.deepEqual(
      queues.map((queue) => `${queue.name} ${queue.type}`),
      [
        `${harness.taskQueue} workflow`,
        `${harness.taskQueue} activity`,
        // Each venue's order queue: orders to a venue nobody polls for would wait unseen.
        ...SIMULATED_VENUES.map((venue) => `${venueTaskQueue(harness.taskQueue, venue)} activity`),
      ],
    );
    for (const queue of queues) {
      assert.ok(queue.pollers >= 1, `${queue.type} pollers`);
      assert.ok(queue.identities.length >= 1);
      assert.ok(queue.lastPollAgoMs !== null && queue.lastPollAgoMs < 120_000);
    }

    // The last 5 minutes only: bybit's call is older. p50 of 10, 20, 30, 40 is 25; the latest failed.
    assert.deepEqual(
      body.checks.venues.calls.map(({ venue, calls, errors, p50Ms, lastOk }) => ({
        venue,
        calls,
        errors,
        p50Ms,
        lastOk,
      })),
      [{ venue: 'binance', calls: 4, errors: 1, p50Ms: 25, lastOk: false }],
    );
  });

  test('a task queue no worker polls fails the check and names the queue', async () => {
    const idleQueue = uniqueName('nobody-polls');
    const idleActivities = uniqueName('nobody-polls-activities');
    const api = await buildApp({
      temporal: harness.client,
      pool: database.pool,
      taskQueue: idleQueue,
      orchestrator: ref,
      readToken: TEST_API_READ_TOKEN,
      activityTaskQueues: [idleActivities],
    });
    try {
      const response = await api.inject({ url: '/status', headers: readAuthHeader });
      assert.equal(response.statusCode, 503);
      const workers = response.json<Status>().checks.workers;
      assert.equal(workers.ok, false);
      assert.equal(
        workers.detail,
        `no worker polls ${[
          `${idleQueue} for workflow tasks`,
          `${idleQueue} for activity tasks`,
          ...SIMULATED_VENUES.map((venue) => `${venueTaskQueue(idleQueue, venue)} for activity tasks`),
          `${idleActivities} for activity tasks`,
        ].join(', ')}`,
      );
      assert.deepEqual(
        workers.taskQueues.map((queue) => [queue.type, queue.pollers, queue.lastPollAgoMs]),
        [
          ['workflow', 0, null],
          ['activity', 0, null],
          ...SIMULATED_VENUES.map(() => ['activity', 0, null]),
          ['activity', 0, null],
        ],
      );
    } finally {
      await api.close();
    }
  });
});
