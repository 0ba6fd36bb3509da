import type { Instrument } from '../instruments';
import type { Prng } from '../prng';
import type { BotContext, ClientBot, MarketUpdate } from './bot';
import { describeError, MarketFeed } from './venue-client';
import type { VenueClient } from './venue-client';
import type { Top, Trade } from './wire';

const RECENT_TRADES = 200;
/** Trades kept for an `onMarket` that is still running; older ones are dropped. */
const PENDING_TRADES = 1_000;

export interface RunBotOptions {
  /** Prefix of every log line, e.g. `maker bot1@binance/spot BTC-USDT`. */
  name: string;
  bot: ClientBot;
  client: VenueClient;
  instrument: Instrument;
  random: Prng;
  /** Tick interval when the bot does not set `tickMs`. */
  tickMs: number;
  /** How long a stop waits for a running hook and for the final cancel (default 5 s). */
  stopTimeoutMs?: number;
  /** Where log lines go (default stdout, failures to stderr). */
  log?: (line: string) => void;
  logError?: (line: string) => void;
}

export interface BotOutcome {
  ok: boolean;
  /** The one line logged when the bot failed. */
  error?: string;
}

export interface RunningBot {
  /** Resolves once the bot stopped (`ok`) or failed; the runner has then cancelled its open orders. */
  readonly done: Promise<BotOutcome>;
  /** Stops the bot: waits for a running hook, calls `stop`, cancels its open orders on the symbol. */
  stop(): Promise<BotOutcome>;
  /** Ends the bot as failed (e.g. an unhandled rejection the bot left behind). */
  fail(where: string, error: unknown): void;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([
    p,
    new Promise<undefined>((resolve) => {
      setTimeout(() => resolve(undefined), ms).unref();
    }),
  ]);

/**
 * Runs one bot: follows the feed, calls its hooks one at a time (ticks and market updates coalesce
 * while a hook runs), and ends it on `stop()` or on the first hook that throws. Nothing the bot does can
 * reach the simulator other than through its HTTP API.
 */
export function runBot(opts: RunBotOptions): RunningBot {
  const { bot, client, name } = opts;
  const log = opts.log ?? ((line: string) => console.log(line));
  const logError = opts.logError ?? ((line: string) => console.error(line));
  const stopTimeoutMs = opts.stopTimeoutMs ?? 5_000;
  const abort = new AbortController();
  let state: 'starting' | 'running' | 'ending' | 'done' = 'starting';
  let top: Top | undefined;
  const recent: Trade[] = [];
  const pending: Trade[] = [];
  let marketDirty = false;
  let tickDue = false;
  let busy: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let firstTop: () => void = () => {};
  const gotTop = new Promise<void>((resolve) => {
    firstTop = resolve;
  });
  let finish: (outcome: BotOutcome) => void = () => {};
  const done = new Promise<BotOutcome>((resolve) => {
    finish = resolve;
  });

  const ctx: BotContext = {
    url: client.options.url,
    venue: client.options.venue,
    market: client.options.market,
    symbol: client.options.symbol,
    account: client.options.account,
    instrument: opts.instrument,
    random: opts.random,
    signal: abort.signal,
    top: () => top,
    recentTrades: () => recent.slice(),
    depth: (limit) => client.depth(limit),
    markPrice: (market) => client.markPrice(market),
    placeOrder: (order) => client.placeOrder(order),
    cancelOrder: (ref) => client.cancelOrder(ref),
    cancelAll: () => client.cancelAll(),
    openOrders: () => client.openOrders(),
    myTrades: (limit) => client.myTrades(limit),
    log: (message) => log(`[${name}] ${message}`),
  };

  let feedDown = false;
  const feed = new MarketFeed(client, {
    onTop(t) {
      top = t;
      if (feedDown) log(`[${name}] market data feed back`);
      feedDown = false;
      firstTop();
      if (!bot.onMarket) return;
      marketDirty = true;
      pump();
    },
    onTrade(t) {
      recent.push(t);
      if (recent.length > RECENT_TRADES) recent.shift();
      if (!bot.onMarket) return;
      pending.push(t);
      if (pending.length > PENDING_TRADES) pending.shift();
      marketDirty = true;
      pump();
    },
    onDown(reason) {
      if (state === 'running' && !feedDown) log(`[${name}] market data feed down (${reason}); reconnecting`);
      feedDown = true;
    },
  });

  /** Runs due hooks one after the other until none is due; a throw ends the bot. */
  function pump(): void {
    if (busy || state !== 'running' || !(marketDirty || tickDue)) return;
    busy = drain().finally(() => {
      busy = undefined;
    });
  }

  async function drain(): Promise<void> {
    let where = '';
    try {
      while (state === 'running' && (marketDirty || tickDue)) {
        if (marketDirty) {
          marketDirty = false;
          const update: MarketUpdate = { top, trades: pending.splice(0) };
          where = 'onMarket';
          await bot.onMarket?.(ctx, update);
        }
        if (tickDue && state === 'running') {
          tickDue = false;
          where = 'onTick';
          await bot.onTick?.(ctx);
        }
      }
    } catch (e) {
      void end(`failed in ${where}: ${oneLine(e)}`);
    }
  }

  /** Stops ticking and the feed, cancels the bot's orders (best effort) and settles `done`. */
  async function end(error?: string): Promise<BotOutcome> {
    if (state === 'ending' || state === 'done') return done;
    state = 'ending';
    abort.abort();
    clearInterval(timer);
    if (error !== undefined) logError(`[${name}] ${error}`);
    else if (busy) await withTimeout(busy, stopTimeoutMs);
    if (error === undefined && bot.stop) {
      try {
        await withTimeout(Promise.resolve(bot.stop(ctx)), stopTimeoutMs);
      } catch (e) {
        error = `failed in stop: ${oneLine(e)}`;
        logError(`[${name}] ${error}`);
      }
    }
    feed.close();
    try {
      const n = await withTimeout(client.cancelAll(), stopTimeoutMs);
      if (n) log(`[${name}] cancelled ${n} open orders`);
    } catch (e) {
      log(`[${name}] could not cancel its open orders: ${oneLine(e)}`);
    }
    state = 'done';
    const outcome: BotOutcome = error === undefined ? { ok: true } : { ok: false, error };
    finish(outcome);
    return outcome;
  }

  void (async () => {
    feed.open();
    await withTimeout(gotTop, 2_000);
    if (state !== 'starting') return;
    try {
      await bot.start?.(ctx);
    } catch (e) {
      return void end(`failed in start: ${oneLine(e)}`);
    }
    if (state !== 'starting') return;
    state = 'running';
    const tickMs = bot.tickMs ?? opts.tickMs;
    if (bot.onTick) {
      timer = setInterval(() => {
        tickDue = true;
        pump();
      }, tickMs);
      tickDue = true;
    }
    pump();
  })();

  return {
    done,
    stop: () => end(),
    fail: (where, e) => void end(`failed in ${where}: ${oneLine(e)}`),
  };
}

/** The first line of an error: what a log line and a failing command print. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error && e.name !== 'Error' ? `${e.name}: ${describeError(e)}` : describeError(e);
  return (text.split('\n')[0] ?? '').trim() || 'unknown error';
}
