import {
  DEFAULT_MAKER_OPTIONS,
  DEFAULT_RANDOM_OPTIONS,
  DEFAULT_TAKER_OPTIONS,
  MakerBot,
  RandomBot,
  TakerBot,
} from './bots';
import type { Bot } from './bots';
import { ManualClock } from './clock';
import { DEPTH_STREAM_LEVELS, DepthTracker } from './depth-stream';
import type { DepthDiffView } from './depth-stream';
import { SimError } from './errors';
import { FaultInjector } from './faults';
import type { MarketKind, VenueName } from './ids';
import { VENUE_NAMES, asAccountId, asSymbolId } from './ids';
import type { Instrument } from './instruments';
import { MarketProcess } from './market-process';
import type { MarketProcessOptions } from './market-process';
import { orderView, tradeView } from './orders';
import type { OrderView, TradeView } from './orders';
import { createPrng } from './prng';
import type { Prng } from './prng';
import { inconsistent, parseSimSnapshot, SIM_SNAPSHOT_FORMAT, SIM_SNAPSHOT_VERSION } from './snapshot';
import type { SimSnapshot } from './snapshot';
import { SimVenue } from './venue';
import type { BookTop, VenueMarket } from './venue-market';
import { DEFAULT_ASSETS, DEFAULT_SYMBOLS, defaultVenueConfig } from './venues-config';
import type { VenueConfig } from './venues-config';

export type MarketDataEvent =
  | { type: 'bbo'; venue: VenueName; market: MarketKind; top: BookTop }
  | { type: 'trade'; venue: VenueName; market: MarketKind; trade: TradeView }
  | { type: 'depth'; venue: VenueName; market: MarketKind; diff: DepthDiffView }
  | { type: 'disconnect'; venue: VenueName; market: MarketKind };

export interface SyntheticMarketOptions extends Partial<Omit<MarketProcessOptions, 'venueMarkets'>> {
  /** Run liquidity bots (default true). */
  bots?: boolean;
}

export interface SimExchangeOptions {
  seed?: number;
  /** Simulated start time, ms since epoch (default 2024-01-01T00:00:00Z). */
  startTime?: number;
  clock?: ManualClock;
  symbols?: string[];
  venues?: VenueConfig[];
  /** Synthetic price process and bots; off unless given (unit tests usually want an empty, quiet exchange). */
  synthetic?: SyntheticMarketOptions | boolean;
}

export interface SnapshotOptions {
  /** Keep only the newest trades of each public tape (default: all the exchange holds). */
  tapeLimit?: number;
}

export interface RestoreOptions {
  /** The clock to run on (set to the snapshot's time); a new ManualClock by default. */
  clock?: ManualClock;
}

interface BotSlot {
  bot: Bot;
  venueMarket: string;
  market: VenueMarket;
  inst: Instrument;
}

/** Something else that moves a venue market when the clock advances (e.g. a recorded-data replay). */
export interface MarketDriver {
  advanceTo(nowMs: number): void;
}

const BOT_ACCOUNTS = ['bot-maker', 'bot-taker', 'bot-random'] as const;

/**
 * The whole simulated world: eight venue markets (four venues x spot/perp), one injected clock, one
 * seed. Deterministic: the same seed and the same sequence of calls produce the same trades.
 */
export class SimExchange {
  readonly clock: ManualClock;
  readonly seed: number;
  readonly prng: Prng;
  readonly faults: FaultInjector;
  readonly venues = new Map<VenueName, SimVenue>();
  process: MarketProcess | undefined;
  private readonly bots: BotSlot[] = [];
  private readonly drivers: MarketDriver[] = [];
  private readonly mdListeners: Array<{
    fn: (e: MarketDataEvent) => void;
    wantsBbo: ((key: string) => boolean) | undefined;
  }> = [];
  private readonly staleUntil = new Map<string, number>();
  private readonly staleSnapshots = new Map<string, BookTop>();
  /** `venue/market` keys driven by something else (replay): the synthetic process leaves them alone. */
  private readonly externallyDriven = new Set<string>();

  constructor(opts: SimExchangeOptions = {}) {
    this.clock = opts.clock ?? new ManualClock(opts.startTime ?? Date.UTC(2024, 0, 1));
    this.seed = (opts.seed ?? 1) >>> 0;
    this.prng = createPrng(this.seed);
    this.faults = new FaultInjector(this.prng.fork('faults'));
    const configs =
      opts.venues ?? VENUE_NAMES.map((v) => defaultVenueConfig(v, opts.symbols ?? DEFAULT_SYMBOLS));
    for (const cfg of configs) {
      const venue = new SimVenue(cfg, this.clock);
      this.venues.set(cfg.name, venue);
      for (const m of [venue.spot, venue.perp]) m.subscribe((e) => this.onMarketEvent(e.market, e));
    }
    if (opts.synthetic) this.enableSynthetic(opts.synthetic === true ? {} : opts.synthetic);
  }

