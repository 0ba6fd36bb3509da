import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Side } from '../domain/trading';
import { SimError } from './errors';
import type { MarketDriver, SimExchange } from './exchange';
import type { AccountId } from './ids';
import { asAccountId } from './ids';
import type { Instrument } from './instruments';
import type { VenueMarket } from './venue-market';

/** One recorded market event, times in ms since the epoch (local receive time of the capture). */
export type ReplayEvent =
  | { kind: 'bbo'; ts: number; bid: string; bidQty: string; ask: string; askQty: string }
  | { kind: 'trade'; ts: number; price: string; qty: string; takerSide: 'buy' | 'sell' };

/**
 * Parses one line of the Binance capture: `<receive ns> <combined-stream JSON>`. Returns undefined
 * for streams the replay does not use (depth) and for malformed lines.
 */
export function parseBinanceCaptureLine(line: string): ReplayEvent | undefined {
  const space = line.indexOf(' ');
  if (space <= 0) return undefined;
  const ts = Math.floor(Number(line.slice(0, space)) / 1e6);
  if (!Number.isFinite(ts)) return undefined;
  const json = line.slice(space + 1);
  if (!json.includes('@bookTicker') && !json.includes('@trade')) return undefined;
  let msg: { stream?: unknown; data?: Record<string, unknown> };
  try {
    msg = JSON.parse(json) as typeof msg;
  } catch {
    return undefined;
  }
  const d = msg.data;
  if (typeof msg.stream !== 'string' || !d) return undefined;
  if (msg.stream.endsWith('@bookTicker')) {
    const { b, B, a, A } = d;
    if (typeof b !== 'string' || typeof B !== 'string' || typeof a !== 'string' || typeof A !== 'string')
      return undefined;
    return { kind: 'bbo', ts, bid: b, bidQty: B, ask: a, askQty: A };
  }
  if (msg.stream.endsWith('@trade')) {
    const { p, q, m } = d;
    if (typeof p !== 'string' || typeof q !== 'string' || typeof m !== 'boolean') return undefined;
    // m = buyer is the maker, so the aggressor sold.
    return { kind: 'trade', ts, price: p, qty: q, takerSide: m ? 'sell' : 'buy' };
  }
  return undefined;
}

export async function loadBinanceCapture(
  file: string,
  maxEvents = Number.POSITIVE_INFINITY,
): Promise<ReplayEvent[]> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  const out: ReplayEvent[] = [];
  for await (const line of lines) {
    const e = parseBinanceCaptureLine(line);
    if (e) out.push(e);
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

function lotsOf(inst: Instrument, qty: string): number {
  const l = inst.parseQty(qty);
  return Math.min(
    inst.maxLots,
    Math.max(inst.minLots, l instanceof SimError ? inst.lotsFromFloat(Number(qty)) : l),
  );
}

/**
 * Drives one venue market from a recording: each best bid/ask becomes the replay maker's two quotes
 * (replacing the previous pair), each trade becomes an IOC from the replay taker at the trade price,
 * so client orders resting at or better than a recorded print get filled. Recording time is mapped
 * onto simulated time starting at `startAt`.
 */
export class ReplayDriver implements MarketDriver {
  private next = 0;
  private readonly maker: AccountId;
  private readonly taker: AccountId;
  private readonly offset: number;

  constructor(
    private readonly market: VenueMarket,
    private readonly inst: Instrument,
    private readonly events: ReplayEvent[],
    startAt: number,
    fund: (account: AccountId) => void,
  ) {
    this.maker = asAccountId('replay-maker');
    this.taker = asAccountId('replay-taker');
    for (const a of [this.maker, this.taker]) {
      market.transientAccounts.add(a);
      fund(a);
    }
    this.offset = startAt - (events[0]?.ts ?? startAt);
  }

  get done(): boolean {
    return this.next >= this.events.length;
  }

  advanceTo(nowMs: number): void {
    while (this.next < this.events.length) {
      const e = this.events[this.next]!;
      if (e.ts + this.offset > nowMs) break;
      this.next++;
      if (e.kind === 'bbo') this.quote(e);
      else this.trade(e);
    }
  }

  private quote(e: Extract<ReplayEvent, { kind: 'bbo' }>): void {
    for (const o of this.market.openRecords(this.maker))
      if (o.inst === this.inst) this.market.cancelRecord(o);
    const bid = ticksOf(this.inst, e.bid);
    const ask = ticksOf(this.inst, e.ask);
    if (this.market.kind === 'perp') this.market.setMarkTicks(this.inst.symbol, Math.round((bid + ask) / 2));
    this.place('buy', bid, lotsOf(this.inst, e.bidQty), 'GTC', this.maker);
    this.place('sell', ask, lotsOf(this.inst, e.askQty), 'GTC', this.maker);
  }

  private trade(e: Extract<ReplayEvent, { kind: 'trade' }>): void {
    this.place(e.takerSide, ticksOf(this.inst, e.price), lotsOf(this.inst, e.qty), 'IOC', this.taker);
  }

  private place(side: Side, ticks: number, lots: number, tif: 'GTC' | 'IOC', account: AccountId): void {
    try {
      this.market.place({
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
    }
  }
}

/** Wires a recording into an exchange venue market with well-funded replay accounts. */
export function attachReplay(
  exchange: SimExchange,
  venue: string,
  kind: string,
  symbol: string,
  events: ReplayEvent[],
): ReplayDriver {
  const market = exchange.market(venue, kind);
  const inst = market.instrument(symbol);
  const v = exchange.venue(venue);
  const driver = new ReplayDriver(market, inst, events, exchange.clock.now(), (account) => {
    if (market.kind === 'perp') v.deposit('perp', account, inst.quote, '1000000000000');
    else {
      v.deposit('spot', account, inst.quote, '1000000000000');
      v.deposit('spot', account, inst.base, '1000000000');
    }
  });
  exchange.addDriver(driver, market);
  return driver;
}
