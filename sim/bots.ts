import type { Side } from '../domain/trading';
import { SimError } from './errors';
import type { AccountId } from './ids';
import type { Instrument } from './instruments';
import type { Prng, PrngState } from './prng';
import type { VenueMarket } from './venue-market';

/** What a bot carries between steps: its random stream and how many steps it took. */
export interface BotState {
  prng: PrngState;
  steps: number;
}

export interface Bot {
  readonly account: AccountId;
  /** Acts once, given the current fair price in ticks for its symbol. */
  step(fairTicks: number): void;
  getState(): BotState;
  setState(state: BotState): void;
}

/**
 * What a liquidity bot decides to do in one step, in order: cancel its resting orders on the symbol, or
 * place one order (`priceTicks` absent: a market order). The decision functions below are pure apart
 * from drawing on the given PRNG; the in-process bots here and the bot processes in `bot-client/` carry
 * the actions out, each on its own side of the wire.
 */
export type BotAction =
  | { type: 'cancel-all' }
  | { type: 'place'; side: Side; lots: number; priceTicks?: number; tif?: 'GTC' | 'IOC' };

export interface BotSizing {
  /** Order notional range in quote units. */
  minNotional: number;
  maxNotional: number;
}

export interface MakerOptions extends BotSizing {
  levels: number;
  /** Half spread at the touch, bps of fair. */
  halfSpreadBps: number;
  /** Distance between successive levels, bps. */
  levelStepBps: number;
}

export interface TakerOptions extends BotSizing {
  probabilityPerStep: number;
}

export interface RandomOptions extends BotSizing {
  probabilityPerStep: number;
  widthBps: number;
  cancelEverySteps: number;
}

/** The settings the synthetic market gives its bots (`SimExchange`), also the bot processes' defaults. */
export const DEFAULT_MAKER_OPTIONS: Readonly<MakerOptions> = {
  levels: 10,
  halfSpreadBps: 1,
  levelStepBps: 1,
  minNotional: 1_000,
  maxNotional: 20_000,
};
export const DEFAULT_TAKER_OPTIONS: Readonly<TakerOptions> = {
  probabilityPerStep: 0.3,
  minNotional: 200,
  maxNotional: 5_000,
};
export const DEFAULT_RANDOM_OPTIONS: Readonly<RandomOptions> = {
  probabilityPerStep: 0.5,
  widthBps: 10,
  cancelEverySteps: 20,
  minNotional: 100,
  maxNotional: 3_000,
};

function randomLots(inst: Instrument, prng: Prng, fairTicks: number, sizing: BotSizing): number {
  const notional = sizing.minNotional + prng.next() * (sizing.maxNotional - sizing.minNotional);
  const lots = inst.lotsFromFloat(notional / inst.ticksToFloat(fairTicks));
  return Math.min(inst.maxLots, Math.max(inst.minLots, lots));
}

/** The maker's step: cancel its ladder, then `levels` bids and asks around fair value. */
export function makerActions(
  inst: Instrument,
  prng: Prng,
  fairTicks: number,
  opts: MakerOptions,
): BotAction[] {
  const actions: BotAction[] = [{ type: 'cancel-all' }];
  const bpsTicks = (fairTicks * 1) / 10_000;
  for (let i = 0; i < opts.levels; i++) {
    const offset = Math.max(1, Math.round(bpsTicks * (opts.halfSpreadBps + i * opts.levelStepBps)));
    const bid = fairTicks - offset;
    if (bid > 0)
      actions.push({
        type: 'place',
        side: 'buy',
        lots: randomLots(inst, prng, fairTicks, opts),
        priceTicks: bid,
      });
    actions.push({
      type: 'place',
      side: 'sell',
      lots: randomLots(inst, prng, fairTicks, opts),
      priceTicks: fairTicks + offset,
    });
  }
  return actions;
}

