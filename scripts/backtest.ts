import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { orchestratorControl, ensureOrchestrator } from '../api/orchestrator';
import { loadConfig } from '../config/keel-config';
import { describeStartupFailure } from '../config/startup-error';
import { loadVenuesConfig } from '../config/venues';
import { backtestReport, type BacktestReport } from '../db/backtest-report';
import { recordBacktestRun, runLedger } from '../db/backtests';
import { openDatabase } from '../db/database';
import { emptyLatencyHistogram, LatencyHistogramSchema } from '../domain/latency-histogram';
import { CanonicalSymbolSchema } from '../domain/symbols';
import { MarketKindSchema } from '../domain/venues';
import { loadBinanceCapture } from '../sim/replay';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { startPaperVenues } from '../workers/paper-venues';
import { installRuntime } from '../workers/runtime';
import { provideTemporalServer } from '../workers/temporal-server';
import { venueConnectors } from '../workers/venue-connectors';
import { clientCodecOptions, createKeelWorker, venueQueuesOf } from '../workers/worker';
import { SignalParamsSchema } from '../workflows/strategies/signal/signal-params';

/**
 * `npm run backtest -- --capture <file.gz>`: the signal strategy over a Binance capture, end to end. The
 * capture is replayed into a paper venue; the strategy trades it through the real workflows, activities
 * and ledger (Temporal and PostgreSQL as `npm start` finds them); and the run's report is printed and
 * stored (GET /backtests/:id serves it).
 *   --symbol BTC-USDT  --market spot|perp  --speed 10 (times the recorded pace)
 *   --params '{"maxPosition":"0.002","execution":"maker"}' (the signal strategy's params)
 */
const USAGE =
  'usage: npm run backtest -- --capture <capture.gz> [--symbol BTC-USDT] [--market spot|perp] [--speed 10] [--params <json>]';

function fail(message: string): never {
  console.error(`[backtest] ${message}`);
  process.exit(1);
}

function parseInput() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        capture: { type: 'string' },
        symbol: { type: 'string', default: 'BTC-USDT' },
        market: { type: 'string', default: 'spot' },
        speed: { type: 'string', default: '10' },
        params: { type: 'string', default: '{"maxPosition":"0.002"}' },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.capture) fail(`--capture is required\n${USAGE}`);
  const capture = resolve(values.capture);
  if (!existsSync(capture)) fail(`--capture ${capture} does not exist`);
  const symbol = CanonicalSymbolSchema.safeParse(values.symbol);
  if (!symbol.success) fail(`--symbol ${values.symbol} is not a symbol such as BTC-USDT`);
  const market = MarketKindSchema.safeParse(values.market);
  if (!market.success) fail(`--market must be spot or perp, not ${values.market}`);
  const speed = Number(values.speed);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 1000)
    fail(`--speed must be a number in (0, 1000], not ${values.speed}`);
  let raw: unknown;
  try {
    raw = JSON.parse(values.params);
  } catch (error) {
    fail(`--params is not JSON: ${(error as Error).message}`);
  }
  const params = SignalParamsSchema.safeParse(raw);
  if (!params.success)
    fail(
      `--params: ${params.error.issues.map((issue) => `${issue.path.join('.') || '(params)'}: ${issue.message}`).join('; ')}`,
    );
  return {
    capture,
    symbol: symbol.data,
    market: market.data,
    speed,
    params: raw as Record<string, unknown>,
  };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const pad = (label: string) => `  ${label.padEnd(22)}`;
const round = (value: number | null) => (value === null ? '–' : Number(value.toPrecision(3)));

