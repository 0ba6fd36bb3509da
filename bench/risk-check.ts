/**
 * The risk check's added latency on the order path: recordIntent (db/order-ledger.ts) with and without
 * `preTrade`, on a real, migrated PostgreSQL (DATABASE_URL, else an embedded server in a temporary
 * directory). Two fresh databases on that server hold the same ledger: `--symbols` symbols on one account
 * (binance/spot/keel), each with `--live` open orders, `--history` settled ones and a position, and trading
 * states on other scopes. One has global limits with every rule on (all passing); the other has no stored
 * limits, so only a symbol's own defaults apply (maxOpenOrders 20, maxOrderNotional 10000).
 *
 * Variants, one order each per round, the order rotating every round so that drift hits them alike:
 *   A   no preTrade: the path without the check (it still takes the symbol's and the account's locks)
 *   B   preTrade with every limit on: the symbol's defaults, the global limits and the price band
 *   A'  as A, on the second database: C's baseline
 *   C   preTrade with the symbol's defaults only
 * Then `--callers` callers at once on different symbols of the same account (its lock serialises them),
 * A and B in alternating blocks of `--block` orders per caller. New intents are cancelled after each round
 * or block, outside the timed calls, so every symbol keeps its live orders. Last, where B's time goes:
 * each statement's round trip timed at the client, and the server's execution time of the risk picture
 * query (its plan with --explain).
 *
 * Prints p50/p90/p99/max per variant, the added latency B − A and C − A' at p50 and p99 (differences of the
 * percentiles, and their ratios), and a verdict against the target: under 2 ms added at p99, 100 symbols.
 *
 *   node --import tsx bench/risk-check.ts [--orders 2000] [--symbols 100] [--live 10] [--history 50]
 *     [--callers 8] [--block 25] [--warmup 100] [--explain]
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../db/embedded-postgres';
import { migrate } from '../db/migrate';
import { recordIntent, type OrderIntent, type PreTrade } from '../db/order-ledger';
import { connectPool } from '../db/pool';
import { setRiskLimits, setTradingState } from '../db/risk';
import { clientOrderId, symbolWorkflowId } from '../domain/ids';
import type { RiskLimits } from '../domain/risk';
import type { Side } from '../domain/trading';
import { findFreePort } from '../temporal/port-check';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' },
    symbols: { type: 'string', default: '100' },
    live: { type: 'string', default: '10' },
    history: { type: 'string', default: '50' },
    callers: { type: 'string', default: '8' },
    block: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '100' },
    explain: { type: 'boolean', default: false },
  },
});
const orders = Number(values.orders);
const symbolCount = Number(values.symbols);
const liveCount = Number(values.live);
const historyCount = Number(values.history);
const callers = Number(values.callers);
const block = Number(values.block);
const warmup = Number(values.warmup);
/** B's statements are traced over this many orders (A's too, for comparison). */
const traced = Math.min(orders, 500);

const TARGET_MS = 2;
const VENUE = 'binance';
const MARKET = 'spot' as const;
const ACCOUNT = 'keel';
const STRATEGY = 'grid';
const QUANTITY = '0.5';

/** A symbol's own limits when its configuration sets none (workflows/symbol/symbol-config.ts). */
const SYMBOL_DEFAULTS: RiskLimits = { maxOpenOrders: 20, maxOrderNotional: '10000' };
/** Every rule on, each loose enough that the bench's orders pass (the rate limit counts cancelled ones too). */
const GLOBAL_LIMITS: RiskLimits = {
  maxOrderQuantity: '100',
  maxOrderNotional: '1000000',
  maxPosition: '1000',
  maxAccountExposure: '100000000',
  maxTotalExposure: '100000000',
  maxOpenOrders: 50,
  maxOrdersPerSecond: 100_000,
  priceBandBps: 100,
};

const symbols = Array.from({ length: symbolCount }, (_, index) => `S${String(index).padStart(3, '0')}-USDT`);
const symbolAt = (index: number) => symbols[index] ?? 'S000-USDT';
/** Each symbol's mid: 100, 101, ... */
const referencePrice = (index: number) => 100 + index;
const decimal = (value: number) => value.toFixed(2);
/** A symbol workflow chain's scope, as its client order ids are derived from it. */
const chainScope = (index: number) => `${symbolWorkflowId('', symbolAt(index))}/bench-run`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const summary = (timings: number[]) => {
  const sorted = [...timings].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
};
type Summary = ReturnType<typeof summary>;
const ms = (value: number) => value.toFixed(2).padStart(7);
const times = (value: number, baseline: number) => `${(value / baseline).toFixed(1)}×`;

