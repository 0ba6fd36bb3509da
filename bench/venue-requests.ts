import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import type { ConnectorFactory, ExchangeConnector } from '../connectors/exchange-connector';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld, takerOrder } from '../workers/sim-world';

/**
 * REST requests one account makes per minute with `--symbols` grid symbols (default 100) on it, each on
 * the grid's default watch (pollMs 250, watchMs 5000), while fills arrive on random symbols:
 *  - polling: every watch asks the venue for its symbol's open orders each poll (the design before the
 *    private order stream, and still the one on venues without a stream);
 *  - stream: the watches follow the account's order stream and ask REST only to settle doubt.
 * Also in Binance spot request weight (ccxt's table: openOrders 6, order lookup 4, order and cancel 1,
 * bookTicker 2, account 20) against Binance's budget of 6,000 per minute per IP.
 *   node --import tsx bench/venue-requests.ts [--symbols 100] [--seconds 60] [--fills-per-second 2]
 */
const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
    'fills-per-second': { type: 'string', default: '2' },
  },
});
const symbolCount = Number(values.symbols);
const seconds = Number(values.seconds);
const fillsPerSecond = Number(values['fills-per-second']);
const BINANCE_SPOT_WEIGHT: Record<string, number> = {
  openOrders: 6,
  fetchOrderByClientId: 4,
  createOrder: 1,
  cancelOrder: 1,
  bestBidAsk: 2,
  balances: 20,
};
const BINANCE_WEIGHT_PER_MINUTE = 6_000;
const STREAMS = new Set(['watchOrders', 'watchBestBidAsk', 'close']);

/** The factory's connectors, each REST call counted by name while `counting` is on. */
function countingConnectors(connectors: ConnectorFactory) {
  const counts: Record<string, number> = {};
  const state = { counting: false };
  const wrapped = new WeakMap<ExchangeConnector, ExchangeConnector>();
  const factory: ConnectorFactory = (venue, market, account) => {
    const connector = connectors(venue, market, account);
    let counted = wrapped.get(connector);
    if (!counted) {
      counted = new Proxy(connector, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string' || STREAMS.has(property))
            return value;
          return (...args: unknown[]) => {
            if (state.counting) counts[property] = (counts[property] ?? 0) + 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      wrapped.set(connector, counted);
    }
    return counted;
  };
  return { factory, counts, state };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function measure(variant: 'polling' | 'stream') {
  const symbols = Array.from({ length: symbolCount }, (_, i) => `G${String(i).padStart(3, '0')}-USDT`);
  const sim = createSimWorld(symbols);
  const venue = sim.exchange.venue('binance');
  for (const symbol of symbols) venue.deposit('spot', 'taker', symbol.split('-')[0]!, '100000');
  venue.deposit('spot', 'taker', 'USDT', '100000000');
  const market = sim.exchange.market('binance', 'spot');
  const counting = countingConnectors(sim.connectors);
  const stack = await startLocalStack({
    name: `bench-requests-${variant}`,
    taskQueue: 'bench-requests',
    connectors: counting.factory,
    orderStreams: variant === 'stream',
  });
  try {
    const ref = { workflowId: 'bench-requests-orchestrator', input: { shardCount: 4, idPrefix: 'req-' } };
    await ensureOrchestrator(stack.client, 'bench-requests', ref);
    const control = orchestratorControl(stack.client, ref);
    for (const symbol of symbols)
      await control.addSymbol(symbol, {
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
              maxInventory: '1000',
              referencePrice: '101',
            },
          },
        ],
      });
    const resting = (symbol: string) => market.openOrders('keel', symbol);
    await until(() => symbols.every((s) => resting(s).length >= 2), 300_000, 'every grid to lay out');
    await sleep(5_000); // every watch past its first settle

    // The same seeded fills in both runs: a random symbol's lowest buy is sold into, or its sell bought.
    let seed = 11;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let fills = 0;
    counting.state.counting = true;
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      const symbol = symbols[Math.floor(random() * symbols.length)]!;
      const open = resting(symbol);
      const sell = open.find((order) => order.side === 'sell');
      const buy = open.find((order) => order.side === 'buy');
      if (sell) takerOrder(market, { symbol, side: 'buy', price: sell.price ?? '0' });
      else if (buy) takerOrder(market, { symbol, side: 'sell', price: buy.price ?? '0' });
      if (sell || buy) fills += 1;
      await sleep(1000 / fillsPerSecond);
    }
    counting.state.counting = false;
    const minutes = (Date.now() - started) / 60_000;
    const perMinute = Object.fromEntries(
      Object.entries(counting.counts).map(([op, count]) => [op, count / minutes]),
    );
    return { perMinute, fills };
  } finally {
    await stack.stop();
  }
}

async function main() {
  installRuntime('ERROR');
  const polling = await measure('polling');
  const stream = await measure('stream');
  const total = (perMinute: Record<string, number>) => Object.values(perMinute).reduce((a, b) => a + b, 0);
  const weight = (perMinute: Record<string, number>) =>
    Object.entries(perMinute).reduce((sum, [op, n]) => sum + n * (BINANCE_SPOT_WEIGHT[op] ?? 1), 0);
  const ops = [...new Set([...Object.keys(polling.perMinute), ...Object.keys(stream.perMinute)])].sort();
  const cell = (n: number | undefined) => (n ?? 0).toFixed(0).padStart(10);
  console.log(
    `REST requests per minute, one account, ${symbolCount} grid symbols (pollMs 250, watchMs 5000), ` +
      `${seconds} s, ${fillsPerSecond} fills/s (polling run: ${polling.fills} fills, stream run: ${stream.fills})`,
  );
  console.log(`  ${'call'.padEnd(24)}${'polling'.padStart(10)}${'stream'.padStart(10)}`);
  for (const op of ops)
    console.log(`  ${op.padEnd(24)}${cell(polling.perMinute[op])}${cell(stream.perMinute[op])}`);
  console.log(
    `  ${'all requests'.padEnd(24)}${cell(total(polling.perMinute))}${cell(total(stream.perMinute))}`,
  );
  console.log(
    `  ${'Binance spot weight'.padEnd(24)}${cell(weight(polling.perMinute))}${cell(weight(stream.perMinute))}` +
      `   (budget ${BINANCE_WEIGHT_PER_MINUTE}/min)`,
  );
  console.log(
    `  stream / polling: requests ${(total(stream.perMinute) / total(polling.perMinute)).toFixed(4)}, ` +
      `weight ${(weight(stream.perMinute) / weight(polling.perMinute)).toFixed(4)}; ` +
      `share of Binance's budget: polling ${(weight(polling.perMinute) / BINANCE_WEIGHT_PER_MINUTE).toFixed(2)}x, ` +
      `stream ${(weight(stream.perMinute) / BINANCE_WEIGHT_PER_MINUTE).toFixed(2)}x`,
  );
}

await main();
