import { ClientOrderIdRegistry } from './client-order-ids';
import type { Clock } from './clock';
import {
  BUY,
  BookOrder,
  EXPIRED,
  FILLED,
  FOK,
  GTC,
  IOC,
  MARKET_BUY_LIMIT,
  MARKET_SELL_LIMIT,
  OrderBook,
  POST_ONLY_REJECTED,
  SELL,
} from './engine/order-book';
import type { FillSink, Side, TimeInForce } from './engine/order-book';
import { SimError } from './errors';
import type { AccountId, MarketKind, SymbolId, VenueName } from './ids';
import { asAccountId, asClientOrderId, asSymbolId, asVenueOrderId } from './ids';
import { formatAtoms, Instrument } from './instruments';
import { isOpen, orderView, tradeView } from './orders';
import type { FillView, OrderView, PlaceOrderRequest, TradeRecord, TradeView, VenueOrder } from './orders';
import type { Settlement } from './settlement';
import { atoms, inconsistent } from './snapshot';
import type { OrderSnapshot, VenueMarketSnapshot } from './snapshot';
import type { ClientIdReuse, MarketConfig } from './venues-config';

const TIF: Record<string, TimeInForce> = { GTC, IOC, FOK };
const TAPE_LIMIT = 10_000;
const FILLS_LIMIT = 10_000;

export type MarketEvent =
  | { type: 'trade'; market: VenueMarket; trade: TradeRecord }
  | { type: 'book'; market: VenueMarket; symbol: SymbolId };

export interface BookTop {
  symbol: SymbolId;
  bidPrice: string | null;
  bidQty: string | null;
  askPrice: string | null;
  askQty: string | null;
  ts: number;
}

export interface BookDepth {
  symbol: SymbolId;
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  ts: number;
  /** The book's update sequence: one more per change to it (depth streams number their diffs by it). */
  lastUpdateId: number;
}

interface SymbolState {
  inst: Instrument;
  book: OrderBook;
  tape: TradeRecord[];
  /** Reference ("mark") price in ticks set by the market process or an admin; 0 = derive from book. */
  markTicks: number;
  lastTradeTicks: number;
  /** Changes to the book so far: its depth update sequence. */
  bookSequence: number;
}

export interface VenueMarketOptions {
  venue: VenueName;
  kind: MarketKind;
  config: MarketConfig;
  clientIdReuse: ClientIdReuse;
  clock: Clock;
  settlement: (market: VenueMarket) => Settlement;
}

/**
 * One market (spot or perp) of one venue: validation, client ids, funds, matching, tape.
 * All methods are synchronous and throw SimError on rejection, leaving state unchanged.
 */
export class VenueMarket implements FillSink {
  readonly venue: VenueName;
  readonly kind: MarketKind;
  readonly clientIds: ClientOrderIdRegistry<VenueOrder>;
  fees: MarketConfig['fees'];
  private readonly symbols = new Map<string, SymbolState>();
  private readonly orders = new Map<number, VenueOrder>();
  private readonly fills = new Map<AccountId, FillView[]>();
  /** Accounts (liquidity bots) whose closed orders are forgotten to keep memory bounded. */
  readonly transientAccounts = new Set<AccountId>();
  private readonly listeners: Array<(e: MarketEvent) => void> = [];
  private readonly orderListeners: Array<(order: VenueOrder) => void> = [];
  private readonly settlement: Settlement;
  private readonly clock: Clock;
  private nextSeq = 1;
  private nextTradeId = 1;

  constructor(opts: VenueMarketOptions) {
    this.venue = opts.venue;
    this.kind = opts.kind;
    this.fees = opts.config.fees;
    this.clock = opts.clock;
    this.clientIds = new ClientOrderIdRegistry(opts.clientIdReuse, isOpen);
    for (const spec of opts.config.instruments) {
      const inst = new Instrument(spec);
      this.symbols.set(inst.symbol, {
        inst,
        book: new OrderBook(this),
        tape: [],
        markTicks: 0,
        lastTradeTicks: 0,
        bookSequence: 0,
      });
    }
    this.settlement = opts.settlement(this);
  }