/** One database of the bench, with each symbol's next client order id sequence. */
interface Ledger {
  name: string;
  url: string;
  pool: pg.Pool;
  next: number[];
}

interface Variant {
  label: string;
  ledger: Ledger;
  preTrade: (index: number) => PreTrade | undefined;
  timings: number[];
  /** Intents not recorded as `intent` (a denial would take another path), by rule or status. */
  notIntent: Record<string, number>;
  orders: number;
  seconds: number;
}

const variant = (label: string, ledger: Ledger, preTrade: Variant['preTrade']): Variant => ({
  label,
  ledger,
  preTrade,
  timings: [],
  notIntent: {},
  orders: 0,
  seconds: 0,
});

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The ledger every variant runs against: settled history, open orders either side of the mid, a position. */
async function seedLedger(pool: pg.Pool) {
  const columns = {
    id: [] as string[],
    symbol: [] as string[],
    workflow: [] as string[],
    side: [] as string[],
    price: [] as string[],
    status: [] as string[],
    filled: [] as string[],
    ageSeconds: [] as number[],
  };
  const next: number[] = [];
  for (let index = 0; index < symbolCount; index += 1) {
    const mid = referencePrice(index);
    let sequence = 0;
    const push = (side: Side, price: number, status: string, ageSeconds: number) => {
      columns.id.push(clientOrderId({ scope: chainScope(index), strategySlot: 0, sequence: sequence++ }));
      columns.symbol.push(symbolAt(index));
      columns.workflow.push(symbolWorkflowId('', symbolAt(index)));
      columns.side.push(side);
      columns.price.push(decimal(price));
      columns.status.push(status);
      columns.filled.push(status === 'filled' ? QUANTITY : '0');
      columns.ageSeconds.push(ageSeconds);
    };
    for (let order = 0; order < historyCount; order += 1) {
      const side = order % 2 === 0 ? 'buy' : 'sell';
      push(side, mid + (side === 'buy' ? -0.1 : 0.1), order % 3 === 0 ? 'filled' : 'canceled', 7200 - order);
    }
    for (let order = 0; order < liveCount; order += 1) {
      const level = Math.floor(order / 2) + 1;
      const side = order % 2 === 0 ? 'buy' : 'sell';
      push(side, mid + (side === 'buy' ? -0.05 : 0.05) * level, 'open', 600 - order);
    }
    next.push(sequence);
  }
  await pool.query(
    `INSERT INTO ledger_orders (client_order_id, venue, market, account, symbol, strategy, workflow_id, side,
                                order_type, price, quantity, status, venue_order_id, filled_quantity,
                                send_attempts, created_at, sent_at, landed_at, updated_at)
     SELECT id, $9, $10, $11, symbol, $12, workflow, side, 'limit', price::numeric, $13::numeric, status, 'V' || id,
            filled::numeric, 1, now() - age * interval '1 second', now() - age * interval '1 second',
            now() - age * interval '1 second', now() - age * interval '1 second'
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
          AS t(id, symbol, workflow, side, price, status, filled, age)`,
    [
      columns.id,
      columns.symbol,
      columns.workflow,
      columns.side,
      columns.price,
      columns.status,
      columns.filled,
      columns.ageSeconds,
      VENUE,
      MARKET,
      ACCOUNT,
      STRATEGY,
      QUANTITY,
    ],
  );
  await pool.query(
    `INSERT INTO ledger_positions (venue, market, account, symbol, quantity, last_price)
     SELECT $1, $2, $3, symbol, quantity::numeric, last_price::numeric
     FROM unnest($4::text[], $5::text[], $6::text[]) AS t(symbol, quantity, last_price)
     ON CONFLICT (venue, market, account, symbol) DO UPDATE SET quantity = EXCLUDED.quantity, last_price = EXCLUDED.last_price`,
    [
      VENUE,
      MARKET,
      ACCOUNT,
      symbols,
      symbols.map((_, index) => String((index % 7) - 3)),
      symbols.map((_, index) => decimal(referencePrice(index))),
    ],
  );
  // States that hold elsewhere: the picture reads them and finds none over these orders.
  const elsewhere = { actor: 'bench', reason: 'bench: a state on another scope' };
  await setTradingState(pool, {
    scope: 'venue',
    key: 'bybit',
    state: 'REDUCING',
    source: 'operator',
    ...elsewhere,
  });
  await setTradingState(pool, {
    scope: 'symbol',
    key: 'OTHER-USDT',
    state: 'HALTED',
    source: 'breaker:latency',
    ...elsewhere,
  });
  await pool.query('ANALYZE ledger_orders; ANALYZE ledger_positions; ANALYZE trading_states');
  return next;
}

