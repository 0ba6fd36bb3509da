/**
 * Networked simulator benchmark over loopback. Spawns the server as a separate process (quiet market,
 * manual clock, so only the benchmark's orders cost CPU), then measures order entry:
 *   1. HTTP/1.1 keep-alive, several connections, fixed in-flight window;
 *   2. WebSocket order entry, pipelined.
 * Bounded: a fixed number of orders per phase (and a 60 s hard stop). Loopback only.
 * Run: node --import tsx bench/sim-server.ts [orders=100000]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { createPrng } from '../sim/prng';

const ORDERS = Number(process.argv[2] ?? 100_000);
const HTTP_CONNECTIONS = 16;
const HTTP_IN_FLIGHT = 64;
const WS_CONNECTIONS = 4;
const WS_WINDOW = 256;
const ACCOUNTS = 8;

const server = spawn(
  process.execPath,
  ['--import', 'tsx', 'sim/main.ts', '--port', '0', '--clock', 'manual', '--quiet-market'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded 60 s; stopping');
  server.kill();
  process.exit(1);
}, 60_000);

const base = await new Promise<string>((resolve, reject) => {
  server.stdout.on('data', (d: Buffer) => {
    const m = /on (http:\/\/[\d.:]+)/.exec(String(d));
    if (m?.[1]) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});
const url = new URL(base);
const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONNECTIONS });

function post(path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

for (let a = 0; a < ACCOUNTS; a++) {
  await post(
    '/admin/deposit',
    JSON.stringify({
      venue: 'binance',
      wallet: 'spot',
      account: `b${a}`,
      asset: 'USDT',
      amount: '100000000000',
    }),
  );
  await post(
    '/admin/deposit',
    JSON.stringify({ venue: 'binance', wallet: 'spot', account: `b${a}`, asset: 'BTC', amount: '10000000' }),
  );
}

/** Limit orders around 50000 on both sides so roughly a third of them trade; 20 % IOC. */
function orderBodies(n: number, seed: number): string[] {
  const rng = createPrng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const buy = rng.next() < 0.5;
    const offset = rng.int(-20, 60) * 0.01;
    const price = (buy ? 50000 - offset : 50000 + offset).toFixed(2);
    out.push(
      JSON.stringify({
        account: `b${i % ACCOUNTS}`,
        symbol: 'BTC-USDT',
        side: buy ? 'buy' : 'sell',
        type: 'limit',
        quantity: (0.001 * rng.int(1, 20)).toFixed(3),
        price,
        timeInForce: rng.next() < 0.2 ? 'IOC' : 'GTC',
      }),
    );
  }
  return out;
}

function pct(sorted: number[], p: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! / 1000).toFixed(0);
}

async function httpPhase(bodies: string[], label = 'HTTP keep-alive'): Promise<void> {
  let next = 0;
  let errors = 0;
  const lat: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const t = process.hrtime.bigint();
      const status = await post('/v1/binance/spot/order', body);
      lat.push(Number(process.hrtime.bigint() - t));
      if (status !== 200) errors++;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: HTTP_IN_FLIGHT }, worker));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  console.log(
    `  ${label} (${HTTP_CONNECTIONS} connections, ${HTTP_IN_FLIGHT} in flight): ${Math.round(bodies.length / s).toLocaleString()} orders/s, round trip p50=${pct(lat, 0.5)} µs p99=${pct(lat, 0.99)} µs, non-200: ${errors}`,
  );
}

async function wsPhase(bodies: string[]): Promise<void> {
  const per = Math.ceil(bodies.length / WS_CONNECTIONS);
  let errors = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: WS_CONNECTIONS }, async (_, c) => {
      const mine = bodies.slice(c * per, (c + 1) * per);
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
      await once(ws, 'open');
      let sent = 0;
      let done = 0;
      const send = (): void => {
        const body = mine[sent];
        ws.send(`{"op":"placeOrder","id":${sent},"venue":"binance","market":"spot","order":${body}}`);
        sent++;
      };
      await new Promise<void>((resolve) => {
        ws.on('message', (d) => {
          if (!(d as Buffer).toString().includes('"ok":true')) errors++;
          done++;
          if (sent < mine.length) send();
          if (done === mine.length) resolve();
        });
        while (sent < Math.min(WS_WINDOW, mine.length)) send();
      });
      ws.close();
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `  WebSocket order entry (${WS_CONNECTIONS} connections, window ${WS_WINDOW}): ${Math.round(bodies.length / s).toLocaleString()} orders/s, errors: ${errors}`,
  );
}

try {
  console.log(
    `simulator server over loopback, ${ORDERS.toLocaleString()} orders per phase (server in its own process)`,
  );
  await httpPhase(orderBodies(Math.min(5000, ORDERS), 1), 'warm-up, not a result: HTTP');
  await httpPhase(orderBodies(ORDERS, 2));
  await wsPhase(orderBodies(ORDERS, 3));
} finally {
  clearTimeout(hardStop);
  agent.destroy();
  server.kill('SIGTERM');
}
