/**
 * The simulated exchange as a process of its own: eight venue markets with live books and trades on
 * loopback, its own HTTP/WebSocket API, and optionally a Binance-compatible front that unmodified ccxt
 * (and ccxt.pro) can trade against.
 *
 *   npm run sim -- --port 7700 --binance-port 7701
 *
 * Options:
 *   --port N            (default 7700)            --host H        (default 127.0.0.1)
 *   --seed N            (default 1)               --symbols A,B   (default BTC-USDT,ETH-USDT,SOL-USDT,XRP-USDT)
 *   --clock realtime|manual  realtime: a timer steps the simulation every --tick-ms (default 100);
 *                            manual: time moves only via POST /admin/step
 *   --no-bots           synthetic prices and marks, but empty books
 *   --quiet-market      no synthetic process, no bots (exchange state only)
 *   --replay venue/market/SYMBOL=path.gz   drive that market from a Binance capture (repeatable)
 *   --fund ACCOUNT      credit ACCOUNT on every venue (base and quote of every spot pair, perp USDT)
 *   --binance-port N    also serve the simulator's binance venue as Binance REST + bookTicker streams
 *   --binance-key K --binance-secret S --binance-account A
 *                       the API key the front accepts and the account it trades for
 *                       (default keel-sim-key / keel-sim-secret / keel; the account is funded)
 */
import { parseArgs } from 'node:util';
import { SimExchange } from './exchange';
import { binanceFrontApiUrls, binanceFrontWsUrls, createBinanceFront } from './fronts/binance';
import { runInRealTime } from './realtime';
import { attachReplay, loadBinanceCapture } from './replay';
import { createSimServer } from './server/server';

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
    fund: { type: 'string', multiple: true },
    'binance-port': { type: 'string' },
    'binance-key': { type: 'string', default: 'keel-sim-key' },
    'binance-secret': { type: 'string', default: 'keel-sim-secret' },
    'binance-account': { type: 'string', default: 'keel' },
  },
});

const isPort = (value: number) => Number.isInteger(value) && value >= 0 && value <= 65535;
const bad: string[] = [];
const port = Number(values.port);
const seed = Number(values.seed);
const tickMs = Number(values['tick-ms']);
const binancePort = values['binance-port'] === undefined ? undefined : Number(values['binance-port']);
if (!isPort(port)) bad.push('--port');
if (!Number.isInteger(seed)) bad.push('--seed');
if (!(tickMs > 0)) bad.push('--tick-ms');
if (values.clock !== 'realtime' && values.clock !== 'manual') bad.push('--clock');
if (binancePort !== undefined && !isPort(binancePort)) bad.push('--binance-port');
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
for (const account of values.fund ?? []) exchange.fundAccount(account);

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

const front =
  binancePort === undefined
    ? undefined
    : createBinanceFront({
        exchange,
        credentials: [
          {
            apiKey: values['binance-key'],
            secret: values['binance-secret'],
            account: values['binance-account'],
          },
        ],
      });
if (front && binancePort !== undefined) {
  exchange.fundAccount(values['binance-account']);
  const frontUrl = await front.listen(binancePort, values.host);
  console.log(
    [
      `Binance front on ${frontUrl} for account ${values['binance-account']} (key ${values['binance-key']}).`,
      'Point ccxt at it (binance for spot, binanceusdm for USD-M perps):',
      `  urls.api = ${JSON.stringify(binanceFrontApiUrls(frontUrl))}`,
      `  urls.api.ws = ${JSON.stringify(binanceFrontWsUrls(frontUrl))}`,
    ].join('\n'),
  );
}

const stopClock = values.clock === 'realtime' ? runInRealTime(exchange, tickMs) : undefined;
// The clock's timer does not hold the process open; the servers do, until a signal closes them.
const shutdown = (): void => {
  stopClock?.();
  void Promise.all([server.close(), front?.close()]).then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
