import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureOrchestrator, orchestratorControl } from '../api/orchestrator';
import { latencyQuantile, LatencyHistogramSchema } from '../domain/latency-histogram';
import { runInRealTime } from '../sim/realtime';
import { startLocalStack } from '../workers/local-stack';
import { installRuntime } from '../workers/runtime';
import { createSimWorld } from '../workers/sim-world';
import { percentile, until } from './latency-kit';

/**
 * The signal strategy's decision → order acknowledged, through Keel's durable path (the loop's activity
 * returns the decision, a workflow task takes it, the exactly-once placement records it in PostgreSQL and
 * sends it) against a bare loop in this process that sends the same order straight through the connector,
 * no Temporal, no PostgreSQL. Both follow the same simulated touch: each round flips the book from
 * bid-heavy to ask-heavy (or back), and the time is from the flip to the order resting on the venue.
 * The strategy's own histograms add tick → decision (µs) and decision → ack as its workflow saw it (ms).
 *   node --import tsx bench/signal-durable-path.ts [--rounds 30]
 */
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const rounds = Number(values.rounds);

async function main() {
  installRuntime('ERROR');
  const [KEEL, RAW] = ['SIG-USDT', 'RAW-USDT'];
  const sim = createSimWorld([KEEL, RAW]);
  sim.exchange.fundAccount('mm');
  // The venue's clock runs, as a live venue's does: the loop's windows are in venue time.
  const stopClock = runInRealTime(sim.exchange);
  const market = sim.exchange.market('binance', 'spot');
  /** Rests a book whose imbalance says buy (bid-heavy) or sell, replacing the last one. */
  const flip = (symbol: string, heavy: 'buy' | 'sell') => {
    for (const order of market.openOrders('mm', symbol)) market.cancelOrder('mm', { orderId: order.orderId });
    const [bid, ask] = heavy === 'buy' ? ['50', '0.5'] : ['0.5', '50'];
    market.placeOrder({
      account: 'mm',
      symbol,
      side: 'buy',
      type: 'limit',
      price: '99.99',
      quantity: bid,
      timeInForce: 'GTC',
    });
    market.placeOrder({
      account: 'mm',
      symbol,
      side: 'sell',
      type: 'limit',
      price: '100.01',
      quantity: ask,
      timeInForce: 'GTC',
    });
  };
  const orders = (symbol: string) => market.accountOrders('keel', symbol).length;
  let seed = 11;
  const pause = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return sleep(20 + Math.floor((seed / 2 ** 31) * 80));
  };

  const stack = await startLocalStack({
    name: 'bench-signal',
    taskQueue: 'bench-signal',
    connectors: sim.connectors,
  });
  try {
    const ref = { workflowId: 'bench-signal-orchestrator', input: { shardCount: 1, idPrefix: 'bench-' } };
    await ensureOrchestrator(stack.client, 'bench-signal', ref);
    const control = orchestratorControl(stack.client, ref);
    flip(KEEL, 'buy');
    // Entries take the whole limit, so each flip is one exit and one entry; signals hold a minute.
    await control.addSymbol(KEEL, {
      venues: [{ venue: 'binance', market: 'spot', account: 'keel' }],
      strategies: [
        {
          name: 'signal',
          params: {
            maxPosition: '0.2',
            orderSizeFraction: 1,
            allowShort: true,
            minSamples: 1,
            maxSlippageBps: 0,
            // Its own prints run against each flip for a second: a lower bar keeps every flip a decision.
            generator: { kind: 'imbalance', decayMs: 60_000, minConfidence: 0.4 },
          },
        },
      ],
    });
    await until(() => orders(KEEL) >= 1, 60_000);
    const durable: number[] = [];
    let heavy: 'buy' | 'sell' = 'buy';
    for (let round = 0; round < rounds; round++) {
      await pause();
      const before = orders(KEEL);
      heavy = heavy === 'buy' ? 'sell' : 'buy';
      const t0 = performance.now();
      flip(KEEL, heavy);
      durable.push((await until(() => orders(KEEL) > before)) - t0);
      await until(() => orders(KEEL) >= before + 2);
    }
    const entry = await control.registered(KEEL);
    const state = (await control.symbolState(entry!.workflowId))?.strategies[0]?.state as Record<
      string,
      unknown
    >;
    const toAck = LatencyHistogramSchema.parse(state.decisionToAckMs);
    const toDecision = LatencyHistogramSchema.parse(state.tickToDecisionMicros);
    await control.removeSymbol(KEEL);

    // The bare loop: the same touch stream and rule, an IOC straight to the connector on each flip.
    const raw = sim.connectors('binance', 'spot', 'keel');
    const abort = new AbortController();
    let direction = 0;
    let next = 0;
    const watching = raw.watchBestBidAsk(
      [RAW],
      (quote) => {
        const imbalance =
          (Number(quote.bidSize) - Number(quote.askSize)) / (Number(quote.bidSize) + Number(quote.askSize));
        const want = imbalance >= 0.3 ? 1 : imbalance <= -0.3 ? -1 : 0;
        if (want === 0 || want === direction) return;
        direction = want;
        void raw.createOrder({
          symbol: RAW,
          clientOrderId: `RAW${next++}`,
          side: want > 0 ? 'buy' : 'sell',
          type: 'limit',
          price: want > 0 ? quote.ask : quote.bid,
          quantity: '0.2',
          timeInForce: 'IOC',
        });
      },
      abort.signal,
    );
    flip(RAW, 'buy');
    await until(() => orders(RAW) >= 1);
    const baseline: number[] = [];
    heavy = 'buy';
    for (let round = 0; round < rounds; round++) {
      await pause();
      const before = orders(RAW);
      heavy = heavy === 'buy' ? 'sell' : 'buy';
      const t0 = performance.now();
      flip(RAW, heavy);
      baseline.push((await until(() => orders(RAW) > before)) - t0);
    }
    abort.abort();
    await watching;

    const row = (name: string, samples: number[]) =>
      `  ${name.padEnd(40)} p50 ${percentile(samples, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(samples, 99).toFixed(1).padStart(6)} ms`;
    console.log(
      `book flip → order on the venue, ${rounds} flips per path at random moments (in-process simulator)`,
    );
    console.log(row('Keel (loop activity → workflow → ledger)', durable));
    console.log(row('baseline (loop → connector call)', baseline));
    console.log(
      `  overhead Keel adds: p50 ${(percentile(durable, 50) - percentile(baseline, 50)).toFixed(1)} ms, p99 ${(percentile(durable, 99) - percentile(baseline, 99)).toFixed(1)} ms`,
    );
    console.log("  from the strategy's own histograms (quarter-octave buckets: a percentile within 19%):");
    console.log(
      `    decision → acknowledged (workflow)       p50 ${latencyQuantile(toAck, 0.5)?.toFixed(1)} ms   p99 ${latencyQuantile(toAck, 0.99)?.toFixed(1)} ms   (${toAck.count} orders)`,
    );
    console.log(
      `    tick → decision (in the loop)            p50 ${latencyQuantile(toDecision, 0.5)?.toFixed(1)} µs   p99 ${latencyQuantile(toDecision, 0.99)?.toFixed(1)} µs`,
    );
  } finally {
    await stack.stop();
    stopClock();
  }
}

await main();
