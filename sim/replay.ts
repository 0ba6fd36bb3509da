import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Side } from '../domain/trading';
import { SimError } from './errors';
import type { MarketDriver, SimExchange } from './exchange';
import type { AccountId } from './ids';
import { asAccountId } from './ids';
import type { Instrument } from './instruments';
import { isOpen, type VenueOrder } from './orders';
import type { VenueMarket } from './venue-market';

/** A price level as recorded: price and the quantity resting there (0: the level is gone). */
export type RecordedLevel = [price: string, qty: string];

/** One recorded market event, times in ms since the epoch (local receive time of the capture). */
export type ReplayEvent =
  | { kind: 'bbo'; ts: number; bid: string; bidQty: string; ask: string; askQty: string }
  | { kind: 'trade'; ts: number; price: string; qty: string; takerSide: 'buy' | 'sell' }
  | { kind: 'depth'; ts: number; bids: RecordedLevel[]; asks: RecordedLevel[] };

/** A recorded number: a decimal string that reads as a finite number, not below zero. */
const isAmount = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) && Number(value) >= 0;

const isLevels = (value: unknown): value is RecordedLevel[] =>
  Array.isArray(value) &&
  value.every(
    (level) => Array.isArray(level) && level.length >= 2 && isAmount(level[0]) && isAmount(level[1]),
  );

/**
 * Parses one line of the Binance capture: `<receive ns> <combined-stream JSON>` (bookTicker, trade and
 * depth diff streams). Returns undefined for other streams and for malformed lines.
 */
export function parseBinanceCaptureLine(line: string): ReplayEvent | undefined {
  const parsed = classifyBinanceCaptureLine(line);
  return typeof parsed === 'string' ? undefined : parsed;
}

/** A line's event, or why it has none: another stream (skipped as such) or a line that is not a message. */
export function classifyBinanceCaptureLine(line: string): ReplayEvent | 'other-stream' | 'malformed' {
  const space = line.indexOf(' ');
  if (space <= 0) return 'malformed';
  const ts = Math.floor(Number(line.slice(0, space)) / 1e6);
  if (!Number.isFinite(ts)) return 'malformed';
  const json = line.slice(space + 1);
  if (!json.includes('@bookTicker') && !json.includes('@trade') && !json.includes('@depth')) {
    return json.trimStart().startsWith('{') ? 'other-stream' : 'malformed';
  }
  let msg: { stream?: unknown; data?: Record<string, unknown> };
  try {
    msg = JSON.parse(json) as typeof msg;
  } catch {
    return 'malformed';
  }
  const d = msg.data;
  if (typeof msg.stream !== 'string' || !d) return 'malformed';
  if (msg.stream.endsWith('@bookTicker')) {
    const { b, B, a, A } = d;
    if (!isAmount(b) || !isAmount(B) || !isAmount(a) || !isAmount(A)) return 'malformed';
    return { kind: 'bbo', ts, bid: b, bidQty: B, ask: a, askQty: A };
  }
  if (msg.stream.endsWith('@trade')) {
    const { p, q, m } = d;
    if (!isAmount(p) || !isAmount(q) || typeof m !== 'boolean') return 'malformed';
    // m = buyer is the maker, so the aggressor sold.
    return { kind: 'trade', ts, price: p, qty: q, takerSide: m ? 'sell' : 'buy' };
  }
  if (msg.stream.includes('@depth')) {
    const { b, a } = d;
    if (!isLevels(b) || !isLevels(a)) return 'malformed';
    return {
      kind: 'depth',
      ts,
      bids: b.map(([price, qty]) => [price, qty]),
      asks: a.map(([price, qty]) => [price, qty]),
    };
  }
  return 'other-stream';
}

/** What reading a capture met: its lines, the events kept, and the lines skipped as malformed. */
export interface CaptureStats {
  lines: number;
  events: number;
  malformed: number;
}

/**
 * The capture's events, in order, up to `maxEvents`. Malformed lines are skipped and counted in `stats`
 * (a corrupt line never stops a replay, nor becomes a wrong event); other streams are skipped.
 */
