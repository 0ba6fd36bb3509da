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

export interface BotSizing {
  /** Order notional range in quote units. */
  minNotional: number;
  maxNotional: number;
}

function randomLots(inst: Instrument, prng: Prng, fairTicks: number, sizing: BotSizing): number {
  const notional = sizing.minNotional + prng.next() * (sizing.maxNotional - sizing.minNotional);
  const lots = inst.lotsFromFloat(notional / inst.ticksToFloat(fairTicks));
  return Math.min(inst.maxLots, Math.max(inst.minLots, lots));
}

/** Places an order, swallowing business rejections: a bot that can't trade this tick just waits. */
function tryPlace(
  market: VenueMarket,
  account: AccountId,
  inst: Instrument,
  side: Side,
  lots: number,
  opts: { priceTicks?: number; tif?: 'GTC' | 'IOC' },
): void {
  try {
    market.place({
      account,
      symbol: inst.symbol,
      side,
      type: opts.priceTicks === undefined ? 'market' : 'limit',
      quantity: inst.formatQty(lots),
      price: opts.priceTicks === undefined ? undefined : inst.formatPrice(opts.priceTicks),
      timeInForce: opts.tif,
    });
  } catch (e) {
    if (!(e instanceof SimError)) throw e;
  }
}

export interface MakerOptions extends BotSizing {
  levels: number;
  /** Half spread at the touch, bps of fair. */
  halfSpreadBps: number;
  /** Distance between successive levels, bps. */
  levelStepBps: number;
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
    for (const o of this.market.openRecords(this.account))
      if (o.inst === this.inst) this.market.cancelRecord(o);
    const bpsTicks = (fairTicks * 1) / 10_000;
    for (let i = 0; i < this.opts.levels; i++) {
      const offset = Math.max(
        1,
        Math.round(bpsTicks * (this.opts.halfSpreadBps + i * this.opts.levelStepBps)),
      );
      const bid = fairTicks - offset;
      if (bid > 0)
        tryPlace(
          this.market,
          this.account,
          this.inst,
          'buy',
          randomLots(this.inst, this.prng, fairTicks, this.opts),
          { priceTicks: bid },
        );
      tryPlace(
        this.market,
        this.account,
        this.inst,
        'sell',
        randomLots(this.inst, this.prng, fairTicks, this.opts),
        { priceTicks: fairTicks + offset },
      );
    }
  }
}

/** Crosses the spread with market orders at a random rate. */
export class TakerBot extends StatelessBot implements Bot {
  constructor(
    readonly account: AccountId,
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    protected readonly prng: Prng,
    private readonly opts: BotSizing & { probabilityPerStep: number },
  ) {
    super();
  }

  step(fairTicks: number): void {
    if (this.prng.next() >= this.opts.probabilityPerStep) return;
    const side = this.prng.next() < 0.5 ? 'buy' : 'sell';
    tryPlace(
      this.market,
      this.account,
      this.inst,
      side,
      randomLots(this.inst, this.prng, fairTicks, this.opts),
      {},
    );
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
    private readonly opts: BotSizing & {
      probabilityPerStep: number;
      widthBps: number;
      cancelEverySteps: number;
    },
  ) {}

  getState(): BotState {
    return { prng: this.prng.getState(), steps: this.steps };
  }

  setState(state: BotState): void {
    this.prng.setState(state.prng);
    this.steps = state.steps;
  }

  step(fairTicks: number): void {
    if (++this.steps % this.opts.cancelEverySteps === 0) {
      for (const o of this.market.openRecords(this.account))
        if (o.inst === this.inst) this.market.cancelRecord(o);
    }
    if (this.prng.next() >= this.opts.probabilityPerStep) return;
    const side = this.prng.next() < 0.5 ? 'buy' : 'sell';
    const offset = Math.round(((this.prng.next() * 2 - 1) * this.opts.widthBps * fairTicks) / 10_000);
    const price = Math.max(1, fairTicks + offset);
    const tif = this.prng.next() < 0.3 ? 'IOC' : 'GTC';
    tryPlace(
      this.market,
      this.account,
      this.inst,
      side,
      randomLots(this.inst, this.prng, fairTicks, this.opts),
      { priceTicks: price, tif },
    );
  }
}