  venue(name: string): SimVenue {
    const v = this.venues.get(name as VenueName);
    if (!v) throw new SimError('UNKNOWN_VENUE', `venue=${name}`);
    return v;
  }

  market(venue: string, kind: string): VenueMarket {
    return this.venue(venue).market(kind);
  }

  *allMarkets(): Generator<VenueMarket> {
    for (const v of this.venues.values()) {
      yield v.spot;
      yield v.perp;
    }
  }

  /**
   * Credits `account` on every venue: `amount` of the base and quote asset of every spot instrument, and
   * `amount` USDT of perp margin. How a local world or a standalone simulator gets a funded trader.
   */
  fundAccount(account: string, amount = '1000000000'): void {
    for (const venue of this.venues.values()) {
      const assets = new Set<string>();
      for (const instrument of venue.spot.instruments()) {
        assets.add(instrument.base);
        assets.add(instrument.quote);
      }
      for (const asset of assets) venue.deposit('spot', account, asset, amount);
      venue.deposit('perp', account, 'USDT', amount);
    }
  }

  /** Starts the GBM + OU-basis price process and (unless bots: false) the liquidity bots. */
  enableSynthetic(opts: SyntheticMarketOptions): void {
    const assets = new Set<string>();
    for (const m of this.allMarkets()) for (const i of m.instruments()) assets.add(i.base);
    const initialPrices: Record<string, number> = {};
    for (const a of assets)
      initialPrices[a] = opts.initialPrices?.[a] ?? DEFAULT_ASSETS[a]?.initialPrice ?? 100;
    const venueMarkets = [...this.allMarkets()].map((m) => `${m.venue}/${m.kind}`);
    this.process = new MarketProcess(this.prng.fork('market'), { ...opts, initialPrices, venueMarkets });
    if (opts.bots !== false) this.createBots(true);
    this.syncSynthetic();
  }

  /** One maker, taker and random bot per venue market and symbol; `fund` credits their accounts. */
  private createBots(fund: boolean): void {
    for (const venue of this.venues.values()) {
      for (const market of [venue.spot, venue.perp]) {
        for (const name of BOT_ACCOUNTS) {
          const account = asAccountId(name);
          market.transientAccounts.add(account);
          if (fund && market.kind === 'perp') venue.deposit('perp', name, 'USDT', '1000000000000');
        }
        for (const inst of market.instruments()) {
          if (fund && market.kind === 'spot') {
            for (const name of BOT_ACCOUNTS) {
              venue.deposit('spot', name, inst.quote, '1000000000000');
              venue.deposit('spot', name, inst.base, '1000000000');
            }
          }
          const vm = `${market.venue}/${market.kind}`;
          const rng = (n: string): Prng => this.prng.fork(`${vm}/${inst.symbol}/${n}`);
          const slot = (bot: Bot): BotSlot => ({ bot, venueMarket: vm, market, inst });
          this.bots.push(
            slot(
              new MakerBot(asAccountId('bot-maker'), market, inst, rng('maker'), {
                ...DEFAULT_MAKER_OPTIONS,
              }),
            ),
            slot(
              new TakerBot(asAccountId('bot-taker'), market, inst, rng('taker'), {
                ...DEFAULT_TAKER_OPTIONS,
              }),
            ),
            slot(
              new RandomBot(asAccountId('bot-random'), market, inst, rng('random'), {
                ...DEFAULT_RANDOM_OPTIONS,
              }),
            ),
          );
        }
      }
    }
  }

  /**
   * The whole state as plain JSON (see `sim/snapshot.ts`): clock, PRNG streams, fault rules, every venue
   * market, accounts, funding, the synthetic process and its bots, frozen feeds. `SimExchange.restore`
   * turns it back into an exchange that answers every lookup alike and then behaves exactly as this
   * one would. Subscribers are not state. An exchange driven by a replay cannot be snapshotted.
   */
  snapshot(options: SnapshotOptions = {}): SimSnapshot {
    if (this.drivers.length > 0)
      throw new Error(
        'an exchange driven by a recorded replay cannot be snapshotted: the recording is not state',
      );
    return {
      format: SIM_SNAPSHOT_FORMAT,
      version: SIM_SNAPSHOT_VERSION,
      seed: this.seed,
      now: this.clock.now(),
      prng: this.prng.getState(),
      faults: this.faults.snapshot(),
      venues: [...this.venues.values()].map((v) => v.snapshot(options.tapeLimit)),
      synthetic: this.process
        ? {
            process: this.process.snapshot(),
            bots: this.bots.map((b) => ({
              venueMarket: b.venueMarket,
              symbol: b.inst.symbol,
              account: b.bot.account,
              ...b.bot.getState(),
            })),
          }
        : null,
      staleFeeds: [...this.staleUntil].map(([venueMarket, until]) => ({ venueMarket, until })),
      frozenTops: [...this.staleSnapshots].map(([key, top]) => ({ key, top: { ...top } })),
    };
  }

