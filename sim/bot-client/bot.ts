/**
 * The interface a bot process runs (`npm run sim:bot -- --strategy ./my-bot.ts:MyBot`): a class with a
 * no-argument constructor whose instances have `onTick` and/or `onMarket`. The runner (`runner.ts`)
 * gives every hook the same `BotContext` and never runs two hooks of one bot at once. A hook that
 * throws (or rejects) ends the bot process; the simulator and every other bot carry on.
 *
 *   import type { BotContext, ClientBot } from '<keel>/sim/bot-client/bot';
 *   export class MyBot implements ClientBot {
 *     readonly tickMs = 500;
 *     async onTick(ctx: BotContext) {
 *       const top = ctx.top();
 *       if (top?.bidPrice) await ctx.placeOrder({ side: 'buy', type: 'limit', quantity: '0.001', price: top.bidPrice });
 *     }
 *   }
 */
import type { MarketKind } from '../ids';
import type { Instrument } from '../instruments';
import type { Prng } from '../prng';
import type { Depth, Fill, Order, Top, Trade } from './wire';

export { BotRequestError } from './wire';
export type { Depth, Fill, Order, Top, Trade } from './wire';

/** An order for the bot's own account and symbol (the body of `POST /v1/{venue}/{market}/order`). */
export interface BotOrder {
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  /** Decimal strings on the instrument's grid: `ctx.instrument.formatQty(lots)`, `formatPrice(ticks)`. */
  quantity: string;
  price?: string;
  timeInForce?: 'GTC' | 'IOC' | 'FOK';
  postOnly?: boolean;
  reduceOnly?: boolean;
  clientOrderId?: string;
}

/** What changed on the feed since the bot's last `onMarket`: the newest touch and every trade since. */
export interface MarketUpdate {
  top: Top | undefined;
  trades: Trade[];
}

/** Everything a bot may see and do: one venue market, one symbol, one account. */
export interface BotContext {
  readonly url: string;
  readonly venue: string;
  readonly market: MarketKind;
  readonly symbol: string;
  readonly account: string;
  /** The symbol's filters and grid: `tickSize`/`lotSize` in `.spec`, `formatPrice`, `formatQty`, `ticksFromFloat`. */
  readonly instrument: Instrument;
  /** Seeded from `--seed` and the venue market, symbol and strategy: a bot's draws repeat run after run. */
  readonly random: Prng;
  /** Aborted when the bot is being stopped. */
  readonly signal: AbortSignal;
  /** The newest best bid/ask from the WebSocket feed (undefined until the first one). */
  top(): Top | undefined;
  /** The newest public trades seen on the feed since the bot started, oldest first (at most 200). */
  recentTrades(): readonly Trade[];
  /** `GET .../depth`: the book, `limit` levels a side (default 20). */
  depth(limit?: number): Promise<Depth>;
  /** `GET .../mark`: the mark price of the symbol on `market` (default the bot's own), `undefined` while there is none. */
  markPrice(market?: MarketKind): Promise<string | undefined>;
  /** `POST .../order`. A rejection throws `BotRequestError` with the venue's `reason`. */
  placeOrder(order: BotOrder): Promise<Order>;
  /** `DELETE .../order` by `orderId` or `clientOrderId`. */
  cancelOrder(ref: { orderId: string } | { clientOrderId: string }): Promise<Order>;
  /** `DELETE .../open-orders` for the symbol; how many were cancelled. */
  cancelAll(): Promise<number>;
  /** `GET .../open-orders` for the symbol. */
  openOrders(): Promise<Order[]>;
  /** `GET .../my-trades` for the symbol: the account's fills, oldest first. */
  myTrades(limit?: number): Promise<Fill[]>;
  /** One line on stdout, prefixed with the bot's name. */
  log(message: string): void;
}

/** A bot. Every hook is optional except that it needs `onTick` or `onMarket`. */
export interface ClientBot {
  /** Milliseconds between `onTick`s (default `--tick-ms`). A slow tick delays the next; ticks never pile up. */
  readonly tickMs?: number;
  /** Once, before the first tick or update. */
  start?(ctx: BotContext): void | Promise<void>;
  /** Every `tickMs`. */
  onTick?(ctx: BotContext): void | Promise<void>;
  /** After the feed changed; updates that arrive while a hook runs are merged into one. */
  onMarket?(ctx: BotContext, update: MarketUpdate): void | Promise<void>;
  /** Once, on SIGTERM/SIGINT, before the runner cancels the bot's open orders. */
  stop?(ctx: BotContext): void | Promise<void>;
}

/** Why `value` is not a `ClientBot`, or undefined when it is one. */
export function whyNotClientBot(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const bot = value as Record<string, unknown>;
  if (typeof bot.onTick !== 'function' && typeof bot.onMarket !== 'function')
    return 'it has neither onTick nor onMarket';
  for (const hook of ['start', 'stop', 'onTick', 'onMarket'])
    if (bot[hook] !== undefined && typeof bot[hook] !== 'function') return `${hook} is not a function`;
  if (bot.tickMs !== undefined && !(typeof bot.tickMs === 'number' && bot.tickMs > 0))
    return 'tickMs is not a positive number';
  return undefined;
}
