import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { obtainBinary, temporalCli } from '../temporal/cli-binary';
import { startDevServer } from '../temporal/dev-server';
import { findFreePort } from '../temporal/port-check';
import { installRuntime } from '../workers/runtime';
import { bundleWorkflows } from '../workers/worker';

/**
 * Dev-server throughput by SQLite store settings: the same workload (N workflows, each one activity,
 * C in flight) against an in-memory store, a file store with SQLite's defaults, and file stores with
 * candidate pragmas. Prints workflows/s, latency, and the ratio to the in-memory baseline.
 *   npm run bench:dev-server -- [workflows=400] [concurrency=40]
 */
const total = Number(process.argv[2] ?? 400);
const concurrency = Number(process.argv[3] ?? 40);

const variants: Array<{ name: string; file: boolean; pragmas?: Record<string, string> }> = [
  { name: 'in-memory (baseline)', file: false },
  { name: 'file, SQLite defaults (rollback journal, synchronous=FULL)', file: true, pragmas: {} },
  {
    name: 'file, journal_mode=wal synchronous=full',
    file: true,
    pragmas: { journal_mode: 'wal', synchronous: 'full' },
  },
  {
    name: 'file, journal_mode=wal synchronous=normal (Keel default)',
    file: true,
    pragmas: { journal_mode: 'wal', synchronous: 'normal' },
  },
  {
    name: 'file, journal_mode=wal synchronous=off',
    file: true,
    pragmas: { journal_mode: 'wal', synchronous: 'off' },
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(binary: string, bundleCode: string, variant: (typeof variants)[number]) {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-sqlite-'));
  const server = await startDevServer({
    binary,
    grpcPort: await findFreePort(),
    uiPort: 0,
    headless: true,
    logFile: join(dir, 'server.log'),
    ...(variant.file ? { dbFile: join(dir, 'dev.db'), sqlitePragmas: variant.pragmas ?? {} } : {}),
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'bench-sqlite';
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { code: bundleCode },
    activities: { echo: async (value: number) => value },
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 100,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const runOne = async (index: number) => {
      const started = performance.now();
      await client.workflow.execute('echoWorkflow', {
        taskQueue,
        workflowId: `echo-${index}`,
        args: [index],
      });
      return performance.now() - started;
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => runOne(-1 - i))); // warm-up
    const latencies: number[] = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) latencies.push(await runOne(next++));
      }),
    );
    const seconds = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

installRuntime('WARN');
const binary = await obtainBinary(temporalCli);
const { code } = await bundleWorkflows(join(import.meta.dirname, 'workflows', 'echo-workflow.ts'));
console.log(`dev server SQLite settings: ${total} workflows (1 activity each), ${concurrency} in flight\n`);
let baseline = 0;
for (const variant of variants) {
  const result = await measure(binary, code, variant);
  baseline ||= result.perSecond;
  console.log(
    `${variant.name.padEnd(60)} ${result.perSecond.toFixed(1).padStart(7)} wf/s  ` +
      `x${(result.perSecond / baseline).toFixed(2)} of in-memory  p50 ${result.p50.toFixed(0)} ms  p99 ${result.p99.toFixed(0)} ms`,
  );
}
