import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import { openDatabase } from '../db/database';
import { obtainBinary, temporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { findFreePort } from '../temporal/port-check';
import { createSimWorld } from '../test/support/orchestrator-harness';
import { bundleWorkflows, createKeelWorker } from '../workers/worker';

/**
 * From a fill on the simulator to the replacement order acknowledged by it:
 *  - Keel: the grid strategy's durable path (watch activity → workflow → exactly-once placement with its
 *    ledger writes in PostgreSQL → venue), on a file-backed dev server;
 *  - baseline: the same detection (polling open orders every pollMs) and a bare connector call, no
 *    Temporal, no PostgreSQL.
 * Both detect fills the same way, so the difference is what durability costs.
 *   node --import tsx bench/grid-latency.ts [--rounds 30] [--poll 50]
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    poll: { type: 'string', default: '50' },
    /** Dev-server dynamic config as JSON, to compare server settings in separate runs. */
    'dynamic-config': { type: 'string', default: '{}' },
  },
});
const rounds = Number(values.rounds);
const pollMs = Number(values.poll);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Polls until `condition` holds; returns when it did (1 ms resolution). */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
  return performance.now();
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-grid-'));
  chmodSync(dir, 0o755);
  const server = await startDevServer({
    binary: await obtainBinary(temporalCli),
    grpcPort: await findFreePort(),
    uiPort: 0,
    headless: true,
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
    dynamicConfig: JSON.parse(values['dynamic-config']) as Record<string, unknown>,
  });
  const database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: dir,
    embeddedPort: await findFreePort(),
  });
  const symbols = ['LAT-USDT', 'RAW-USDT'];
  const sim = createSimWorld(symbols);
  const market = sim.exchange.market('binance', 'spot');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'LAT', '1000');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'RAW', '1000');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '1000000');
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createKeelWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: 'bench-grid',
    deps: { pool: database.pool, connectors: sim.connectors, settleWindowMs: () => 0 },
    workflowBundle: await bundleWorkflows(),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const keel = (symbol: string) => market.openOrders('keel', symbol);
  const take = (symbol: string, side: 'buy' | 'sell', price: string) =>
    market.placeOrder({
      account: 'taker',
      symbol,
      side,
      type: 'limit',
      price,
      quantity: '1',
      timeInForce: 'IOC',
    });
  const hasOrder = (symbol: string, side: 'buy' | 'sell', price: string) =>
    keel(symbol).some((order) => order.side === side && Number(order.price) === Number(price));

  try {
    // Keel: a long grid 90..110 (5 levels) around 101 rests buys at 95 and 90.
    const ref = { workflowId: 'bench-grid-orchestrator', input: { shardCount: 1, idPrefix: 'bench-' } };
    await ensureOrchestrator(client, 'bench-grid', ref);
    await orchestratorControl(client, ref).addSymbol('LAT-USDT', {
      venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
      strategies: [
        {
          name: 'grid',
          params: {
            mode: 'long',
            lowerPrice: '90',
            upperPrice: '110',
            levels: 5,
            orderSize: { unit: 'base', amount: '1' },
            maxInventory: '10',
            referencePrice: '101',
            pollMs,
            watchMs: 60_000,
          },
        },
      ],
    });
    await until(() => hasOrder('LAT-USDT', 'buy', '95') && hasOrder('LAT-USDT', 'buy', '90'), 60_000);
    const durable: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      let t0 = performance.now();
      take('LAT-USDT', 'sell', '95'); // fill → sell at 100
      durable.push((await until(() => hasOrder('LAT-USDT', 'sell', '100'))) - t0);
      t0 = performance.now();
      take('LAT-USDT', 'buy', '100'); // fill → buy at 95 again
      durable.push((await until(() => hasOrder('LAT-USDT', 'buy', '95'))) - t0);
    }

    // Baseline: a loop that polls open orders every pollMs (as the watch does, out of phase with the
    // fills) and replaces a vanished order with a bare connector call.
    const raw = sim.connectors('binance', 'spot', 'keel');
    let next = 0;
    const place = (side: 'buy' | 'sell', price: string) =>
      raw.createOrder({
        symbol: 'RAW-USDT',
        clientOrderId: `RAW${next++}`,
        side,
        type: 'limit',
        price,
        quantity: '1',
      });
    let resting = await place('buy', '95');
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const open = await raw.openOrders('RAW-USDT');
        if (!open.some((order) => order.clientOrderId === resting.clientOrderId)) {
          resting = resting.side === 'buy' ? await place('sell', '100') : await place('buy', '95');
        }
        await sleep(pollMs);
      }
    })();
    const baseline: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      let t0 = performance.now();
      take('RAW-USDT', 'sell', '95');
      baseline.push((await until(() => hasOrder('RAW-USDT', 'sell', '100'))) - t0);
      t0 = performance.now();
      take('RAW-USDT', 'buy', '100');
      baseline.push((await until(() => hasOrder('RAW-USDT', 'buy', '95'))) - t0);
    }
    polling = false;
    await poller;

    const row = (name: string, samples: number[]) =>
      `  ${name.padEnd(44)} p50 ${percentile(samples, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(samples, 99).toFixed(1).padStart(6)} ms`;
    console.log(
      `fill → replacement acknowledged, ${durable.length} fills each, venue polled every ${pollMs} ms`,
    );
    console.log(row('Keel (watch → workflow → ledger → venue)', durable));
    console.log(row('baseline (poll → connector call)', baseline));
    console.log(
      `  overhead Keel adds: p50 ${(percentile(durable, 50) - percentile(baseline, 50)).toFixed(1)} ms, ` +
        `p99 ${(percentile(durable, 99) - percentile(baseline, 99)).toFixed(1)} ms ` +
        `(targets: p50 < 15 ms, p99 < 50 ms)`,
    );
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await database.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
