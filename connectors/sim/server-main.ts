/**
 * Standalone simulated exchange: eight venue markets with live books and trades on loopback.
 *   node --import tsx connectors/sim/server-main.ts --port 7700
 * Options:
 *   --port N            (default 7700)            --host H        (default 127.0.0.1)
 *   --seed N            (default 1)               --symbols A,B   (default BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT)
 *   --clock realtime|manual  realtime: a timer steps the simulation every --tick-ms (default 100);
 *                            manual: time moves only via POST /admin/step
 *   --no-bots           synthetic prices and marks, but empty books
 *   --quiet-market      no synthetic process, no bots (exchange state only)
 *   --replay venue/market/SYMBOL=path.gz   drive that market from a Binance capture (repeatable)
 */
import { parseArgs } from 'node:util';
import { SimExchange } from './exchange';
import { attachReplay, loadBinanceCapture } from './replay';
import { createSimServer } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7700' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    symbols: { type: 'string' },
    clock: { type: 'string', default: 'realtime' },
    'tick-ms': { type: 'string', default: '100' },
    'no-bots': { type: 'boolean', default: false },
    'quiet-market': { type: 'boolean', default: false },
    replay: { type: 'string', multiple: true },
  },
});

const bad: string[] = [];
const port = Number(values.port);
const seed = Number(values.seed);
const tickMs = Number(values['tick-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) bad.push('--port');
if (!Number.isInteger(seed)) bad.push('--seed');
if (!(tickMs > 0)) bad.push('--tick-ms');
if (values.clock !== 'realtime' && values.clock !== 'manual') bad.push('--clock');
if (bad.length > 0) {
  console.error(`bad options: ${bad.join(', ')}`);
  process.exit(2);
}

const exchange = new SimExchange({
  seed,
  startTime: Date.now(),
  ...(values.symbols ? { symbols: values.symbols.split(',') } : {}),
  synthetic: values['quiet-market'] ? false : { bots: !values['no-bots'] },
});

for (const spec of values.replay ?? []) {
  const [target, file] = spec.split('=');
  const [venue, kind, symbol] = (target ?? '').split('/');
  if (!venue || !kind || !symbol || !file) {
    console.error(`bad --replay ${spec}; expected venue/market/SYMBOL=path.gz`);
    process.exit(2);
  }
  const events = await loadBinanceCapture(file);
  attachReplay(exchange, venue, kind, symbol, events);
  console.log(`replaying ${events.length} events into ${venue}/${kind} ${symbol}`);
}

const server = createSimServer(exchange);
const url = await server.listen(port, values.host);
console.log(
  `simulated exchange on ${url} (ws ${url.replace('http', 'ws')}/ws), clock=${values.clock}, seed=${seed}`,
);

let timer: NodeJS.Timeout | undefined;
if (values.clock === 'realtime') {
  let last = Date.now();
  timer = setInterval(() => {
    const now = Date.now();
    exchange.step(Math.max(0, now - last));
    last = now;
  }, tickMs);
}

const shutdown = (): void => {
  if (timer) clearInterval(timer);
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
