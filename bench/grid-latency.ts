import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld, takerOrder } from '../workers/sim-world';
import { percentile, until } from './latency-kit';

/**
 * From a fill on the simulator to the replacement order acknowledged by it, at random moments:
 *  - Keel, default: the watch activity places the replacement the plan decided beforehand (exactly-once
 *    placement with its ledger writes in PostgreSQL), on a file-backed dev server;
 *  - Keel, replaceFromWatch off: the watch returns, a workflow task decides, placeOrderOnce places;
 *  - baseline: the same detection (polling open orders every pollMs) and a bare connector call, no
 *    Temporal, no PostgreSQL.
 * All three detect fills the same way, so the differences are what durability costs.
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

/**
 * Splits each watch → placement hop of the symbol workflow's history into server and worker time:
 * watch completed → workflow task started (server: persist, dispatch) → completed (worker: workflow code)
 * → placement started (eager dispatch) → placement completed (ledger + venue).
 */
async function durablePathBreakdown(client: Client, workflowId: string) {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (event: (typeof events)[number]) =>
    Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
  // Event ids are protobuf Longs: compare their values.
  type EventId = { toString(): string } | number | null | undefined;
  const same = (a: EventId, b: EventId) => a != null && b != null && a.toString() === b.toString();
  const steps: Record<string, number[]> = {
    'watch done → workflow task started': [],
    'workflow task started → completed': [],
    'workflow task completed → placement started': [],
    'placement started → completed': [],
  };
  const push = (name: string, value: number) => steps[name]?.push(value);
  for (let index = 0; index < events.length; index += 1) {
    const done = events[index];
    const scheduled = events.find((event) =>
      same(event.eventId, done?.activityTaskCompletedEventAttributes?.scheduledEventId),
    );
    if (!done || scheduled?.activityTaskScheduledEventAttributes?.activityType?.name !== 'watchOrders')
      continue;
    const started = events.slice(index).find((event) => event.workflowTaskStartedEventAttributes);
    const completed = events.slice(index).find((event) => event.workflowTaskCompletedEventAttributes);
    const placeScheduled = events
      .slice(index)
      .find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'placeOrderOnce');
    const placeStarted = events.find((event) =>
      same(event.activityTaskStartedEventAttributes?.scheduledEventId, placeScheduled?.eventId),
    );
    const placeDone = events.find((event) =>
      same(event.activityTaskCompletedEventAttributes?.scheduledEventId, placeScheduled?.eventId),
    );
    if (!started || !completed || !placeStarted || !placeDone) continue;
    push('watch done → workflow task started', ms(started) - ms(done));
    push('workflow task started → completed', ms(completed) - ms(started));
    push('workflow task completed → placement started', ms(placeStarted) - ms(completed));
    push('placement started → completed', ms(placeDone) - ms(placeStarted));
  }
  return steps;
}

async function main() {
  installRuntime('ERROR');
  const symbols = ['LAT-USDT', 'WFT-USDT', 'RAW-USDT'];
  const sim = createSimWorld(symbols);
  const market = sim.exchange.market('binance', 'spot');
  for (const base of ['LAT', 'WFT', 'RAW'])
    sim.exchange.venue('binance').deposit('spot', 'taker', base, '1000');
  sim.exchange.venue('binance').deposit('spot', 'taker', 'USDT', '1000000');
  const stack = await startLocalStack({
    name: 'bench-grid',
    taskQueue: 'bench-grid',
    connectors: sim.connectors,
    dynamicConfig: JSON.parse(values['dynamic-config']) as Record<string, unknown>,
  });
  const { client } = stack;
  const keel = (symbol: string) => market.openOrders('keel', symbol);
  const take = (symbol: string, side: 'buy' | 'sell', price: string) =>
    takerOrder(market, { symbol, side, price });
  const hasOrder = (symbol: string, side: 'buy' | 'sell', price: string) =>
    keel(symbol).some((order) => order.side === side && Number(order.price) === Number(price));

  // Fills come at random moments (seeded), so neither path's polling is in step with them.
  let seed = 7;
  const pauseBeforeFill = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return sleep(Math.floor((seed / 2 ** 31) * 3 * pollMs));
  };
  /** Fill → replacement visible, alternating a buy filled at 95 (→ sell 100) and that sell (→ buy 95). */
  const measure = async (symbol: string) => {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await pauseBeforeFill();
      let t0 = performance.now();
      take(symbol, 'sell', '95');
      samples.push((await until(() => hasOrder(symbol, 'sell', '100'))) - t0);
      await pauseBeforeFill();
      t0 = performance.now();
      take(symbol, 'buy', '100');
      samples.push((await until(() => hasOrder(symbol, 'buy', '95'))) - t0);
    }
    return samples;
  };

  try {
    // Keel: a long grid 90..110 (5 levels) around 101 rests buys at 95 and 90.
    const ref = { workflowId: 'bench-grid-orchestrator', input: { shardCount: 1, idPrefix: 'bench-' } };
    await ensureOrchestrator(client, 'bench-grid', ref);
    const durable: Record<string, number[]> = {};
    for (const [symbol, replaceFromWatch] of [
      ['LAT-USDT', true],
      ['WFT-USDT', false],
    ] as const) {
      await orchestratorControl(client, ref).addSymbol(symbol, {
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
              replaceFromWatch,
            },
          },
        ],
      });
      await until(() => hasOrder(symbol, 'buy', '95') && hasOrder(symbol, 'buy', '90'), 60_000);
      durable[symbol] = await measure(symbol);
      await orchestratorControl(client, ref).removeSymbol(symbol);
    }

    // Baseline: a loop that polls open orders every pollMs (as the watch does) and replaces a vanished
    // order with a bare connector call.
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
    const baseline = await measure('RAW-USDT');
    polling = false;
    await poller;
    const steps = await durablePathBreakdown(client, 'bench-symbol:WFT-USDT');

    const row = (name: string, samples: number[]) =>
      `  ${name.padEnd(44)} p50 ${percentile(samples, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(samples, 99).toFixed(1).padStart(6)} ms`;
    const overhead = (samples: number[]) =>
      `p50 ${(percentile(samples, 50) - percentile(baseline, 50)).toFixed(1)} ms, ` +
      `p99 ${(percentile(samples, 99) - percentile(baseline, 99)).toFixed(1)} ms`;
    const watchPath = durable['LAT-USDT'] ?? [];
    const workflowPath = durable['WFT-USDT'] ?? [];
    console.log(
      `fill → replacement acknowledged, ${baseline.length} fills per path at random moments, venue polled every ${pollMs} ms`,
    );
    console.log(row('Keel, replacement placed by the watch', watchPath));
    console.log(row('Keel, replacement through a workflow task', workflowPath));
    console.log(row('baseline (poll → connector call)', baseline));
    console.log(`  overhead Keel adds (targets: p50 < 15 ms, p99 < 50 ms):`);
    console.log(`    replacement placed by the watch (default)   ${overhead(watchPath)}`);
    console.log(`    replacement through a workflow task         ${overhead(workflowPath)}`);
    console.log('  where the workflow-task path spends its time (from its history, p50 / p99):');
    for (const [name, samples] of Object.entries(steps)) console.log(row(`  ${name}`, samples));
  } finally {
    await stack.stop();
  }
}

await main();
