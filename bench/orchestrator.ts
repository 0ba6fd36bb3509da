/**
 * Orchestrator benchmark: registers N symbols (default 1,000) through the root's addSymbol update on a
 * fresh dev server (SQLite file, as `npm start` runs it) with one in-process worker, and reports time
 * taken, the process's RSS (worker + client + simulator in one process), events per shard run, and the
 * addSymbol → child-started latency (p50/p99; target p99 < 1 s).
 *
 *   node --import tsx bench/orchestrator.ts [--symbols 1000] [--shards 8] [--strategy quote|idle] [--concurrency 8] [--probes 50] [--cache N]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld } from '../workers/sim-world';

const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '1000' },
    shards: { type: 'string', default: '8' },
    strategy: { type: 'string', default: 'quote' },
    concurrency: { type: 'string', default: '8' },
    probes: { type: 'string', default: '50' },
    cache: { type: 'string' },
  },
});
const count = Number(values.symbols);
const shardCount = Number(values.shards);
const concurrency = Number(values.concurrency);
const probeCount = Number(values.probes);
const symbols = Array.from({ length: count }, (_, index) => `B${String(index).padStart(5, '0')}-USDT`);
/** Added one at a time after the bulk, on a loaded orchestrator: the unqueued addSymbol → child latency. */
const probes = Array.from({ length: probeCount }, (_, index) => `P${String(index).padStart(5, '0')}-USDT`);
const config =
  values.strategy === 'idle'
    ? { venues: [{ venue: 'binance' as const }], strategies: [{ name: 'idle' }] }
    : {
        venues: [{ venue: 'binance' as const }],
        strategies: [
          {
            name: 'quote',
            params: { quantity: '1', referencePrice: '100', levels: 1, requoteIntervalMs: 3_600_000 },
          },
        ],
      };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main() {
  installRuntime('ERROR');
  const sim = createSimWorld([...symbols, ...probes]);
  // Quotes go through the exactly-once ledger: PostgreSQL from DATABASE_URL, else an embedded one.
  const stack = await startLocalStack({
    name: 'bench-orch',
    taskQueue: 'bench',
    connectors: sim.connectors,
    ...(values.cache ? { maxCachedWorkflows: Number(values.cache) } : {}),
  });
  const { client } = stack;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  try {
    const ref = { workflowId: 'keel-orchestrator', input: { shardCount } };
    await ensureOrchestrator(client, 'bench', ref);
    const control = orchestratorControl(client, ref);
    await control.status(); // the root has started its shards
    const sentAt = new Map<string, number>();
    const started = Date.now();
    for (let index = 0; index < symbols.length; index += concurrency) {
      await Promise.all(
        symbols.slice(index, index + concurrency).map(async (symbol) => {
          sentAt.set(symbol, Date.now());
          await control.addSymbol(symbol, config);
        }),
      );
    }
    const accepted = Date.now();
    const childStart = new Map<string, number>();
    while (childStart.size < count) {
      for await (const execution of client.workflow.list({ query: `WorkflowType = 'symbolWorkflow'` })) {
        const symbol = execution.workflowId.replace(/^symbol:/, '');
        if (!childStart.has(symbol)) childStart.set(symbol, execution.startTime.getTime());
      }
      if (childStart.size < count) await sleep(500);
      if (Date.now() - started > 600_000)
        throw new Error(`only ${childStart.size} of ${count} children started`);
    }
    const allRunning = Math.max(...childStart.values());
    if (values.strategy !== 'idle') {
      const binance = sim.connectors('binance', 'spot', 'keel');
      while ((await binance.openOrders()).length < count * 2) await sleep(500);
    }
    const quoting = Date.now();
    // Probe phase: one add at a time, 200 ms apart, each timed until its child has started.
    const probeLatencies: number[] = [];
    for (const symbol of probes) {
      const sent = Date.now();
      const result = await control.addSymbol(symbol, config);
      for (;;) {
        const description = await client.workflow
          .getHandle(result.workflowId ?? `symbol:${symbol}`)
          .describe()
          .catch(() => undefined);
        if (description) {
          probeLatencies.push(description.startTime.getTime() - sent);
          break;
        }
        await sleep(20);
      }
      await sleep(200);
    }
    probeLatencies.sort((a, b) => a - b);
    const latencies = symbols
      .map((symbol) => (childStart.get(symbol) ?? NaN) - (sentAt.get(symbol) ?? NaN))
      .sort((a, b) => a - b);
    const shardRuns: Record<string, Array<{ run: string; events: number; status: string }>> = {};
    for await (const execution of client.workflow.list({ query: `WorkflowType = 'shardWorkflow'` })) {
      const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
      (shardRuns[execution.workflowId] ??= []).push({
        run: execution.runId.slice(-8),
        events: description.historyLength,
        status: execution.status.name,
      });
    }
    const root = await client.workflow.getHandle('keel-orchestrator').describe();
    console.log(
      JSON.stringify(
        {
          symbols: count,
          shards: shardCount,
          strategy: values.strategy,
          concurrency,
          maxCachedWorkflows: values.cache ?? 'SDK default',
          registerAllUpdatesMs: accepted - started,
          lastChildStartedMs: allRunning - started,
          allQuotingMs: quoting - started,
          probeAddToChildStartedMs: {
            count: probeLatencies.length,
            p50: percentile(probeLatencies, 50),
            p99: percentile(probeLatencies, 99),
            max: probeLatencies[probeLatencies.length - 1],
          },
          bulkAddToChildStartedMs: {
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
            max: latencies[latencies.length - 1],
          },
          rssMb: {
            end: Math.round(process.memoryUsage().rss / 2 ** 20),
            peak: Math.round(peakRss / 2 ** 20),
          },
          rootEventsCurrentRun: root.historyLength,
          rootRuns: (await client.workflow.count(`WorkflowType = 'orchestratorWorkflow'`)).count,
          shardRuns,
        },
        null,
        2,
      ),
    );
  } finally {
    clearInterval(sampler);
    await stack.stop();
  }
}

await main();
