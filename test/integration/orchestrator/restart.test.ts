import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../../temporal/dev-server';
import { findFreePort } from '../../../temporal/port-check';
import { shardSymbolsQuery, statusQuery } from '../../../workflows/orchestrator/messages';
import { symbolStateQuery } from '../../../workflows/symbol/symbol-messages';
import {
  authHeader,
  createSimWorld,
  listExecutions,
  startHarness,
  testOrchestratorRef,
} from '../../support/harness';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { testEnvironment, uniqueName } from '../../support/test-env';
import { waitFor } from '../../support/wait';

const COUNT = Number(process.env.KEEL_TEST_SYMBOL_COUNT ?? 200);
const symbols = Array.from({ length: COUNT }, (_, index) => `R${String(index).padStart(4, '0')}-USDT`);
/** Each symbol gets its own quantity, so "with their configuration" is checkable per child. */
const quantityOf = (index: number) => `1.${String(index).padStart(3, '0')}`;
const configOf = (index: number) => ({
  venues: [{ venue: 'okx', market: 'spot', account: 'keel' }],
  strategies: [
    {
      name: 'quote',
      params: { quantity: quantityOf(index), referencePrice: '100', levels: 1, requoteIntervalMs: 3_600_000 },
    },
  ],
});

async function inBatches<T>(items: T[], size: number, run: (item: T, index: number) => Promise<void>) {
  for (let start = 0; start < items.length; start += size)
    await Promise.all(items.slice(start, start + size).map((item, offset) => run(item, start + offset)));
}

describe(`${COUNT} symbols survive a worker and dev server restart; removing half completes exactly those`, () => {
  const env = testEnvironment();
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('add, restart everything, verify, remove half', { timeout: 900_000 }, async () => {
    const timings: Record<string, number> = {};
    const time = async <T>(name: string, run: () => Promise<T>) => {
      const started = Date.now();
      const result = await run();
      timings[name] = Date.now() - started;
      return result;
    };
    const database: TestDatabase = await createTestDatabase('orch_restart');
    cleanups.push(() => database.drop());
    const sim = createSimWorld(symbols);
    const okx = sim.connectors('okx', 'spot', 'keel');
    const grpcPort = await findFreePort();
    const dbFile = join(env.tmpDir, `${uniqueName('restart')}.db`);
    const startServer = () =>
      startDevServer({
        binary: env.temporalCli,
        grpcPort,
        uiPort: 0,
        headless: true,
        dbFile,
        logFile: join(env.tmpDir, `${uniqueName('restart-server')}.log`),
      });
    let server: DevServer = await startServer();
    cleanups.push(() => server.stop());
    const taskQueue = uniqueName('orch-restart');
    // Small history bounds: shards and the root continue-as-new several times during the test.
    const ref = testOrchestratorRef('rst', {
      shardCount: 8,
      maxHistoryEvents: 200,
      shardMaxHistoryEvents: 120,
    });
    const prefix = ref.input?.idPrefix ?? '';
    const deps = { pool: database.pool, connectors: sim.connectors };

    // The database outlives both stacks; each stack is a worker, a client and the API on `server`.
    const startStack = () =>
      startHarness({ address: server.address, database, taskQueue, worker: { deps }, orchestrator: ref });
    let stack = await startStack();
    let { app } = stack;

    await time('add', () =>
      inBatches(symbols, 20, async (symbol, index) => {
        const response = await app.inject({
          method: 'POST',
          url: '/symbols',
          headers: authHeader,
          payload: { symbol, config: configOf(index) },
        });
        assert.equal(response.statusCode, 201, response.body);
      }),
    );
    await time('allRunning', () =>
      waitFor(
        `${COUNT} symbols quoting`,
        async () => (await okx.openOrders()).length === COUNT * 2,
        300_000,
        1000,
      ),
    );

    // Restart: worker down, server down (graceful), server up on the same db file, worker up.
    await time('restart', async () => {
      await stack.stop();
      await server.stop();
      server = await startServer();
      stack = await startStack();
      ({ app } = stack);
    });
    cleanups.push(() => stack.stop());
    const { client } = stack;

    const symbolRuns = await time('verify', async () => {
      const runs = await waitFor(
        'visibility of every symbol workflow',
        async () => {
          const list = await listExecutions(client, `WorkflowType = 'symbolWorkflow'`);
          return list.filter((run) => run.status === 'RUNNING').length === COUNT ? list : undefined;
        },
        120_000,
        1000,
      );
      // Exactly once: one running chain per symbol, and no other closed runs than continue-as-new.
      const running = runs.filter((run) => run.status === 'RUNNING');
      assert.equal(new Set(running.map((run) => run.workflowId)).size, COUNT);
      assert.deepEqual(
        runs.filter((run) => run.status !== 'RUNNING' && run.status !== 'CONTINUED_AS_NEW'),
        [],
      );
      for (const [index, symbol] of symbols.entries()) {
        const state = await client.workflow.getHandle(`${prefix}symbol:${symbol}`).query(symbolStateQuery);
        assert.equal(state.status, 'running', symbol);
        assert.equal(state.config.strategies[0]?.params.quantity, quantityOf(index), symbol);
        assert.equal(state.strategies[0]?.openOrders.length, 2, symbol);
      }
      const open = await okx.openOrders();
      assert.equal(open.length, COUNT * 2, 'no order was placed twice');
      return runs;
    });

    const status = await client.workflow.getHandle(ref.workflowId).query(statusQuery);
    assert.equal(status.symbolCount, COUNT);
    const shardRuns = (await listExecutions(client, `WorkflowType = 'shardWorkflow'`)).length;
    const rootRuns = (await listExecutions(client, `WorkflowType = 'orchestratorWorkflow'`)).length;

    const removed = symbols.filter((_, index) => index % 2 === 0);
    const kept = symbols.filter((_, index) => index % 2 === 1);
    await time('remove', () =>
      inBatches(removed, 20, async (symbol) => {
        const response = await app.inject({
          method: 'DELETE',
          url: `/symbols/${symbol}`,
          headers: authHeader,
        });
        assert.equal(response.statusCode, 202, response.body);
      }),
    );
    await time('removedComplete', async () => {
      for (const symbol of removed) await client.workflow.getHandle(`${prefix}symbol:${symbol}`).result();
    });
    for (const symbol of removed) assert.deepEqual(await okx.openOrders(symbol), [], symbol);
    for (const symbol of kept) assert.equal((await okx.openOrders(symbol)).length, 2, symbol);
    for (const symbol of kept) {
      const description = await client.workflow.getHandle(`${prefix}symbol:${symbol}`).describe();
      assert.equal(description.status.name, 'RUNNING', symbol);
    }
    await waitFor(
      'shards to drop the removed symbols',
      async () => {
        let held = 0;
        for (let shard = 0; shard < 8; shard += 1)
          held += (await client.workflow.getHandle(`${prefix}shard:${shard}`).query(shardSymbolsQuery))
            .length;
        return held === kept.length;
      },
      60_000,
    );
    console.log(
      `[restart test] ${COUNT} symbols: ${JSON.stringify(timings)} ms; symbol runs ${symbolRuns.length}, ` +
        `shard runs ${shardRuns}, root runs ${rootRuns}`,
    );
  });
});
