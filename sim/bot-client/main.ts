/**
 * One bot as a process of its own, trading against the networked simulator (`npm run sim`) like any
 * client: it follows the server's WebSocket feed and places and cancels orders through its HTTP API.
 * If it fails, it logs one line and exits 1; the simulator and the other bots carry on.
 *
 *   npm run sim:bot -- --url http://127.0.0.1:7700 --venue binance --market spot --symbol BTC-USDT \
 *     --account bot1 --strategy maker
 *   npm run sim:bot -- --account me --strategy ./my-bot.ts:MyBot
 *
 * Options:
 *   --strategy S      maker | taker | random, or PATH:EXPORT (a module, relative to the current directory,
 *                     whose named export implements ClientBot, see bot.ts)          (required)
 *   --account A       the account it trades for; fund it first (npm run sim -- --fund A)   (required)
 *   --url U           (default http://127.0.0.1:7700)
 *   --venue V --market spot|perp --symbol S   (default binance, spot, BTC-USDT)
 *   --tick-ms N       ms between ticks unless the bot sets tickMs (default 500)
 *   --seed N          seeds ctx.random (default 1)
 *   --price P         built-in bots: fair price to start from while the venue shows none
 * Exit codes: 0 stopped by SIGTERM/SIGINT, 1 the bot failed or the simulator is unreachable, 2 bad options.
 */
import { parseArgs } from 'node:util';
import { MarketKindSchema } from '../../domain/venues';
import { Instrument } from '../instruments';
import { createPrng } from '../prng';
import { BotRequestError } from './bot';
import { loadStrategy, StrategyError } from './load';
import { oneLine, runBot } from './runner';
import { VenueClient } from './venue-client';

function exit(code: number, line: string): never {
  console.error(line);
  process.exit(code);
}

let values;
try {
  values = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:7700' },
      venue: { type: 'string', default: 'binance' },
      market: { type: 'string', default: 'spot' },
      symbol: { type: 'string', default: 'BTC-USDT' },
      account: { type: 'string' },
      strategy: { type: 'string' },
      'tick-ms': { type: 'string', default: '500' },
      seed: { type: 'string', default: '1' },
      price: { type: 'string' },
    },
  }).values;
} catch (e) {
  exit(2, `bad options: ${oneLine(e)}`);
}

const bad: string[] = [];
const market = MarketKindSchema.safeParse(values.market);
const tickMs = Number(values['tick-ms']);
const seed = Number(values.seed);
if (!values.strategy) bad.push('--strategy is required');
if (!values.account) bad.push('--account is required');
if (!market.success) bad.push('--market must be spot or perp');
if (!(Number.isFinite(tickMs) && tickMs > 0)) bad.push('--tick-ms must be a positive number');
if (!Number.isInteger(seed)) bad.push('--seed must be an integer');
if (values.price !== undefined && !(Number(values.price) > 0)) bad.push('--price must be a positive number');
if (!URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol))
  bad.push('--url must be an http:// URL');
if (bad.length > 0 || !market.success || !values.strategy || !values.account)
  exit(2, `bad options: ${bad.join('; ')}`);

let strategy;
try {
  strategy = await loadStrategy(values.strategy, values.price === undefined ? {} : { price: values.price });
} catch (e) {
  exit(2, e instanceof StrategyError ? e.message : `bad --strategy ${values.strategy}: ${oneLine(e)}`);
}

const client = new VenueClient({
  url: values.url,
  venue: values.venue,
  market: market.data,
  symbol: values.symbol,
  account: values.account,
});
let instrument: Instrument;
try {
  instrument = new Instrument(await client.instrument());
} catch (e) {
  if (e instanceof BotRequestError && e.reason !== 'TRANSPORT')
    exit(2, `bad options: ${values.venue}/${market.data} ${values.symbol}: ${e.message}`);
  exit(1, `cannot reach the simulator at ${values.url}: ${oneLine(e)}`);
}

const where = `${values.venue}/${market.data} ${values.symbol}`;
const name = `${strategy.name} ${values.account}@${where}`;
const running = runBot({
  name,
  bot: strategy.bot,
  client,
  instrument,
  random: createPrng(seed).fork(`${values.venue}/${market.data}/${values.symbol}/${strategy.name}`),
  tickMs,
});
console.log(
  `bot ${strategy.name} trading for ${values.account} on ${where} via ${values.url} (pid ${process.pid})`,
);

// A bot that leaves a promise or callback failing behind fails like one whose hook threw.
process.on('unhandledRejection', (e) => running.fail('a promise it did not await', e));
process.on('uncaughtException', (e) => running.fail('a callback', e));
const shutdown = (): void => void running.stop();
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
const outcome = await running.done;
process.exit(outcome.ok ? 0 : 1);
