import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp, type ApiDependencies } from '../../../api/app';
import { statusQuery } from '../../../workflows/orchestrator/messages';
import {
  authHeader,
  createSimWorld,
  readAuthHeader,
  startHarness,
  TEST_API_READ_TOKEN,
  TEST_API_TOKEN,
  testOrchestratorRef,
  type Harness,
} from '../../support/harness';
import type { TestDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait';

/** Sends raw bytes on a fresh connection and collects what comes back until the server closes it. */
async function rawRequest(port: number, bytes: string, giveUpMs: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const started = Date.now();
  socket.write(bytes);
  const closed = await Promise.race([
    once(socket, 'close').then(() => true),
    sleep(giveUpMs).then(() => false),
  ]);
  socket.destroy();
  return { closed, received, elapsedMs: Date.now() - started };
}

describe('the API bounds slow clients and a slow Temporal, and logs with secrets redacted', () => {
  const sim = createSimWorld(['BTC-USDT']);
  const ref = testOrchestratorRef('timeouts', { shardCount: 2 });
  let stack: Harness | undefined;
  let client: Client;
  let database: TestDatabase;
  let deps: ApiDependencies;
  const apps: FastifyInstance[] = [];
  const pools: pg.Pool[] = [];

  const appWith = async (extra: Partial<ApiDependencies>) => {
    const app = await buildApp({ ...deps, ...extra });
    apps.push(app);
    return app;
  };

  before(async () => {
    // No worker yet: the root is started, and the last test runs a worker only until the root has answered.
    const started = await startHarness({ database: 'api_timeouts', worker: false, orchestrator: ref });
    stack = started;
    ({ client, database } = started);
    deps = {
      temporal: client,
      pool: database.pool,
      taskQueue: started.taskQueue,
      orchestrator: ref,
      apiToken: TEST_API_TOKEN,
      readToken: TEST_API_READ_TOKEN,
    };
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const pool of pools) await pool.end().catch(() => undefined);
    await stack?.stop();
  });

  test(
    'a request whose headers or body never complete is answered 408 and closed',
    { timeout: 90_000 },
    async () => {
      const app = await appWith({});
      const { port } = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
      const { requestTimeout } = app.server;
      // Generous: the server checks its connections about once a second, and this machine is shared.
      const giveUpMs = (requestTimeout || 10_000) + 15_000;
      const [partialBody, partialHeaders] = await Promise.all([
        rawRequest(
          Number(port),
          'POST /symbols HTTP/1.1\r\nHost: keel\r\n' +
            `Authorization: Bearer ${TEST_API_TOKEN}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"symbol":"BTC',
          giveUpMs,
        ),
        rawRequest(
          Number(port),
          `GET /symbols HTTP/1.1\r\nHost: keel\r\nAuthorization: Bearer ${TEST_API_READ_TOKEN}\r\n`,
          giveUpMs,
        ),
      ]);
      for (const [name, result] of Object.entries({ partialBody, partialHeaders })) {
        assert.ok(result.closed, `${name}: the connection is still open after ${giveUpMs} ms`);
        assert.match(result.received, /^HTTP\/1\.1 408 Request Timeout/, name);
        console.log(`[api timeouts] ${name}: answered 408 and closed after ${result.elapsedMs} ms`);
      }
      assert.ok(requestTimeout > 0 && requestTimeout <= 30_000, `requestTimeout ${requestTimeout}`);
    },
  );

  test('a failing request is logged with its error; no token ever reaches the log or the answer', async () => {
    const lines: string[] = [];
    const ended = new pg.Pool({ connectionString: database.url });
    await ended.end();
    const app = await appWith({
      pool: ended,
      logLevel: 'info',
      logStream: { write: (line: string) => lines.push(line) },
    });
    const wrongSecret = 'not-the-token-but-still-secret-0123456789';
    const failing = await app.inject({
      method: 'GET',
      url: `/symbols/BTC-USDT/orders?limit=5&token=${wrongSecret}`,
      headers: authHeader,
    });
    const read = await app.inject({ method: 'GET', url: '/symbols/BTC-USDT/fills', headers: readAuthHeader });
    const refused = await app.inject({
      method: 'GET',
      url: '/symbols/BTC-USDT/positions',
      headers: { authorization: `Bearer ${wrongSecret}`, 'x-api-key': wrongSecret },
    });

    const log = lines.join('');
    assert.match(log, /Cannot use a pool after calling end on the pool/, 'the error is in the log');
    const entries = lines.map((line) => JSON.parse(line) as { level: number; err?: { stack?: string } });
    assert.ok(
      entries.some((entry) => entry.level === 50 && entry.err?.stack),
      'logged at error level with its stack',
    );
    for (const secret of [TEST_API_TOKEN, TEST_API_READ_TOKEN, wrongSecret]) {
      assert.equal(log.includes(secret), false, `a token reached the log: ${log}`);
      for (const response of [failing, refused, read]) assert.equal(response.body.includes(secret), false);
    }
    assert.equal(failing.statusCode, 500, failing.body);
    assert.match(failing.json<{ message: string }>().message, /see the API log/);
    assert.equal(read.statusCode, 500, read.body);
    assert.equal(refused.statusCode, 401, refused.body);
  });

  test(
    'a starved PostgreSQL pool makes /status answer 503 within the bound, not hang',
    { timeout: 60_000 },
    async () => {
      const starved = new pg.Pool({ connectionString: database.url, max: 1 });
      pools.push(starved);
      const held = await starved.connect();
      try {
        const app = await appWith({ pool: starved, temporalReadTimeoutMs: 1_000 });
        const response = await app.inject({ method: 'GET', url: '/status', headers: readAuthHeader });
        assert.equal(response.statusCode, 503, response.body);
        const body = response.json<{
          checks: { postgres: { ok: boolean; detail?: string; latencyMs: number } };
        }>();
        const { latencyMs, ...postgres } = body.checks.postgres;
        assert.deepEqual(postgres, { ok: false, detail: 'PostgreSQL did not answer within 1 s' });
        // The check's latency shows how long the answer was waited for.
        assert.ok(latencyMs >= 990 && latencyMs < 5_000, `postgres latency ${latencyMs} ms`);
      } finally {
        held.release();
      }
    },
  );

  test(
    'reads that Temporal does not answer in time get a 503 that says so, never a hang',
    { timeout: 120_000 },
    async () => {
      const app = await appWith({ temporalReadTimeoutMs: 1_000 });
      const root = client.workflow.getHandle(ref.workflowId);
      // No worker has run the root yet: Temporal refuses the query, or does not answer it in time.
      const early = await app.inject({ method: 'GET', url: '/symbols', headers: readAuthHeader });
      console.log(`[api timeouts] GET /symbols before any worker: ${early.body}`);
      assert.equal(early.statusCode, 503, early.body);
      assert.match(early.json<{ message: string }>().message, /^Temporal (did not|cannot) answer/);

      // Run a worker until the root and its shards answer, then stop it: queries now wait for a worker.
      const { worker } = await (stack as Harness).createWorker(
        { deps: { pool: database.pool, connectors: sim.connectors } },
        deps.taskQueue,
      );
      const running = worker.run();
      await waitFor('the root to answer', async () => (await root.query(statusQuery)).shards.length === 2);
      worker.shutdown();
      await running;

      for (const url of ['/symbols', '/symbols/BTC-USDT']) {
        const started = Date.now();
        const response = await app.inject({ method: 'GET', url, headers: readAuthHeader });
        console.log(
          `[api timeouts] GET ${url} without a worker: ${response.statusCode} in ${Date.now() - started} ms`,
        );
        assert.equal(response.statusCode, 503, `GET ${url}: ${response.body}`);
        assert.deepEqual(response.json(), {
          error: 'Service Unavailable',
          message:
            'Temporal did not answer within 1 s (is a worker running? the orchestrator may be busy); try again',
        });
      }
      const status = await app.inject({ method: 'GET', url: '/status', headers: readAuthHeader });
      assert.equal(status.statusCode, 503, status.body);
      const body = status.json<{
        status: string;
        checks: Record<string, { ok: boolean; detail?: string }>;
      }>();
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.temporal?.ok, true);
      assert.equal(body.checks.postgres?.ok, true);
      assert.equal(body.checks.orchestrator?.ok, false);
      assert.match(body.checks.orchestrator?.detail ?? '', /Temporal did not answer within 1 s/);
    },
  );
});