/** The next new intent of a symbol: a limit order just inside the mid, so every limit passes. */
function intentFor(ledger: Ledger, index: number, side: Side): OrderIntent {
  const sequence = ledger.next[index] ?? 0;
  ledger.next[index] = sequence + 1;
  const mid = referencePrice(index);
  return {
    clientOrderId: clientOrderId({ scope: chainScope(index), strategySlot: 0, sequence }),
    venue: VENUE,
    market: MARKET,
    account: ACCOUNT,
    symbol: symbolAt(index),
    strategy: STRATEGY,
    workflowId: symbolWorkflowId('', symbolAt(index)),
    side,
    type: 'limit',
    price: decimal(side === 'buy' ? mid - 0.01 : mid + 0.01),
    quantity: QUANTITY,
  };
}

/** One timed recordIntent; returns the new client order id, to cancel afterwards. */
async function timedRecord(
  target: Variant,
  index: number,
  side: Side,
  keep: boolean,
  pool = target.ledger.pool,
): Promise<string> {
  const intent = intentFor(target.ledger, index, side);
  const preTrade = target.preTrade(index);
  const started = performance.now();
  const row = await recordIntent(pool, intent, preTrade);
  const elapsed = performance.now() - started;
  if (keep) {
    target.timings.push(elapsed);
    if (row.status !== 'intent') {
      const why = row.denial_rule ?? row.status;
      target.notIntent[why] = (target.notIntent[why] ?? 0) + 1;
    }
  }
  return intent.clientOrderId;
}

/** The venue cancelled them: the symbol is back to its live orders. */
async function cancel(ledger: Ledger, ids: string[]) {
  if (ids.length === 0) return;
  await ledger.pool.query(
    `UPDATE ledger_orders SET status = 'canceled', updated_at = now() WHERE client_order_id = ANY($1::text[])`,
    [ids],
  );
}

const escapeLiteral = (value: string) => pg.Client.prototype.escapeLiteral(value);

const sideOf = (round: number) => ((round + Math.floor(round / symbolCount)) % 2 === 0 ? 'buy' : 'sell');

/** Every variant once per round, in rotating order; the round's intents cancelled before the next. */
async function interleaved(variants: Variant[]) {
  for (let round = 0; round < warmup + orders; round += 1) {
    const index = round % symbolCount;
    const made = new Map<Ledger, string[]>();
    for (let offset = 0; offset < variants.length; offset += 1) {
      const target = variants[(round + offset) % variants.length];
      if (!target) continue;
      const id = await timedRecord(target, index, sideOf(round), round >= warmup);
      made.set(target.ledger, [...(made.get(target.ledger) ?? []), id]);
    }
    for (const [ledger, ids] of made) await cancel(ledger, ids);
  }
}

/**
 * `callers` loops at once, each on its own symbols of the one account, in blocks of `block` orders each;
 * the variants take turns block by block, and each block's intents are cancelled before the next.
 */
async function concurrent(variants: Variant[]) {
  const owned = Array.from({ length: callers }, (_, caller) =>
    symbols.map((_, index) => index).filter((index) => index % callers === caller),
  );
  const blocks = Math.ceil(orders / (callers * block)) * variants.length;
  for (let round = 0; round < blocks; round += 1) {
    const target = variants[round % variants.length];
    if (!target) continue;
    const started = performance.now();
    const ids = await Promise.all(
      owned.map(async (mine, caller) => {
        const made: string[] = [];
        for (let order = 0; order < block; order += 1) {
          const step = Math.floor(round / variants.length) * block + order;
          const index = mine[step % mine.length] ?? 0;
          made.push(await timedRecord(target, index, sideOf(step + caller), true));
        }
        return made;
      }),
    );
    target.seconds += (performance.now() - started) / 1000;
    target.orders += callers * block;
    await cancel(target.ledger, ids.flat());
  }
}

