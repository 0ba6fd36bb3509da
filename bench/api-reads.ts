/**
 * API read latency: GET /symbols and GET /status with N symbols registered (default 200) on a fresh local
 * stack (file-backed dev server, PostgreSQL, one in-process worker), first idle, then while concurrent
 * loops add and remove symbols through the root. Each phase also times the bare baseline every read
 * pays at least once: the root's `status` query made directly by the client, in the same run. Prints
 * p50/p99/max per read, the answers that were not 200 (503: Temporal did not answer in time), the
 * ratio of each to the baseline, and load against idle.
 *
 * Each phase takes `--samples` rounds (one read of each kind per round) or `--seconds`, whichever ends first;
 * under churn it runs twice, with one reader and with `--readers` readers at once (operators and probes
 * polling together).
 *
 *   node --import tsx bench/api-reads.ts [--symbols 200] [--samples 60] [--seconds 60] [--churn 2] [--readers 4]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld } from '../workers/sim-world';
import { statusQuery } from '../workflows/orchestrator/messages';

const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '200' },
    samples: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '60' },
    churn: { type: 'string', default: '2' },
    readers: { type: 'string', default: '4' },
  },
});
const count = Number(values.symbols);
const samples = Number(values.samples);
const phaseMs = Number(values.seconds) * 1000;
const churnLoops = Number(values.churn);
const readers = Number(values.readers);
const symbols = Array.from({ length: count }, (_, index) => `R${String(index).padStart(5, '0')}-USDT`);
/** Each churn loop adds and removes its own symbol, over and over. */
const churnSymbols = Array.from(
  { length: churnLoops },
  (_, index) => `C${String(index).padStart(3, '0')}-USDT`,
);
/** A one-level quote: each symbol rests two orders on the simulator, as in the restart test. */
const quote = { quantity: '1', referencePrice: '100', levels: 1, requoteIntervalMs: 3_600_000 };
const config = { venues: [{ venue: 'binance' as const }], strategies: [{ name: 'quote', params: quote }] };
const READ_TOKEN = 'bench-read-token';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const summary = (timings: number[]) => {
  const sorted = [...timings].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
};
const ratio = (value: number, baseline: number) => Math.round((value / baseline) * 10) / 10;

async function main() {
  installRuntime('ERROR');
  const sim = createSimWorld([...symbols, ...churnSymbols]);
  const stack = await startLocalStack({ name: 'bench-api', taskQueue: 'bench', connectors: sim.connectors });
  const { client } = stack;
  const ref = { workflowId: 'keel-orchestrator', input: { shardCount: 8 } };
  const app = await buildApp({
    temporal: client,
    pool: stack.database.pool,
    taskQueue: 'bench',
    orchestrator: ref,
    apiToken: 'bench-mutation-token',
    readToken: READ_TOKEN,
  });
  try {
    await ensureOrchestrator(client, 'bench', ref);
    const control = orchestratorControl(client, ref);
    await control.status();
    const setupStarted = Date.now();
    for (let index = 0; index < symbols.length; index += 8)
      await Promise.all(symbols.slice(index, index + 8).map((symbol) => control.addSymbol(symbol, config)));
    const binance = sim.connectors('binance', 'spot', 'keel');
    while ((await binance.openOrders()).length < count * 2) await sleep(500);
    const setupMs = Date.now() - setupStarted;

    const root = client.workflow.getHandle(ref.workflowId);
    const timed = async (run: () => Promise<number>) => {
      const started = performance.now();
      const status = await run();
      return { ms: performance.now() - started, status };
    };
    const get = (url: string) => async () =>
      (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${READ_TOKEN}` } }))
        .statusCode;
    const reads = {
      'GET /symbols': get('/symbols'),
      'GET /status': get('/status'),
      'baseline: root status query': () =>
        root.query(statusQuery).then(
          () => 200,
          () => 0, // the query failed (0 in notOk)
        ),
    };
    /**
     * `concurrency` readers, each doing rounds of one read of each kind, one at a time, until `samples`
     * rounds in all or `phaseMs` have passed.
     */
    const measure = async (phase: string, concurrency = 1) => {
      const timings = Object.fromEntries(Object.keys(reads).map((name) => [name, [] as number[]]));
      const notOk: Record<string, Record<number, number>> = {};
      const until = Date.now() + phaseMs;
      let rounds = 0;
      const reader = async () => {
        for (; rounds < samples && Date.now() < until; rounds += 1)
          for (const [name, read] of Object.entries(reads)) {
            const { ms, status } = await timed(read);
            timings[name]?.push(ms);
            if (status !== 200) (notOk[name] ??= {})[status] = (notOk[name]?.[status] ?? 0) + 1;
          }
      };
      await Promise.all(Array.from({ length: concurrency }, reader));
      const figures = Object.fromEntries(
        Object.entries(timings).map(([name, list]) => [name, summary(list)]),
      );
      const baseline = figures['baseline: root status query'] ?? { p50: NaN, p99: NaN, max: NaN };
      const ratios = Object.fromEntries(
        Object.entries(figures)
          .filter(([name]) => !name.startsWith('baseline'))
          .map(([name, figure]) => [
            name,
            { p50: ratio(figure.p50, baseline.p50), p99: ratio(figure.p99, baseline.p99) },
          ]),
      );
      const result = { readers: concurrency, rounds, ms: figures, notOk, ratioToBaseline: ratios };
      console.error(`[bench api-reads] ${phase}: ${JSON.stringify(result)}`);
      return result;
    };

    console.error(`[bench api-reads] ${count} symbols registered and quoting in ${setupMs} ms`);
    const idle = await measure('idle');

    let stopChurn = false;
    let churnOps = 0;
    const churnFailures: Record<string, number> = {};
    const churn = churnSymbols.map(async (symbol) => {
      while (!stopChurn) {
        for (const operation of [
          () => control.addSymbol(symbol, config),
          () => control.removeSymbol(symbol),
        ]) {
          try {
            await operation();
            churnOps += 1;
          } catch (error) {
            const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
            const message = cause instanceof Error ? cause.message.slice(0, 100) : String(cause);
            churnFailures[message] = (churnFailures[message] ?? 0) + 1;
            await sleep(50);
          }
        }
      }
    });
    await sleep(2_000); // the churn is under way
    const loadStarted = Date.now();
    const opsBefore = churnOps;
    const load = await measure('under add/remove churn');
    const loadReaders = await measure(`under add/remove churn, ${readers} readers at once`, readers);
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    const opsDuring = churnOps - opsBefore;
    stopChurn = true;
    await Promise.all(churn);

    const loadVsIdle = Object.fromEntries(
      Object.keys(reads).map((name) => [
        name,
        {
          p50: ratio(load.ms[name]?.p50 ?? NaN, idle.ms[name]?.p50 ?? NaN),
          p99: ratio(load.ms[name]?.p99 ?? NaN, idle.ms[name]?.p99 ?? NaN),
        },
      ]),
    );
    console.log(
      JSON.stringify(
        {
          symbols: count,
          samplesPerRead: samples,
          setupMs,
          idle,
          load: {
            churnLoops,
            churnOpsPerSecond: Math.round((opsDuring / loadSeconds) * 10) / 10,
            churnFailures,
            ...load,
          },
          loadManyReaders: loadReaders,
          loadVsIdle,
        },
        null,
        2,
      ),
    );
  } finally {
    await app.close();
    await stack.stop();
  }
}

await main();
