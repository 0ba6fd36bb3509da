import {
  DEFAULT_MAKER_OPTIONS,
  DEFAULT_RANDOM_OPTIONS,
  DEFAULT_TAKER_OPTIONS,
  makerActions,
  randomActions,
  takerActions,
} from '../bots';
import type { BotAction, MakerOptions, RandomOptions, TakerOptions } from '../bots';
import type { Instrument } from '../instruments';
import type { Prng } from '../prng';
import { BotRequestError } from './bot';
import type { BotContext, ClientBot } from './bot';

export const BUILT_IN_BOTS = ['maker', 'taker', 'random'] as const;
export type BuiltInBotName = (typeof BUILT_IN_BOTS)[number];

export interface BuiltInBotOptions {
  /** Fair price to start from when the venue shows none yet (no book, no trade, no mark). */
  price?: string;
}

/**
 * Fair value in ticks, as a client can see it: on a perp the venue's mark (the synthetic process's
 * fair value when the simulator runs one, else its book mid or last trade); on spot the touch mid from
 * the feed, else the last trade seen, else the same venue's perp mark; else `fallback`.
 */
export async function referenceTicks(ctx: BotContext, fallback?: string): Promise<number | undefined> {
  const inst = ctx.instrument;
  const ticks = (price: string | null | undefined): number | undefined => {
    const n = Number(price);
    return price && n > 0 ? inst.ticksFromFloat(n) : undefined;
  };
  const mark = async (): Promise<number | undefined> => {
    try {
      return ticks(await ctx.markPrice('perp'));
    } catch (e) {
      if (e instanceof BotRequestError) return undefined;
      throw e;
    }
  };
  if (ctx.market === 'perp') return (await mark()) ?? ticks(fallback);
  const top = ctx.top();
  const bid = ticks(top?.bidPrice);
  const ask = ticks(top?.askPrice);
  if (bid !== undefined && ask !== undefined) return Math.round((bid + ask) / 2);
  return ticks(ctx.recentTrades().at(-1)?.price) ?? (await mark()) ?? ticks(fallback);
}

/**
 * Carries one step's actions out over the gateway. Like the in-process bots, a bot that cannot trade
 * this step just waits: refusals (and requests lost on the way) are swallowed.
 */
export async function applyActions(ctx: BotContext, inst: Instrument, actions: BotAction[]): Promise<void> {
  for (const a of actions) {
    try {
      if (a.type === 'cancel-all') await ctx.cancelAll();
      else
        await ctx.placeOrder({
          side: a.side,
          type: a.priceTicks === undefined ? 'market' : 'limit',
          quantity: inst.formatQty(a.lots),
          ...(a.priceTicks === undefined ? {} : { price: inst.formatPrice(a.priceTicks) }),
          ...(a.tif === undefined ? {} : { timeInForce: a.tif }),
        });
    } catch (e) {
      if (!(e instanceof BotRequestError)) throw e;
    }
  }
}

/** A built-in bot: each tick, the same decision as its in-process twin in `sim/bots.ts`. */
abstract class BuiltInBot implements ClientBot {
  constructor(protected readonly options: BuiltInBotOptions = {}) {}
  protected abstract decide(inst: Instrument, prng: Prng, fairTicks: number): BotAction[];

  async onTick(ctx: BotContext): Promise<void> {
    const fair = await referenceTicks(ctx, this.options.price);
    if (fair === undefined) return;
    await applyActions(ctx, ctx.instrument, this.decide(ctx.instrument, ctx.random, fair));
  }
}

/** Quotes `levels` bids and asks around fair value, replacing its whole ladder every tick. */
export class MakerClientBot extends BuiltInBot {
  constructor(
    options: BuiltInBotOptions = {},
    private readonly params: MakerOptions = DEFAULT_MAKER_OPTIONS,
  ) {
    super(options);
  }
  protected decide(inst: Instrument, prng: Prng, fair: number): BotAction[] {
    return makerActions(inst, prng, fair, this.params);
  }
}

/** Crosses the spread with market orders at a random rate. */
export class TakerClientBot extends BuiltInBot {
  constructor(
    options: BuiltInBotOptions = {},
    private readonly params: TakerOptions = DEFAULT_TAKER_OPTIONS,
  ) {
    super(options);
  }
  protected decide(inst: Instrument, prng: Prng, fair: number): BotAction[] {
    return takerActions(inst, prng, fair, this.params);
  }
}

/** Random limit orders near fair, some IOC; cancels its resting orders every `cancelEverySteps` ticks. */
export class RandomClientBot extends BuiltInBot {
  private steps = 0;
  constructor(
    options: BuiltInBotOptions = {},
    private readonly params: RandomOptions = DEFAULT_RANDOM_OPTIONS,
  ) {
    super(options);
  }
  protected decide(inst: Instrument, prng: Prng, fair: number): BotAction[] {
    return randomActions(inst, prng, fair, ++this.steps, this.params);
  }
}

export function createBuiltInBot(name: BuiltInBotName, options: BuiltInBotOptions = {}): ClientBot {
  switch (name) {
    case 'maker':
      return new MakerClientBot(options);
    case 'taker':
      return new TakerClientBot(options);
    case 'random':
      return new RandomClientBot(options);
  }
}