const STATEMENTS: Array<[RegExp, string]> = [
  [/^BEGIN/, 'BEGIN'],
  [/^COMMIT/, 'COMMIT'],
  [/pg_advisory_xact_lock/, 'locks (+ stored limits)'],
  [/FROM ledger_orders WHERE client_order_id = \$1/, 'row already recorded?'],
  [/FROM trading_states WHERE/, 'risk picture'],
  [/^INSERT INTO ledger_orders/, 'insert'],
];
const statementOf = (text: string) =>
  STATEMENTS.find(([pattern]) => pattern.test(text.trim()))?.[1] ?? text.trim().slice(0, 40);

/**
 * A pool of one connection whose statements are timed at the client, by kind, while `into` is set; keeps
 * the last text and values of each kind for EXPLAIN.
 */
async function tracedPool(url: string) {
  const pool = await connectPool(url, { max: 1 });
  const state = {
    into: undefined as Record<string, number[]> | undefined,
    samples: new Map<string, { text: string; values: unknown }>(),
  };
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        const [first, second] = args;
        // query(text, values) or query({ text, values, name }); callbacks pass through untimed.
        const config = typeof first === 'object' && first !== null ? (first as pg.QueryConfig) : undefined;
        const text = config ? config.text : first;
        const params = config ? config.values : second;
        const into = state.into;
        if (!into || typeof text !== 'string' || args.length > 2 || typeof second === 'function')
          return query(...args);
        const started = performance.now();
        return (query(...args) as Promise<unknown>).finally(() => {
          const kind = statementOf(text);
          (into[kind] ??= []).push(performance.now() - started);
          state.samples.set(kind, { text, values: params });
        });
      },
    });
  });
  return { pool, state };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-risk-'));
  chmodSync(dir, 0o755); // an embedded PostgreSQL runs as user postgres and must reach its data dir
  let embedded: EmbeddedPostgresHandle | undefined;
  const adminUrl =
    process.env.DATABASE_URL ??
    (embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres'), port: await findFreePort() }))
      .url;
  const admin = await connectPool(adminUrl, { max: 1 });
  const ledgers: Ledger[] = [];
  try {
    const server = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
      ?.server_version;
    for (const suffix of ['limits', 'defaults']) {
      const name = `keel_bench_risk_${process.pid}_${suffix}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = withDatabase(adminUrl, name);
      const pool = await connectPool(url, { max: callers + 2 });
      ledgers.push({ name, url, pool, next: [] });
      await migrate(pool);
    }
    const [withLimits, defaultsOnly] = ledgers as [Ledger, Ledger];
    const setupStarted = performance.now();
    for (const ledger of ledgers) ledger.next = await seedLedger(ledger.pool);
    await setRiskLimits(withLimits.pool, {
      scope: 'global',
      key: '',
      limits: GLOBAL_LIMITS,
      actor: 'bench',
      reason: 'bench: every rule on',
    });
    const setupMs = performance.now() - setupStarted;
    console.error(
      `[bench risk-check] PostgreSQL ${server} (${embedded ? 'embedded' : 'DATABASE_URL'}): ${symbolCount} symbols × ` +
        `${liveCount} open + ${historyCount} settled orders and a position, in 2 databases, seeded in ${Math.round(setupMs)} ms`,
    );

    const everyLimit = (index: number): PreTrade => ({
      limits: SYMBOL_DEFAULTS,
      referencePrice: decimal(referencePrice(index)),
    });
    const defaults = (): PreTrade => ({ limits: SYMBOL_DEFAULTS });
    const none = () => undefined;
    const a = variant('A   no preTrade', withLimits, none);
    const b = variant('B   preTrade, every limit on', withLimits, everyLimit);
    const a2 = variant("A'  no preTrade (2nd database)", defaultsOnly, none);
    const c = variant('C   preTrade, symbol defaults only', defaultsOnly, defaults);
    const rowsOf = async (ledger: Ledger) =>
      Number(
        (await ledger.pool.query<{ rows: string }>('SELECT count(*) AS rows FROM ledger_orders')).rows[0]
          ?.rows,
      );
    const rows = [await rowsOf(withLimits)];
    const load = [loadavg()[0] ?? NaN];
    const runStarted = performance.now();
    await interleaved([a, b, a2, c]);
    rows.push(await rowsOf(withLimits));
    console.error(
      `[bench risk-check] ${orders} orders per variant, interleaved, in ${Math.round((performance.now() - runStarted) / 1000)} s`,
    );

    const aMany = variant(`A   no preTrade, ${callers} callers`, withLimits, none);
    const bMany = variant(`B   every limit on, ${callers} callers`, withLimits, everyLimit);
    const manyStarted = performance.now();
    await concurrent([aMany, bMany]);
    rows.push(await rowsOf(withLimits));
    load.push(loadavg()[0] ?? NaN);
    console.error(
      `[bench risk-check] ${callers} callers: ${aMany.orders} + ${bMany.orders} orders in ${Math.round((performance.now() - manyStarted) / 1000)} s`,
    );

    // Where the time goes: the same A and B orders again on a traced connection.
    const trace = await tracedPool(withLimits.url);
    const statements = { a: {} as Record<string, number[]>, b: {} as Record<string, number[]> };
    const scratch = { a: variant('', withLimits, none), b: variant('', withLimits, everyLimit) };
    for (let round = 0; round < traced; round += 1) {
      const index = round % symbolCount;
      const ids: string[] = [];
      for (const key of round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
        trace.state.into = statements[key];
        ids.push(await timedRecord(scratch[key], index, sideOf(round), true, trace.pool));
        trace.state.into = undefined;
      }
      await cancel(withLimits, ids);
    }
    const serverSide: Record<string, { planning: number; execution: number }> = {};
    const plans: string[] = [];
    for (const kind of ['risk picture']) {
      const sample = trace.state.samples.get(kind);
      if (!sample) continue;
      const runs: Array<{ planning: number; execution: number }> = [];
      // As the order path runs it: the statement db/risk.ts prepared on this connection, with its cached plan.
      const literals = (sample.values as unknown[])
        .map((value) => (typeof value === 'boolean' ? String(value) : escapeLiteral(String(value))))
        .join(', ');
      const execute = `EXECUTE "keel-risk-picture"(${literals})`;
      for (let run = 0; run < 30; run += 1) {
        const { rows } = await trace.pool.query<{ 'QUERY PLAN': Array<Record<string, number>> }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${execute}`,
        );
        const plan = rows[0]?.['QUERY PLAN'][0];
        runs.push({ planning: plan?.['Planning Time'] ?? NaN, execution: plan?.['Execution Time'] ?? NaN });
      }
      serverSide[kind] = {
        planning: summary(runs.map((run) => run.planning)).p50,
        execution: summary(runs.map((run) => run.execution)).p50,
      };
      if (values.explain) {
        const { rows } = await trace.pool.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${execute}`,
        );
        plans.push(`── ${kind} ──\n${rows.map((row) => row['QUERY PLAN']).join('\n')}`);
      }
    }
    await trace.pool.end();

    const context =
      `PostgreSQL ${server} (${embedded ? 'embedded' : 'DATABASE_URL'}); ledger_orders rows ${rows.join(' → ')} ` +
      `(start, after one caller, after ${callers}: cancelled intents stay, as in a live ledger); ` +
      `load average ${load.map((value) => value.toFixed(1)).join(' → ')} on ${cpus().length} cores`;
    report({ context, a, b, a2, c, aMany, bMany, statements, serverSide, plans });
  } finally {
    for (const ledger of ledgers) await ledger.pool.end().catch(() => undefined);
    for (const ledger of ledgers)
      await admin.query(`DROP DATABASE IF EXISTS ${ledger.name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(run: {
  context: string;
  a: Variant;
  b: Variant;
  a2: Variant;
  c: Variant;
  aMany: Variant;
  bMany: Variant;
  statements: { a: Record<string, number[]>; b: Record<string, number[]> };
  serverSide: Record<string, { planning: number; execution: number }>;
  plans: string[];
}) {
  const figures = new Map<Variant, Summary>();
  const of = (target: Variant) => figures.get(target) ?? summary(target.timings);
  for (const target of [run.a, run.b, run.a2, run.c, run.aMany, run.bMany]) figures.set(target, of(target));
  const lines: string[] = [];
  const say = (line = '') => lines.push(line);
  const row = (target: Variant, extra = '') => {
    const figure = of(target);
    const denied = Object.entries(target.notIntent).map(([why, count]) => `${why} ${count}`);
    say(
      `${target.label.padEnd(40)}${ms(figure.p50)}${ms(figure.p90)}${ms(figure.p99)}${ms(figure.max)}${extra}` +
        (denied.length > 0 ? `   NOT RECORDED AS INTENT: ${denied.join(', ')}` : ''),
    );
  };
  const added = (label: string, with_: Variant, without: Variant) => {
    const yes = of(with_);
    const no = of(without);
    say(
      `${label.padEnd(40)}${ms(yes.p50 - no.p50)} (${times(yes.p50, no.p50)})${ms(yes.p99 - no.p99)} (${times(yes.p99, no.p99)})`,
    );
  };

  say(
    `risk check on the order path: recordIntent, ${symbolCount} symbols on one account × ${liveCount} open orders ` +
      `(+ ${historyCount} settled each), ${orders} orders per variant`,
  );
  say(run.context);
  say(
    `${'one caller, interleaved'.padEnd(40)}${'p50'.padStart(7)}${'p90'.padStart(7)}${'p99'.padStart(7)}${'max'.padStart(7)}  ms`,
  );
  for (const target of [run.a, run.b, run.a2, run.c]) row(target);
  say();
  say(`${'added by the check'.padEnd(40)}${'p50'.padStart(7)}       ${'p99'.padStart(7)}  ms (ratio)`);
  added('B − A   every limit on', run.b, run.a);
  added("C − A'  symbol defaults only", run.c, run.a2);
  say();
  say(
    `${`${callers} callers, one account`.padEnd(40)}${'p50'.padStart(7)}${'p90'.padStart(7)}${'p99'.padStart(7)}${'max'.padStart(7)}  ms   orders/s`,
  );
  for (const target of [run.aMany, run.bMany])
    row(target, `   ${Math.round(target.orders / target.seconds)}`.padStart(11));
  added('B − A', run.bMany, run.aMany);
  say();

  say(`where the time goes (${traced} orders each, round trips at the client, one connection)`);
  say(
    `${'statement'.padEnd(26)}${'A calls'.padStart(8)}${'A ms'.padStart(8)}${'B calls'.padStart(8)}${'B ms'.padStart(8)}${'B p99'.padStart(8)}  per order`,
  );
  const kinds = [...new Set([...Object.keys(run.statements.b), ...Object.keys(run.statements.a)])];
  const per = (list: number[] | undefined) => (list ?? []).reduce((sum, value) => sum + value, 0) / traced;
  for (const kind of kinds) {
    const inA = run.statements.a[kind];
    const inB = run.statements.b[kind];
    say(
      `${kind.padEnd(26)}${((inA?.length ?? 0) / traced).toFixed(0).padStart(8)}${per(inA).toFixed(3).padStart(8)}` +
        `${((inB?.length ?? 0) / traced).toFixed(0).padStart(8)}${per(inB).toFixed(3).padStart(8)}` +
        `${(inB ? summary(inB).p99.toFixed(3) : '').padStart(8)}`,
    );
  }
  const total = (set: Record<string, number[]>) =>
    Object.values(set).reduce((sum, list) => sum + per(list), 0);
  say(
    `${'total'.padEnd(26)}${''.padStart(8)}${total(run.statements.a).toFixed(3).padStart(8)}${''.padStart(8)}${total(run.statements.b).toFixed(3).padStart(8)}`,
  );
  for (const [kind, server] of Object.entries(run.serverSide))
    say(
      `server side, ${kind}: planning ${server.planning.toFixed(3)} ms + execution ${server.execution.toFixed(3)} ms (p50 of 30 EXPLAIN ANALYZE EXECUTE of the prepared statement)`,
    );
  for (const plan of run.plans) say(`\n${plan}`);
  say();

  const addedP99 = of(run.b).p99 - of(run.a).p99;
  const defaultsP99 = of(run.c).p99 - of(run.a2).p99;
  const manyP99 = of(run.bMany).p99 - of(run.aMany).p99;
  say(
    `verdict: the risk check adds p99 ${addedP99.toFixed(2)} ms at ${symbolCount} symbols with every limit on ` +
      `(${defaultsP99.toFixed(2)} ms with the symbol's defaults only; ${manyP99.toFixed(2)} ms with ${callers} callers ` +
      `on one account): target < ${TARGET_MS} ms: ${addedP99 < TARGET_MS ? 'met' : 'not met'}`,
  );
  console.log(lines.join('\n'));
}

await main();