/** The taker's step: with `probabilityPerStep`, one market order on a random side. */
export function takerActions(
  inst: Instrument,
  prng: Prng,
  fairTicks: number,
  opts: TakerOptions,
): BotAction[] {
  if (prng.next() >= opts.probabilityPerStep) return [];
  const side = prng.next() < 0.5 ? 'buy' : 'sell';
  return [{ type: 'place', side, lots: randomLots(inst, prng, fairTicks, opts) }];
}

/**
 * The random trader's step number `step` (1-based): every `cancelEverySteps` steps it cancels its
 * resting orders; then, with `probabilityPerStep`, one limit order within `widthBps` of fair, 30 % IOC.
 */
export function randomActions(
  inst: Instrument,
  prng: Prng,
  fairTicks: number,
  step: number,
  opts: RandomOptions,
): BotAction[] {
  const actions: BotAction[] = [];
  if (step % opts.cancelEverySteps === 0) actions.push({ type: 'cancel-all' });
  if (prng.next() >= opts.probabilityPerStep) return actions;
  const side = prng.next() < 0.5 ? 'buy' : 'sell';
  const offset = Math.round(((prng.next() * 2 - 1) * opts.widthBps * fairTicks) / 10_000);
  const price = Math.max(1, fairTicks + offset);
  const tif = prng.next() < 0.3 ? 'IOC' : 'GTC';
  actions.push({
    type: 'place',
    side,
    lots: randomLots(inst, prng, fairTicks, opts),
    priceTicks: price,
    tif,
  });
  return actions;
}

/** Carries actions out on the venue market directly, swallowing business rejections: a bot that can't trade this tick just waits. */
function apply(market: VenueMarket, account: AccountId, inst: Instrument, actions: BotAction[]): void {
  for (const a of actions) {
    if (a.type === 'cancel-all') {
      for (const o of market.openRecords(account)) if (o.inst === inst) market.cancelRecord(o);
      continue;
    }
    try {
      market.place({
        account,
        symbol: inst.symbol,
        side: a.side,
        type: a.priceTicks === undefined ? 'market' : 'limit',
        quantity: inst.formatQty(a.lots),
        price: a.priceTicks === undefined ? undefined : inst.formatPrice(a.priceTicks),
        timeInForce: a.tif,
      });
    } catch (e) {
      if (!(e instanceof SimError)) throw e;
    }
  }
}

/** A bot whose only state is its random stream. */
abstract class StatelessBot {
  protected abstract readonly prng: Prng;
  getState(): BotState {
    return { prng: this.prng.getState(), steps: 0 };
  }
  setState(state: BotState): void {
    this.prng.setState(state.prng);
  }
}

/** Quotes `levels` bids and asks around fair value, replacing its whole ladder every step. */
export class MakerBot extends StatelessBot implements Bot {
  constructor(
    readonly account: AccountId,
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    protected readonly prng: Prng,
    private readonly opts: MakerOptions,
  ) {
    super();
  }

  step(fairTicks: number): void {
    apply(this.market, this.account, this.inst, makerActions(this.inst, this.prng, fairTicks, this.opts));
  }
}

/** Crosses the spread with market orders at a random rate. */
export class TakerBot extends StatelessBot implements Bot {
  constructor(
    readonly account: AccountId,
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    protected readonly prng: Prng,
    private readonly opts: TakerOptions,
  ) {
    super();
  }

  step(fairTicks: number): void {
    apply(this.market, this.account, this.inst, takerActions(this.inst, this.prng, fairTicks, this.opts));
  }
}

/** Random limit orders near fair, some IOC; its resting orders are cancelled after a few steps. */
export class RandomBot implements Bot {
  private steps = 0;
  constructor(
    readonly account: AccountId,
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    private readonly prng: Prng,
    private readonly opts: RandomOptions,
  ) {}

  getState(): BotState {
    return { prng: this.prng.getState(), steps: this.steps };
  }

  setState(state: BotState): void {
    this.prng.setState(state.prng);
    this.steps = state.steps;
  }

  step(fairTicks: number): void {
    const actions = randomActions(this.inst, this.prng, fairTicks, ++this.steps, this.opts);
    apply(this.market, this.account, this.inst, actions);
  }
}
