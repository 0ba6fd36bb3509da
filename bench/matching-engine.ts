/**
 * Matching-engine micro-benchmark: a mixed workload of passive adds, cancels and crossing orders on
 * one book, in-process, one core. Prints throughput (orders/s) and per-order latency percentiles.
 * Run: node --import tsx bench/matching-engine.ts [orders=2000000]
 */
import { BUY, SELL, BookOrder, GTC, IOC, OrderBook } from '../sim/engine/order-book';
import type { FillSink, Side } from '../sim/engine/order-book';
import { createPrng } from '../sim/prng';

const N = Number(process.argv[2] ?? 2_000_000);
const MID = 6_000_000;

const OP_ADD = 0;
const OP_CANCEL = 1;
const OP_CROSS = 2;

interface Workload {
  op: Uint8Array;
  side: Uint8Array;
  price: Float64Array;
  lots: Float64Array;
  cancelPick: Float64Array;
}

/** Pre-generated so the PRNG is not in the timed loop: 55 % adds, 30 % cancels, 15 % crossing IOC. */
function makeWorkload(n: number, seed: number): Workload {
  const rng = createPrng(seed);
  const w: Workload = {
    op: new Uint8Array(n),
    side: new Uint8Array(n),
    price: new Float64Array(n),
    lots: new Float64Array(n),
    cancelPick: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    const side = rng.next() < 0.5 ? BUY : SELL;
    w.side[i] = side;
    w.lots[i] = 1 + Math.floor(rng.next() * 100);
    w.cancelPick[i] = rng.next();
    if (r < 0.55) {
      w.op[i] = OP_ADD;
      const offset = 1 + Math.floor(rng.next() * 50);
      w.price[i] = side === BUY ? MID - offset : MID + offset;
    } else if (r < 0.85) {
      w.op[i] = OP_CANCEL;
    } else {
      w.op[i] = OP_CROSS;
      w.price[i] = side === BUY ? MID + 10 : MID - 10;
    }
  }
  return w;
}

class CountingSink implements FillSink {
  fills = 0;
  lots = 0;
  onFill(_maker: BookOrder, _taker: BookOrder, _price: number, lots: number): void {
    this.fills++;
    this.lots += lots;
  }
}

function run(w: Workload, timed: boolean): { seconds: number; latencies: Float64Array; fills: number } {
  const sink = new CountingSink();
  const book = new OrderBook(sink);
  // Resting ids we may cancel; swap-remove keeps it O(1). Stale ids (already filled) cancel as no-ops,
  // like a real cancel racing a fill.
  const live: number[] = [];
  const latencies = new Float64Array(timed ? w.op.length : 0);
  let nextId = 1;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < w.op.length; i++) {
    const s = timed ? process.hrtime.bigint() : 0n;
    const op = w.op[i];
    if (op === OP_CANCEL && live.length > 0) {
      const k = Math.floor(w.cancelPick[i]! * live.length);
      const id = live[k]!;
      live[k] = live[live.length - 1]!;
      live.pop();
      book.cancel(id);
    } else {
      const o = new BookOrder(nextId++, w.side[i] as Side, w.price[i]!, w.lots[i]!);
      const r = book.submit(o, op === OP_CROSS ? IOC : GTC, false);
      if (r === 0) live.push(o.id);
    }
    if (timed) latencies[i] = Number(process.hrtime.bigint() - s);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, latencies, fills: sink.fills };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const workload = makeWorkload(N, 42);
run(makeWorkload(200_000, 7), false); // warm-up so the JIT has optimised the hot path
const throughput = run(workload, false);
const latency = run(workload, true);
const sorted = latency.latencies.slice().sort();
console.log(
  `matching engine, ${N.toLocaleString()} orders (55% add / 30% cancel / 15% crossing IOC), one core`,
);
console.log(
  `  throughput: ${Math.round(N / throughput.seconds).toLocaleString()} orders/s (${throughput.fills.toLocaleString()} fills)`,
);
console.log(
  `  latency per order (ns, includes ~hrtime overhead): p50=${percentile(sorted, 0.5)} p99=${percentile(sorted, 0.99)} p99.9=${percentile(sorted, 0.999)} max=${sorted[sorted.length - 1]}`,
);