export async function loadBinanceCapture(
  file: string,
  maxEvents = Number.POSITIVE_INFINITY,
  stats: CaptureStats = { lines: 0, events: 0, malformed: 0 },
): Promise<ReplayEvent[]> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  const out: ReplayEvent[] = [];
  for await (const line of lines) {
    stats.lines++;
    const e = classifyBinanceCaptureLine(line);
    if (e === 'malformed') stats.malformed++;
    else if (e !== 'other-stream') {
      out.push(e);
      stats.events++;
    }
    if (out.length >= maxEvents) {
      lines.close();
      break;
    }
  }
  return out;
}

/** Binance's decimals may be finer than our tick/lot; round to the instrument's grid. */
function ticksOf(inst: Instrument, price: string): number {
  const t = inst.parsePrice(price);
  return t instanceof SimError ? inst.ticksFromFloat(Number(price)) : t;
}

/** Recorded quantity in lots; 0 for a level that is gone (a recorded 0, or less than a lot). */
function recordedLots(inst: Instrument, qty: string): number {
  if (Number(qty) <= 0) return 0;
  return lotsOf(inst, qty);
}

function lotsOf(inst: Instrument, qty: string): number {
  const l = inst.parseQty(qty);
  return Math.min(
    inst.maxLots,
    Math.max(inst.minLots, l instanceof SimError ? inst.lotsFromFloat(Number(qty)) : l),
  );
}

/**
 * Drives one venue market from a recording. The `replay-maker` mirrors the recorded book: every recorded
 * level (best bid/ask, and the depth diffs' levels behind them) holds maker orders for its recorded
 * quantity, so an aggressive client order walks the recorded book. Each recorded trade is an IOC from
 * `replay-taker` at the trade's price, so it fills resting orders in the engine's price-time order.
 *
 * Queue position: a client order joining a level queues behind the quantity recorded there. A level that
 * grows gets new maker orders at its back (arrivals queue behind the client). A level that shrinks without
 * a trade loses maker quantity from its back first (the recording cannot say whose orders were
 * cancelled), reducing orders in place; quantity ahead of a client order goes only when the recorded level
 * has become smaller than it (what is ahead can never exceed what is there): the risk-averse queue model.
 * Trades at or through the client's price move it forward by their volume.
 * Recording time is mapped onto simulated time starting at `startAt`, `speed` times faster.
 */
export class ReplayDriver implements MarketDriver {
  private next = 0;
  private readonly maker: AccountId;
  private readonly taker: AccountId;
  private readonly offset: number;
  /** The maker's orders per side and price, oldest first. */
  private readonly makerAt: [Map<number, VenueOrder[]>, Map<number, VenueOrder[]>] = [
    new Map<number, VenueOrder[]>(),
    new Map<number, VenueOrder[]>(),
  ];
  /** The recorded best bid and ask, in ticks. */
  private touch: { bid?: number; ask?: number } = {};

  constructor(
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    private readonly events: ReplayEvent[],
    private readonly startAt: number,
    fund: (account: AccountId) => void,
    private readonly speed = 1,
  ) {
    this.maker = asAccountId('replay-maker');
    this.taker = asAccountId('replay-taker');
    for (const a of [this.maker, this.taker]) {
      market.transientAccounts.add(a);
      fund(a);
    }
    this.offset = events[0]?.ts ?? 0;
  }

  get done(): boolean {
    return this.next >= this.events.length;
  }

  /** The share of the recording played so far (0..1). */
  get progress(): number {
    return this.events.length === 0 ? 1 : this.next / this.events.length;
  }

  /** When the recorded event at `ts` happens on the simulated clock. */
  simulatedTime(ts: number): number {
    return this.startAt + (ts - this.offset) / this.speed;
  }

  /** The recording's time at simulated time `simMs` (the inverse of simulatedTime). */
  recordingTime(simMs: number): number {
    return this.offset + (simMs - this.startAt) * this.speed;
  }

  advanceTo(nowMs: number): void {
    while (this.next < this.events.length) {
      const e = this.events[this.next]!;
      if (this.simulatedTime(e.ts) > nowMs) break;
      this.next++;
      if (e.kind === 'bbo') this.quote(e);
      else if (e.kind === 'depth') this.depth(e);
      else this.trade(e);
    }
  }