  /**
   * The exchange a snapshot describes. `input` is validated first (zod); a snapshot that is not one, of
   * another version, or inconsistent throws `SimSnapshotError` naming what is wrong.
   */
  static restore(input: unknown, options: RestoreOptions = {}): SimExchange {
    const s = parseSimSnapshot(input);
    const clock = options.clock ?? new ManualClock(s.now);
    clock.set(s.now);
    const ex = new SimExchange({ seed: s.seed, clock, venues: s.venues.map((v) => v.config) });
    ex.prng.setState(s.prng);
    ex.faults.restore(s.faults);
    for (const v of s.venues) ex.venue(v.config.name).restore(v);
    if (s.synthetic) {
      ex.process = MarketProcess.restore(ex.prng.fork('market'), s.synthetic.process);
      if (s.synthetic.bots.length > 0) ex.createBots(false);
      if (ex.bots.length !== s.synthetic.bots.length)
        inconsistent(`${s.synthetic.bots.length} bots in the snapshot, ${ex.bots.length} on its markets`);
      ex.bots.forEach((slot, i) => {
        const b = s.synthetic!.bots[i]!;
        if (
          b.venueMarket !== slot.venueMarket ||
          b.symbol !== slot.inst.symbol ||
          b.account !== slot.bot.account
        )
          inconsistent(`bot ${i} is ${b.account} on ${b.venueMarket} ${b.symbol}`);
        slot.bot.setState(b);
      });
    }
    for (const f of s.staleFeeds) ex.staleUntil.set(f.venueMarket, f.until);
    for (const f of s.frozenTops)
      ex.staleSnapshots.set(f.key, { ...f.top, symbol: asSymbolId(f.top.symbol) });
    return ex;
  }

  /** Adds a driver for one venue market; bots and synthetic marks stop acting on that market. */
  addDriver(driver: MarketDriver, market?: VenueMarket): void {
    this.drivers.push(driver);
    if (market) {
      const key = `${market.venue}/${market.kind}`;
      this.externallyDriven.add(key);
      for (const o of [...market.transientAccounts]) if (o.startsWith('bot-')) market.cancelAll(o);
    }
  }

  /** Advances simulated time: price process, marks, bots, replays, funding, liquidations, feed faults. */
  step(dtMs: number): void {
    this.clock.advance(dtMs);
    this.process?.advance(dtMs);
    this.syncSynthetic();
    const now = this.clock.now();
    for (const d of this.drivers) d.advanceTo(now);
    for (const v of this.venues.values()) {
      v.onClock();
      for (const m of [v.spot, v.perp]) this.applyMarketDataFaults(m, now);
    }
  }

  /** Pushes process prices into perp marks and funding, then lets bots act. */
  private syncSynthetic(): void {
    const p = this.process;
    if (!p) return;
    for (const v of this.venues.values()) {
      if (this.externallyDriven.has(`${v.name}/perp`)) continue;
      for (const inst of v.perp.instruments()) {
        const price = p.price(`${v.name}/perp`, inst.base);
        if (price !== undefined) v.perp.setMarkTicks(inst.symbol, inst.ticksFromFloat(price));
        const perpBps = p.basisBps(`${v.name}/perp`, inst.base) ?? 0;
        const spotBps = p.basisBps(`${v.name}/spot`, inst.base) ?? 0;
        // Premium clamped to +-0.075 % per interval, in rate*1e8 units (1 bp = 10_000).
        v.setSyntheticFundingRateE8(
          inst.symbol,
          Math.max(-75_000, Math.min(75_000, (perpBps - spotBps) * 10_000)),
        );
      }
    }
    for (const slot of this.bots) {
      if (this.externallyDriven.has(slot.venueMarket)) continue;
      const price = p.price(slot.venueMarket, slot.inst.base);
      if (price !== undefined) slot.bot.step(slot.inst.ticksFromFloat(price));
    }
  }

