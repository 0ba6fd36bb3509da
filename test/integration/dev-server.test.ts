import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { StartupError } from '../../config/startup-error';
import { startDevServer } from '../../temporal/dev-server';
import { findFreePort } from '../../temporal/port-check';
import { SymbolKey } from '../../temporal/search-attributes';
import { smokeWorkflow } from '../../workflows';
import { startHarness } from '../support/harness';
import { createTestDatabase } from '../support/test-database';
import { testEnvironment, uniqueName } from '../support/test-env';

async function withClient<T>(address: string, use: (client: Client) => Promise<T>): Promise<T> {
  const harness = await startHarness({ address, worker: false });
  try {
    return await use(harness.client);
  } finally {
    await harness.stop();
  }
}

describe('the Temporal dev server Keel starts', () => {
  test('a killed and restarted server still has the completed workflow and the search attributes', async () => {
    const env = testEnvironment();
    const dbFile = join(env.tmpDir, `${uniqueName('restart')}.db`);
    const options = {
      binary: env.temporalCli,
      grpcPort: await findFreePort(),
      uiPort: await findFreePort(),
      dbFile,
      logFile: `${dbFile}.log`,
    };
    const database = await createTestDatabase('restart');
    const workflowId = uniqueName('survivor');
    let server = await startDevServer(options);
    try {
      const worker = await startHarness({ address: server.address, database });
      try {
        await worker.client.workflow.execute(smokeWorkflow, {
          workflowId,
          taskQueue: worker.taskQueue,
          args: [{ symbol: 'BTC-USDT', note: 'before the crash' }],
          typedSearchAttributes: [{ key: SymbolKey, value: 'BTC-USDT' }],
        });
      } finally {
        await worker.stop();
      }
      await server.kill();

      server = await startDevServer(options);
      await withClient(server.address, async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        const description = await handle.describe();
        assert.equal(description.status.name, 'COMPLETED');
        assert.equal(description.typedSearchAttributes.get(SymbolKey), 'BTC-USDT');
        const result = (await handle.result()) as { symbol: string };
        assert.equal(result.symbol, 'BTC-USDT');

        const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
          namespace: 'default',
        });
        assert.deepEqual(
          Object.keys(customAttributes ?? {})
            .filter((name) => ['Symbol', 'Strategy', 'Exchange', 'Shard'].includes(name))
            .sort(),
          ['Exchange', 'Shard', 'Strategy', 'Symbol'],
        );
      });
      const uiAnswer = await fetch(`http://127.0.0.1:${options.uiPort}/`);
      assert.equal(uiAnswer.status, 200);
    } finally {
      await server.stop();
      await database.drop();
    }
  });

  test('a busy gRPC port fails fast with one line naming the port and the setting', async () => {
    const blocker = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        startDevServer({
          binary: testEnvironment().temporalCli,
          grpcPort: port,
          uiPort: await findFreePort(),
          logFile: join(testEnvironment().tmpDir, 'busy.log'),
        }),
        (error: unknown) => {
          assert.ok(error instanceof StartupError);
          assert.match(error.message, new RegExp(`port ${port} \\(Temporal gRPC\\) is already in use`));
          assert.match(error.message, /TEMPORAL_GRPC_PORT/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    } finally {
      blocker.close();
    }
  });
});