  private quote(e: Extract<ReplayEvent, { kind: 'bbo' }>): void {
    const bid = ticksOf(this.inst, e.bid);
    const ask = ticksOf(this.inst, e.ask);
    this.touch = { bid, ask };
    if (this.market.kind === 'perp') this.market.setMarkTicks(this.inst.symbol, Math.round((bid + ask) / 2));
    // The touch is authoritative: maker levels better than it are stale.
    for (const [price] of this.makerAt[BUY_SIDE]) if (price > bid) this.level(BUY_SIDE, price, 0);
    for (const [price] of this.makerAt[SELL_SIDE]) if (price < ask) this.level(SELL_SIDE, price, 0);
    this.level(BUY_SIDE, bid, recordedLots(this.inst, e.bidQty));
    this.level(SELL_SIDE, ask, recordedLots(this.inst, e.askQty));
  }

  private depth(e: Extract<ReplayEvent, { kind: 'depth' }>): void {
    for (const [side, levels] of [
      [BUY_SIDE, e.bids],
      [SELL_SIDE, e.asks],
    ] as const)
      for (const [price, qty] of levels) {
        const ticks = ticksOf(this.inst, price);
        // A diff older than the touch may show a level across it: the touch wins.
        const across =
          side === BUY_SIDE
            ? this.touch.bid !== undefined && ticks > this.touch.bid
            : this.touch.ask !== undefined && ticks < this.touch.ask;
        if (!across) this.level(side, ticks, recordedLots(this.inst, qty));
      }
  }

  private trade(e: Extract<ReplayEvent, { kind: 'trade' }>): void {
    this.place(e.takerSide, ticksOf(this.inst, e.price), lotsOf(this.inst, e.qty), 'IOC', this.taker);
  }

  /** Brings the maker's quantity at one level to the recorded `lots` (see the class comment). */
  private level(side: BookSide, price: number, lots: number): void {
    const orders = (this.makerAt[side].get(price) ?? []).filter(isOpen);
    let held = orders.reduce((sum, order) => sum + order.lots - order.filledLots, 0);
    if (lots > held) {
      const added = this.place(side === BUY_SIDE ? 'buy' : 'sell', price, lots - held, 'GTC', this.maker);
      if (added && isOpen(added)) orders.push(added);
    }
    // Youngest first is back to front: quantity behind a client order goes before any ahead of it.
    for (let i = orders.length - 1; i >= 0 && held > lots; i--) {
      const order = orders[i]!;
      const take = Math.min(order.lots - order.filledLots, held - lots);
      this.market.reduceRecord(order, take);
      held -= take;
    }
    const open = orders.filter(isOpen);
    if (open.length > 0) this.makerAt[side].set(price, open);
    else this.makerAt[side].delete(price);
  }

  private place(side: Side, ticks: number, lots: number, tif: 'GTC' | 'IOC', account: AccountId) {
    try {
      return this.market.place({
        account,
        symbol: this.inst.symbol,
        side,
        type: 'limit',
        quantity: this.inst.formatQty(lots),
        price: this.inst.formatPrice(ticks),
        timeInForce: tif,
      });
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      return undefined;
    }
  }
}

type BookSide = 0 | 1;
const BUY_SIDE: BookSide = 0;
const SELL_SIDE: BookSide = 1;

/** Wires a recording into an exchange venue market with well-funded replay accounts. */
export function attachReplay(
  exchange: SimExchange,
  venue: string,
  kind: string,
  symbol: string,
  events: ReplayEvent[],
  speed = 1,
): ReplayDriver {
  const market = exchange.market(venue, kind);
  const inst = market.instrument(symbol);
  const v = exchange.venue(venue);
  const driver = new ReplayDriver(
    market,
    inst,
    events,
    exchange.clock.now(),
    (account) => {
      if (market.kind === 'perp') v.deposit('perp', account, inst.quote, '1000000000000');
      else {
        v.deposit('spot', account, inst.quote, '1000000000000');
        v.deposit('spot', account, inst.base, '1000000000');
      }
    },
    speed,
  );
  exchange.addDriver(driver, market);
  return driver;
}