function formatReport(id: string, report: BacktestReport): string {
  const latency = (what: BacktestReport['tickToDecisionMicros'], unit: string) =>
    what.count === 0
      ? 'none'
      : `p50 ${round(what.p50)} ${unit}, p99 ${round(what.p99)} ${unit}, p99.9 ${round(what.p999)} ${unit}, max ${round(what.max)} ${unit} (${what.count} decisions)`;
  return [
    `[backtest] run ${id}`,
    `${pad('orders / trades')}${report.orders} / ${report.trades}`,
    `${pad('volume (quote)')}${report.volume}`,
    `${pad('realized PnL')}${report.realizedPnl}`,
    `${pad('unrealized PnL')}${report.unrealizedPnl} (position ${report.position})`,
    `${pad('fees')}${report.fees}`,
    `${pad('net PnL')}${report.netPnl}`,
    `${pad('hit rate')}${report.hitRate === null ? 'no closing trades' : `${(report.hitRate * 100).toFixed(1)}% of ${report.closingTrades} closing trades`}`,
    ...report.adverseSelection.map(
      (horizon) =>
        `${pad(`adverse sel. ${horizon.horizonMs} ms`)}${horizon.meanBps === null ? 'not measured' : `${horizon.meanBps.toFixed(3)} bps against the fill, ${((horizon.adverseShare ?? 0) * 100).toFixed(1)}% of ${horizon.fills} fills hurt`}`,
    ),
    `${pad('tick → decision')}${latency(report.tickToDecisionMicros, 'µs')}`,
    `${pad('decision → ack')}${latency(report.decisionToAckMs, 'ms')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const input = parseInput();
  const id = `bt-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomUUID().slice(0, 8)}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  // Ctrl-C stops the dev server and PostgreSQL it started too (and reaches us twice through run.mjs).
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error('[backtest] interrupted: stopping');
    void cleanUp().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dir = mkdtempSync(join(tmpdir(), 'keel-backtest-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  try {
    const config = loadConfig();
    const [base, quote] = input.symbol.split('-') as [string, string];
    const venuesFile = join(dir, 'venues.yaml');
    writeFileSync(
      venuesFile,
      [
        'venues:',
        '  binance:',
        '    kind: paper',
        `    replay: [{ market: ${input.market}, symbol: ${input.symbol}, file: ${JSON.stringify(input.capture)} }]`,
        `    speed: ${input.speed}`,
        `    balances: { ${quote}: '1000000', ${base}: '100' }`,
        '    accounts: [{ name: backtest }]',
        '',
      ].join('\n'),
    );
    const venuesConfig = loadVenuesConfig(venuesFile, {});
    const stats = { lines: 0, events: 0, malformed: 0 };
    const events = await loadBinanceCapture(input.capture, Number.POSITIVE_INFINITY, stats);
    if (events.length === 0)
      throw new Error(
        `${input.capture} holds no bookTicker, trade or depth message (${stats.malformed} malformed lines)`,
      );
    console.log(
      `[backtest] ${basename(input.capture)}: ${stats.events} events from ${stats.lines} lines (${stats.malformed} malformed lines skipped), replayed at ${input.speed}×`,
    );

    installRuntime('WARN');
    const temporal = await provideTemporalServer(config);
    cleanups.push(() => temporal.stop());
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.dataDir,
      embeddedPort: config.KEEL_EMBEDDED_PG_PORT,
    });
    cleanups.push(() => database.close());
    const paper = (await startPaperVenues(venuesConfig, { paused: true }))!;
    cleanups.push(() => paper.stop());
    const venues = venueConnectors(venuesConfig, { paperExchange: paper.exchange });

    // Its own task queue and orchestrator: a Keel running on the same server never picks up its work.
    const taskQueue = `keel-backtest-${id}`;
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => workerConnection.close());
    // Against a server whose histories are sealed (KEEL_CODEC_KEYS), the backtest's are too.
    const payloadCodec = config.codecKeys ? new AesGcmPayloadCodec(config.codecKeys) : undefined;
    const worker = await createKeelWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      venueQueues: venueQueuesOf(venuesConfig),
      ...(payloadCodec && { payloadCodec }),
      deps: { pool: database.pool, connectors: venues.connectors, settleWindowMs: venues.settleWindowMs },
    });
    const workerRun = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await workerRun;
    });
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      ...clientCodecOptions(payloadCodec),
    });
    // Its children's ids are its own too (`<run id>-symbol:BTC-USDT`): never a live symbol's workflow.
    const ref = { workflowId: `keel-backtest-${id}`, input: { shardCount: 1, idPrefix: `${id}-` } };
    await ensureOrchestrator(client, taskQueue, ref);
    const control = orchestratorControl(client, ref);

    const startedAt = new Date();
    // A refusal throws (ControlRefused, with the orchestrator's reason).
    await control.addSymbol(input.symbol, {
      venues: [{ venue: 'binance', market: input.market, account: 'backtest' }],
      strategies: [{ name: 'signal', params: input.params }],
    });
    const entry = await control.registered(input.symbol);
    if (!entry) throw new Error('the symbol is not registered after it was added');
    const { driver } = paper.replays[0]!;
    // The recording starts once the strategy runs: none of it plays to a market nobody watches yet.
    await waitUntil('the signal strategy trading', async () => {
      const state = await control.symbolState(entry.workflowId);
      const signal = state?.strategies.find((item) => item.name === 'signal');
      return (signal?.state as { trading?: boolean } | undefined)?.trading === true;
    });
    paper.start();
    let told = 0;
    while (!paper.done()) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const quarter = Math.floor(driver.progress * 4);
      if (quarter > told && quarter < 4) console.log(`[backtest] replayed ${(told = quarter) * 25}%`);
    }
    const state = await control.symbolState(entry.workflowId);
    const strategy = state?.strategies.find((item) => item.name === 'signal');
    if (!strategy) throw new Error('the signal strategy is not running');
    if (strategy.health !== 'ok')
      console.warn(`[backtest] the strategy is ${strategy.health}: ${strategy.problems.join('; ')}`);
    const held = strategy.state as { tickToDecisionMicros?: unknown; decisionToAckMs?: unknown };
    // Removing the symbol closes the position at the recording's last book (flattenOnStop unless off).
    await control.removeSymbol(input.symbol);
    await client.workflow
      .getHandle(entry.workflowId)
      .result()
      .catch(() => undefined);

    const ledger = await runLedger(database.pool, entry.workflowId);
    // The paper engine's fill times, mapped back onto the recording's clock.
    const fillTimes = new Map<string, number[]>();
    for (const fill of paper.exchange
      .market('binance', input.market)
      .accountFills('backtest', input.symbol, 1_000_000)) {
      const list = fillTimes.get(fill.clientOrderId) ?? [];
      list.push(driver.recordingTime(fill.ts));
      fillTimes.set(fill.clientOrderId, list);
    }
    const report = backtestReport({
      orders: ledger.orders,
      fills: ledger.fills.map((fill) => ({
        ...fill,
        time: fillTimes.get(fill.clientOrderId)?.shift() ?? Number.NaN,
      })),
      feesInQuote: ledger.feesInQuote,
      mids: events.flatMap((event) =>
        event.kind === 'bbo' ? [{ time: event.ts, mid: (Number(event.bid) + Number(event.ask)) / 2 }] : [],
      ),
      tickToDecisionMicros: LatencyHistogramSchema.catch(emptyLatencyHistogram).parse(
        held.tickToDecisionMicros,
      ),
      decisionToAckMs: LatencyHistogramSchema.catch(emptyLatencyHistogram).parse(held.decisionToAckMs),
    });
    await recordBacktestRun(database.pool, {
      id,
      capture: basename(input.capture),
      symbol: input.symbol,
      market: input.market,
      speed: input.speed,
      params: input.params,
      workflowId: entry.workflowId,
      startedAt,
      finishedAt: new Date(),
      report,
    });
    console.log(formatReport(id, report));
    console.log(`[backtest] stored: GET /backtests/${id}`);
  } catch (error) {
    console.error(`[backtest] failed: ${describeStartupFailure(error)}`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

await main();
// Whatever the SDK or a pool left open, the command is over.
process.exit(process.exitCode ?? 0);