  private applyMarketDataFaults(m: VenueMarket, now: number): void {
    const f = this.faults.forMarketData(m.venue, m.kind);
    const key = `${m.venue}/${m.kind}`;
    if (f.staleForMs > 0) {
      if (!this.isStale(m.venue, m.kind))
        for (const s of m.symbolIds()) this.staleSnapshots.set(`${key}/${s}`, m.top(s));
      this.staleUntil.set(key, Math.max(this.staleUntil.get(key) ?? 0, now + f.staleForMs));
    }
    if (f.depthGap)
      for (const [followed, tracker] of this.depthTrackers)
        if (followed.startsWith(`${key}/`)) tracker.dropNext = true;
    if (f.disconnect) this.emit({ type: 'disconnect', venue: m.venue, market: m.kind });
  }

  isStale(venue: string, market: string): boolean {
    return (this.staleUntil.get(`${venue}/${market}`) ?? 0) > this.clock.now();
  }

  /** Best bid/ask as the feed shows it: frozen while the venue's feed is stale. */
  ticker(venue: string, market: string, symbol: string): BookTop {
    const m = this.market(venue, market);
    if (this.isStale(venue, market)) {
      const snap = this.staleSnapshots.get(`${venue}/${market}/${symbol}`);
      if (snap) return snap;
    }
    return m.top(symbol);
  }

  /**
   * One account's order updates on one venue market, as its private stream would carry them, each a
   * view taken when the change happened. Returns the unsubscribe.
   */
  onOrderUpdate(venue: string, market: string, account: string, listener: (order: OrderView) => void) {
    return this.market(venue, market).onOrderChange((order) => {
      if (order.account === account) listener(orderView(order));
    });
  }

  /**
   * Subscribes to market data. `wantsBbo("venue/market/SYMBOL")` lets a listener say which books it
   * follows, so book changes nobody watches cost nothing (the order-entry hot path).
   */
  onMarketData(listener: (e: MarketDataEvent) => void, wantsBbo?: (key: string) => boolean): () => void {
    const entry = { fn: listener, wantsBbo };
    this.mdListeners.push(entry);
    return () => {
      const i = this.mdListeners.indexOf(entry);
      if (i >= 0) this.mdListeners.splice(i, 1);
    };
  }

  private readonly depthTrackers = new Map<string, DepthTracker>();

  /**
   * Starts the depth diff stream of one book (`depth` events), or joins it: from the book as it is now, so
   * a snapshot taken after this call lines up with the diffs that follow. Returns the release.
   */
  followDepth(venue: string, market: string, symbol: string): () => void {
    const m = this.market(venue, market);
    const key = `${m.venue}/${m.kind}/${symbol}`;
    let tracker = this.depthTrackers.get(key);
    if (tracker) tracker.followers++;
    else {
      tracker = new DepthTracker(m.depth(symbol, DEPTH_STREAM_LEVELS));
      this.depthTrackers.set(key, tracker);
    }
    const followed = tracker;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--followed.followers === 0 && this.depthTrackers.get(key) === followed)
        this.depthTrackers.delete(key);
    };
  }

  /** A REST depth snapshot: the top `levels` levels and the update id they are current as of. */
  depthSnapshot(venue: string, market: string, symbol: string, levels: number) {
    return this.market(venue, market).depth(symbol, levels);
  }

  private readonly lastTop = new Map<string, string>();

  private onMarketEvent(m: VenueMarket, e: Parameters<Parameters<VenueMarket['subscribe']>[0]>[0]): void {
    if (this.mdListeners.length === 0 || this.isStale(m.venue, m.kind)) return;
    if (e.type === 'trade') {
      this.emit({ type: 'trade', venue: m.venue, market: m.kind, trade: tradeView(e.trade) });
      return;
    }
    const key = `${m.venue}/${m.kind}/${e.symbol}`;
    const diff = this.depthTrackers.get(key)?.next(m.depth(e.symbol, DEPTH_STREAM_LEVELS));
    if (diff) this.emit({ type: 'depth', venue: m.venue, market: m.kind, diff });
    if (!this.mdListeners.some((l) => l.wantsBbo === undefined || l.wantsBbo(key))) {
      this.lastTop.delete(key);
      return;
    }
    const top = m.top(e.symbol);
    const sig = `${top.bidPrice}|${top.bidQty}|${top.askPrice}|${top.askQty}`;
    if (this.lastTop.get(key) === sig) return;
    this.lastTop.set(key, sig);
    this.emit({ type: 'bbo', venue: m.venue, market: m.kind, top });
  }

  private emit(e: MarketDataEvent): void {
    for (const l of this.mdListeners) l.fn(e);
  }
}