  subscribe(listener: (e: MarketEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Told of every change to a client's order as it happens (accepted, filled, closed, reduced): what a
   * venue's private order stream carries. Liquidity bots' orders are not told.
   */
  onOrderChange(listener: (order: VenueOrder) => void): () => void {
    this.orderListeners.push(listener);
    return () => {
      const i = this.orderListeners.indexOf(listener);
      if (i >= 0) this.orderListeners.splice(i, 1);
    };
  }

  instruments(): Instrument[] {
    return [...this.symbols.values()].map((s) => s.inst);
  }

  instrument(symbol: string): Instrument {
    return this.state(symbol).inst;
  }

  hasSymbol(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  private state(symbol: string): SymbolState {
    const s = this.symbols.get(symbol);
    if (!s) throw new SimError('UNKNOWN_SYMBOL', `symbol=${symbol} on ${this.venue}/${this.kind}`);
    return s;
  }

  placeOrder(req: PlaceOrderRequest): OrderView {
    return orderView(this.place(req));
  }

  /** Same as placeOrder but returns the live record (bots use it to avoid building views). */
  place(req: PlaceOrderRequest): VenueOrder {
    const s = this.state(req.symbol);
    const inst = s.inst;
    const account = asAccountId(req.account);
    if (!req.account) throw new SimError('MALFORMED_REQUEST', 'account is required');
    const lots = inst.parseQty(req.quantity);
    if (lots instanceof SimError) throw lots;
    let priceTicks: number | undefined;
    if (req.type === 'limit') {
      if (req.price === undefined) throw new SimError('PRICE_REQUIRED');
      const p = inst.parsePrice(req.price);
      if (p instanceof SimError) throw p;
      priceTicks = p;
    }
    const side: Side = req.side === 'buy' ? BUY : SELL;
    const refTicks = priceTicks ?? this.referenceTicks(s, side);
    // Replayed and bot liquidity is the venue's own, already accepted: only clients' orders meet the filters
    // (a recorded level of 0.0001 BTC is below a client's minimum notional, and still rests on the venue).
    const filterError = this.transientAccounts.has(account)
      ? undefined
      : inst.checkFilters(lots, refTicks || undefined);
    if (filterError) throw filterError;
    const tifName = req.type === 'market' ? 'IOC' : (req.timeInForce ?? 'GTC');
    const postOnly = req.postOnly === true;
    if (postOnly && (req.type === 'market' || tifName !== 'GTC')) {
      throw new SimError('MALFORMED_REQUEST', 'postOnly requires a GTC limit order');
    }
    if (req.reduceOnly && this.kind !== 'perp')
      throw new SimError('MALFORMED_REQUEST', 'reduceOnly is for perpetuals');
    const seq = this.nextSeq;
    const clientOrderId = asClientOrderId(req.clientOrderId ?? `sim-${this.venue}-${this.kind}-${seq}`);
    const dup = this.clientIds.check(account, clientOrderId);
    if (dup) throw dup;
    const limit = priceTicks ?? (side === BUY ? MARKET_BUY_LIMIT : MARKET_SELL_LIMIT);
    if (postOnly && s.book.wouldCross(side, limit)) throw new SimError('POST_ONLY_WOULD_CROSS');

    const now = this.clock.now();
    const order: VenueOrder = {
      seq,
      orderId: asVenueOrderId(`${this.venue}-${this.kind}-${seq}`),
      clientOrderId,
      account,
      venue: this.venue,
      market: this.kind,
      inst,
      side: req.side,
      type: req.type,
      timeInForce: tifName,
      postOnly,
      reduceOnly: req.reduceOnly === true,
      priceTicks,
      lots,
      filledLots: 0,
      cumQuoteAtoms: 0n,
      feeAtoms: 0n,
      feeAsset: this.settlement.feeAsset(inst, req.side),
      status: 'NEW',
      createdAt: now,
      updatedAt: now,
      reservedAtoms: 0n,
    };
    const sweepTickLots = priceTicks === undefined ? s.book.sweep(side, limit, lots).tickLots : 0n;
    const fundsError = this.settlement.reserve(order, sweepTickLots);
    if (fundsError) throw fundsError;

    this.nextSeq++;
    this.orders.set(seq, order);
    if (req.clientOrderId !== undefined) this.clientIds.record(account, clientOrderId, order);
    const result = s.book.submit(new BookOrder(seq, side, limit, lots, order), TIF[tifName]!, postOnly);
    if (result === POST_ONLY_REJECTED) throw new Error('unreachable: post-only cross was pre-checked');
    if (result === EXPIRED) this.close(order, 'EXPIRED');
    else if (result === FILLED) this.close(order, 'FILLED');
    this.orderChanged(order);
    this.emit({ type: 'book', market: this, symbol: inst.symbol });
    return order;
  }

  cancelOrder(
    account: string,
    ref: { clientOrderId?: string | undefined; orderId?: string | undefined },
  ): OrderView {
    const order = this.findOrder(account, ref);
    if (!isOpen(order)) throw new SimError('ORDER_NOT_OPEN', `status=${order.status}`);
    this.cancelRecord(order);
    return orderView(order);
  }

  /** Cancels every open order of an account (optionally one symbol); returns how many. */
  cancelAll(account: string, symbol?: string): number {
    let n = 0;
    for (const o of [...this.orders.values()]) {
      if (o.account === account && isOpen(o) && (symbol === undefined || o.inst.symbol === symbol)) {
        this.cancelRecord(o);
        n++;
      }
    }
    return n;
  }

  /**
   * Takes `lots` off an open order keeping its place in the queue (replayed liquidity shrinking); cancels it
   * when nothing would remain. Its reservation is released when it closes.
   */
  reduceRecord(order: VenueOrder, lots: number): void {
    if (!isOpen(order) || lots <= 0) return;
    if (lots >= order.lots - order.filledLots) return this.cancelRecord(order);
    this.state(order.inst.symbol).book.reduce(order.seq, lots);
    order.lots -= lots;
    order.updatedAt = this.clock.now();
    this.orderChanged(order);
    this.emit({ type: 'book', market: this, symbol: order.inst.symbol });
  }

  /** Internal cancel by record (bots, liquidation). */
  cancelRecord(order: VenueOrder): void {
    if (!isOpen(order)) return;
    this.state(order.inst.symbol).book.cancel(order.seq);
    this.close(order, 'CANCELED');
    this.orderChanged(order);
    this.emit({ type: 'book', market: this, symbol: order.inst.symbol });
  }

  getOrder(
    account: string,
    ref: { clientOrderId?: string | undefined; orderId?: string | undefined },
  ): OrderView {
    return orderView(this.findOrder(account, ref));
  }

  private findOrder(
    account: string,
    ref: { clientOrderId?: string | undefined; orderId?: string | undefined },
  ): VenueOrder {
    let order: VenueOrder | undefined;
    if (ref.clientOrderId !== undefined) {
      order = this.clientIds.lookup(asAccountId(account), asClientOrderId(ref.clientOrderId));
      // Generated ids are not registered; they embed the sequence.
      if (!order) order = this.bySeqSuffix(ref.clientOrderId, `sim-${this.venue}-${this.kind}-`);
    } else if (ref.orderId !== undefined) {
      order = this.bySeqSuffix(ref.orderId, `${this.venue}-${this.kind}-`);
    } else {
      throw new SimError('MALFORMED_REQUEST', 'clientOrderId or orderId is required');
    }
    if (!order || order.account !== account) throw new SimError('UNKNOWN_ORDER');
    return order;
  }

  private bySeqSuffix(id: string, prefix: string): VenueOrder | undefined {
    if (!id.startsWith(prefix)) return undefined;
    const seq = Number(id.slice(prefix.length));
    return Number.isSafeInteger(seq) ? this.orders.get(seq) : undefined;
  }

  openOrders(account: string, symbol?: string): OrderView[] {
    const out: OrderView[] = [];
    for (const o of this.orders.values()) {
      if (o.account === account && isOpen(o) && (symbol === undefined || o.inst.symbol === symbol))
        out.push(orderView(o));
    }
    return out;
  }

  /**
   * Every order the account ever placed here, open or closed, oldest first: what assertions need to count
   * orders per client order id (liquidity bots' closed orders are not kept).
   */
  accountOrders(account: string, symbol?: string): OrderView[] {
    const out: OrderView[] = [];
    for (const o of this.orders.values()) {
      if (o.account === account && (symbol === undefined || o.inst.symbol === symbol)) out.push(orderView(o));
    }
    return out;
  }

  /**
   * The most whole lots a market order given in quote would trade now: walking the opposite side of the
   * book as the order would, fills that cost (buy) or bring (sell) at most `quoteAtoms`. 0 when not one
   * lot fits; undefined when that side of the book is empty.
   */
  lotsForQuote(symbol: string, side: 'buy' | 'sell', quoteAtoms: bigint): number | undefined {
    const inst = this.instrument(symbol);
    const levels = this.book(symbol).depth(side === 'buy' ? SELL : BUY, Number.MAX_SAFE_INTEGER);
    if (levels.length === 0) return undefined;
    let lots = 0;
    let left = quoteAtoms;
    for (const [ticks, levelLots] of levels) {
      const perLot = inst.notionalAtoms(ticks, 1);
      const affordable = left / perLot;
      const take = affordable < BigInt(levelLots) ? Number(affordable) : levelLots;
      lots += take;
      left -= perLot * BigInt(take);
      if (take < levelLots) break;
    }
    return lots;
  }

  /** Open order records of an account (bots). */
  openRecords(account: AccountId): VenueOrder[] {
    const out: VenueOrder[] = [];
    for (const o of this.orders.values()) if (o.account === account && isOpen(o)) out.push(o);
    return out;
  }

  top(symbol: string): BookTop {
    const s = this.state(symbol);
    const bid = s.book.bestBid();
    const ask = s.book.bestAsk();
    return {
      symbol: s.inst.symbol,
      bidPrice: bid === undefined ? null : s.inst.formatPrice(bid),
      bidQty: bid === undefined ? null : s.inst.formatQty(s.book.bestLots(BUY)),
      askPrice: ask === undefined ? null : s.inst.formatPrice(ask),
      askQty: ask === undefined ? null : s.inst.formatQty(s.book.bestLots(SELL)),
      ts: this.clock.now(),
    };
  }

  bestTicks(symbol: string): { bid: number | undefined; ask: number | undefined } {
    const b = this.state(symbol).book;
    return { bid: b.bestBid(), ask: b.bestAsk() };
  }

  depth(symbol: string, levels: number): BookDepth {
    const s = this.state(symbol);
    const fmt = ([p, q]: [number, number]): [string, string] => [s.inst.formatPrice(p), s.inst.formatQty(q)];
    return {
      symbol: s.inst.symbol,
      bids: s.book.depth(BUY, levels).map(fmt),
      asks: s.book.depth(SELL, levels).map(fmt),
      ts: this.clock.now(),
      lastUpdateId: s.bookSequence,
    };
  }

  /** Underlying engine book (tests and diagnostics). */
  book(symbol: string): OrderBook {
    return this.state(symbol).book;
  }

  tape(symbol: string, limit = 100): TradeView[] {
    const t = this.state(symbol).tape;
    return t.slice(Math.max(0, t.length - limit)).map(tradeView);
  }

  /** The whole public tape in engine units, oldest first, read-only: for statistics such as candles. */
  tapeRecords(symbol: string): readonly TradeRecord[] {
    return this.state(symbol).tape;
  }

  accountFills(account: string, symbol?: string, limit = 1000): FillView[] {
    const all = this.fills.get(asAccountId(account)) ?? [];
    const filtered = symbol === undefined ? all : all.filter((f) => f.symbol === symbol);
    return filtered.slice(Math.max(0, filtered.length - limit));
  }

  setMarkTicks(symbol: string, ticks: number): void {
    this.state(symbol).markTicks = ticks;
  }

  setMarkPrice(symbol: string, price: string): void {
    const s = this.state(symbol);
    const ticks = s.inst.parsePrice(price);
    if (ticks instanceof SimError) throw ticks;
    s.markTicks = ticks;
  }

  /** Mark price in ticks: explicit mark, else mid of the book, else last trade (0 if none). */
  markTicks(symbol: string): number {
    const s = this.state(symbol);
    if (s.markTicks > 0) return s.markTicks;
    const bid = s.book.bestBid();
    const ask = s.book.bestAsk();
    if (bid !== undefined && ask !== undefined) return Math.round((bid + ask) / 2);
    return s.lastTradeTicks || bid || ask || 0;
  }

  markPrice(symbol: string): string {
    return this.state(symbol).inst.formatPrice(this.markTicks(symbol));
  }

  private referenceTicks(s: SymbolState, side: Side): number {
    const opp = side === BUY ? s.book.bestAsk() : s.book.bestBid();
    return opp ?? this.markTicks(s.inst.symbol);
  }

  /** FillSink: called by the book for each execution. */
  onFill(maker: BookOrder, taker: BookOrder, priceTicks: number, lots: number): void {
    const m = maker.owner as VenueOrder;
    const t = taker.owner as VenueOrder;
    const now = this.clock.now();
    this.settle(m, priceTicks, lots, this.fees.makerPpm, maker.remaining + lots, 'maker', now);
    this.settle(t, priceTicks, lots, this.fees.takerPpm, taker.remaining + lots, 'taker', now);
    const s = this.state(m.inst.symbol);
    s.lastTradeTicks = priceTicks;
    const trade: TradeRecord = {
      tradeId: this.nextTradeId++,
      ts: now,
      inst: m.inst,
      priceTicks,
      lots,
      takerSide: t.side,
      makerOrderId: m.orderId,
      takerOrderId: t.orderId,
    };
    s.tape.push(trade);
    if (s.tape.length > TAPE_LIMIT * 1.2) s.tape.splice(0, s.tape.length - TAPE_LIMIT);
    if (maker.remaining === 0) this.close(m, 'FILLED');
    // The taker is being placed: it is told once, when its placement is done.
    this.orderChanged(m);
    this.emit({ type: 'trade', market: this, trade });
  }

  private settle(
    o: VenueOrder,
    ticks: number,
    lots: number,
    feePpm: number,
    remainingBefore: number,
    liquidity: 'maker' | 'taker',
    now: number,
  ): void {
    const fee = this.settlement.fill(o, ticks, lots, feePpm, remainingBefore);
    o.filledLots += lots;
    o.cumQuoteAtoms += o.inst.notionalAtoms(ticks, lots);
    o.feeAtoms += fee;
    o.status = o.filledLots === o.lots ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updatedAt = now;
    if (this.transientAccounts.has(o.account)) return;
    let list = this.fills.get(o.account);
    if (!list) {
      list = [];
      this.fills.set(o.account, list);
    }
    list.push({
      tradeId: this.nextTradeId,
      ts: now,
      orderId: o.orderId,
      clientOrderId: o.clientOrderId,
      symbol: o.inst.symbol,
      side: o.side,
      price: o.inst.formatPrice(ticks),
      quantity: o.inst.formatQty(lots),
      fee: formatAtoms(fee),
      feeAsset: o.feeAsset,
      liquidity,
    });
    if (list.length > FILLS_LIMIT * 1.2) list.splice(0, list.length - FILLS_LIMIT);
  }

  private close(o: VenueOrder, status: 'FILLED' | 'CANCELED' | 'EXPIRED'): void {
    o.status = o.filledLots === o.lots ? 'FILLED' : status;
    o.updatedAt = this.clock.now();
    this.settlement.release(o);
    if (this.transientAccounts.has(o.account)) this.orders.delete(o.seq);
  }

  private orderChanged(order: VenueOrder): void {
    if (this.orderListeners.length === 0 || this.transientAccounts.has(order.account)) return;
    for (const listener of this.orderListeners) listener(order);
  }

  private emit(e: MarketEvent): void {
    if (e.type === 'book') this.state(e.symbol).bookSequence++;
    for (const l of this.listeners) l(e);
  }

  symbolIds(): SymbolId[] {
    return [...this.symbols.keys()].map(asSymbolId);
  }

  /**
   * Its whole state: orders (open, and closed ones lookups still reach), books in priority order, client
   * order ids, fills, tapes (each cut to its newest `tapeLimit` trades if given), marks and counters.
   */
  snapshot(tapeLimit = Number.POSITIVE_INFINITY): VenueMarketSnapshot {
    return {
      kind: this.kind,
      fees: { ...this.fees },
      clientIdReuse: this.clientIds.mode,
      nextSeq: this.nextSeq,
      nextTradeId: this.nextTradeId,
      transientAccounts: [...this.transientAccounts],
      orders: [...this.orders.values()].map(orderSnapshot),
      clientOrderIds: [...this.clientIds.entries()].map((e) => ({
        account: e.account,
        clientOrderId: e.clientOrderId,
        seq: e.order.seq,
      })),
      symbols: [...this.symbols.values()].map((s) => ({
        symbol: s.inst.symbol,
        markTicks: s.markTicks,
        lastTradeTicks: s.lastTradeTicks,
        bookSequence: s.bookSequence,
        bids: s.book.restingIds(BUY),
        asks: s.book.restingIds(SELL),
        tape: s.tape.slice(Math.max(0, s.tape.length - tapeLimit)).map((t) => ({
          tradeId: t.tradeId,
          ts: t.ts,
          priceTicks: t.priceTicks,
          lots: t.lots,
          takerSide: t.takerSide,
          makerOrderId: t.makerOrderId,
          takerOrderId: t.takerOrderId,
        })),
      })),
      fills: [...this.fills].map(([account, fills]) => ({ account, fills: fills.map((f) => ({ ...f })) })),
    };
  }

  /** Loads a snapshot into this freshly built market (same venue, kind and instruments). */
  restore(snap: VenueMarketSnapshot): void {
    if (this.nextSeq !== 1 || this.orders.size > 0) inconsistent(`${this.venue}/${this.kind} is not empty`);
    const where = `${this.venue}/${this.kind}`;
    this.fees = { ...snap.fees };
    this.clientIds.mode = snap.clientIdReuse;
    this.nextSeq = snap.nextSeq;
    this.nextTradeId = snap.nextTradeId;
    for (const a of snap.transientAccounts) this.transientAccounts.add(asAccountId(a));
    for (const o of snap.orders) {
      if (o.seq >= snap.nextSeq || this.orders.has(o.seq))
        inconsistent(`${where} order ${o.seq} reuses a seq`);
      this.orders.set(o.seq, this.orderFromSnapshot(o));
    }
    for (const e of snap.clientOrderIds) {
      const order = this.orders.get(e.seq);
      if (!order || order.account !== e.account || order.clientOrderId !== e.clientOrderId)
        inconsistent(`${where} client order id ${e.clientOrderId} names no such order (${e.seq})`);
      this.clientIds.record(order.account, order.clientOrderId, order);
    }
    let resting = 0;
    for (const sym of snap.symbols) {
      const s = this.state(sym.symbol);
      s.markTicks = sym.markTicks;
      s.lastTradeTicks = sym.lastTradeTicks;
      s.bookSequence = sym.bookSequence;
      for (const [side, seqs] of [
        [BUY, sym.bids],
        [SELL, sym.asks],
      ] as const) {
        for (const seq of seqs) {
          const o = this.orders.get(seq);
          const ok =
            o !== undefined &&
            isOpen(o) &&
            o.inst === s.inst &&
            o.priceTicks !== undefined &&
            (o.side === 'buy' ? BUY : SELL) === side &&
            s.book.restoreResting(new BookOrder(seq, side, o.priceTicks, o.lots - o.filledLots, o));
          if (!ok) inconsistent(`${where} ${sym.symbol}: order ${seq} cannot rest on that side of the book`);
          resting++;
        }
      }
      s.tape = sym.tape.map((t) => ({
        ...t,
        inst: s.inst,
        makerOrderId: asVenueOrderId(t.makerOrderId),
        takerOrderId: asVenueOrderId(t.takerOrderId),
      }));
    }
    let open = 0;
    for (const o of this.orders.values()) if (isOpen(o)) open++;
    if (open !== resting) inconsistent(`${where}: ${open} open orders but ${resting} resting on its books`);
    for (const { account, fills } of snap.fills) {
      this.fills.set(
        asAccountId(account),
        fills.map((f) => ({
          ...f,
          orderId: asVenueOrderId(f.orderId),
          clientOrderId: asClientOrderId(f.clientOrderId),
          symbol: asSymbolId(f.symbol),
        })),
      );
    }
  }

  private orderFromSnapshot(o: OrderSnapshot): VenueOrder {
    const { symbol, priceTicks, clientOrderId, account, cumQuoteAtoms, feeAtoms, reservedAtoms, ...rest } = o;
    if (o.filledLots > o.lots) inconsistent(`order ${o.seq} filled more than its quantity`);
    return {
      ...rest,
      orderId: asVenueOrderId(`${this.venue}-${this.kind}-${o.seq}`),
      clientOrderId: asClientOrderId(clientOrderId),
      account: asAccountId(account),
      venue: this.venue,
      market: this.kind,
      inst: this.state(symbol).inst,
      priceTicks: priceTicks ?? undefined,
      cumQuoteAtoms: atoms(cumQuoteAtoms),
      feeAtoms: atoms(feeAtoms),
      reservedAtoms: atoms(reservedAtoms),
    };
  }
}

/** An order record as JSON: the instrument by symbol, the venue order id left to the seq, atoms as strings. */
function orderSnapshot(o: VenueOrder): OrderSnapshot {
  const { inst, orderId: _orderId, venue: _venue, market: _market, priceTicks, ...rest } = o;
  return {
    ...rest,
    symbol: inst.symbol,
    priceTicks: priceTicks ?? null,
    cumQuoteAtoms: String(o.cumQuoteAtoms),
    feeAtoms: String(o.feeAtoms),
    reservedAtoms: String(o.reservedAtoms),
  };
}
