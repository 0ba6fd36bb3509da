/**
 * Price-time priority limit order book on integer ticks and integer lots.
 *
 * Hot-path layout: each side keeps a Map tick -> PriceLevel and a sorted array of the ticks with the
 * best price at the END (bids ascending, asks descending), so consuming or adding at the touch is a
 * push/pop. Each level is an intrusive doubly linked FIFO of BookOrder, so cancel is O(1) after a Map
 * lookup and matching allocates nothing but the sink's own records.
 */
export const BUY = 0;
export const SELL = 1;
export type Side = typeof BUY | typeof SELL;

export const GTC = 0;
export const IOC = 1;
export const FOK = 2;
export type TimeInForce = typeof GTC | typeof IOC | typeof FOK;

/** Order rests on the book (possibly after partial fills). */
export const RESTING = 0;
/** Order fully filled. */
export const FILLED = 1;
/** IOC/FOK/market remainder removed without resting (may have partially filled). */
export const EXPIRED = 2;
/** Post-only order would have crossed; nothing happened. */
export const POST_ONLY_REJECTED = 3;
export type SubmitResult = typeof RESTING | typeof FILLED | typeof EXPIRED | typeof POST_ONLY_REJECTED;

/** Limit a market buy can never reach; sells use 0 (prices are >= 1 tick). */
export const MARKET_BUY_LIMIT = Number.MAX_SAFE_INTEGER;
export const MARKET_SELL_LIMIT = 0;

export class BookOrder {
  prev: BookOrder | null = null;
  next: BookOrder | null = null;
  level: PriceLevel | null = null;
  constructor(
    readonly id: number,
    readonly side: Side,
    /** Limit price in ticks. */
    readonly price: number,
    /** Unfilled lots. */
    public remaining: number,
    /** Opaque back-reference for the layer above (venue order record). */
    readonly owner: unknown = null,
  ) {}
}

export class PriceLevel {
  head: BookOrder | null = null;
  tail: BookOrder | null = null;
  totalLots = 0;
  count = 0;
  constructor(readonly price: number) {}
}

/**
 * Receives every execution. Called after the maker's remaining is decremented (and, if zero, after it
 * left the book). Must not mutate the book re-entrantly.
 */
export interface FillSink {
  onFill(maker: BookOrder, taker: BookOrder, priceTicks: number, lots: number): void;
}

export class OrderBook {
  private readonly levels: [Map<number, PriceLevel>, Map<number, PriceLevel>] = [
    new Map<number, PriceLevel>(),
    new Map<number, PriceLevel>(),
  ];
  /** [bids ascending, asks descending]: best price is always the last element. */
  private readonly prices: [number[], number[]] = [[], []];
  private readonly orders = new Map<number, BookOrder>();

  constructor(private readonly sink: FillSink) {}

  get size(): number {
    return this.orders.size;
  }

  bestBid(): number | undefined {
    const p = this.prices[BUY];
    return p[p.length - 1];
  }

  bestAsk(): number | undefined {
    const p = this.prices[SELL];
    return p[p.length - 1];
  }

  /** Lots resting at the best price of a side (0 if empty). */
  bestLots(side: Side): number {
    const p = this.prices[side];
    const best = p[p.length - 1];
    return best === undefined ? 0 : (this.levels[side].get(best)?.totalLots ?? 0);
  }

  get(id: number): BookOrder | undefined {
    return this.orders.get(id);
  }

  /** True if a taker on `side` with limit `limit` would match anything right now. */
  wouldCross(side: Side, limit: number): boolean {
    const opp = this.prices[(side ^ 1) as Side];
    const best = opp[opp.length - 1];
    if (best === undefined) return false;
    return side === BUY ? best <= limit : best >= limit;
  }

  /**
   * Walks the opposite side as a taker would and reports how many lots are reachable (up to `lots`)
   * and the sum of ticks*lots of those fills: used for FOK and for pricing market orders before entry.
   */
  sweep(side: Side, limit: number, lots: number): { lots: number; tickLots: bigint } {
    const opp = (side ^ 1) as Side;
    const prices = this.prices[opp];
    let need = lots;
    let tickLots = 0n;
    for (let i = prices.length - 1; i >= 0 && need > 0; i--) {
      const price = prices[i]!;
      if (side === BUY ? price > limit : price < limit) break;
      const level = this.levels[opp].get(price)!;
      const take = level.totalLots < need ? level.totalLots : need;
      tickLots += BigInt(price) * BigInt(take);
      need -= take;
    }
    return { lots: lots - need, tickLots };
  }

  submit(order: BookOrder, tif: TimeInForce, postOnly: boolean): SubmitResult {
    if (this.orders.has(order.id)) throw new Error(`book order id ${order.id} already resting`);
    if (postOnly && this.wouldCross(order.side, order.price)) return POST_ONLY_REJECTED;
    if (tif === FOK && this.sweep(order.side, order.price, order.remaining).lots < order.remaining)
      return EXPIRED;
    this.match(order);
    if (order.remaining === 0) return FILLED;
    if (tif !== GTC) return EXPIRED;
    this.rest(order);
    return RESTING;
  }

  cancel(id: number): BookOrder | undefined {
    const order = this.orders.get(id);
    if (!order) return undefined;
    this.unlink(order);
    return order;
  }

  /**
   * Takes `lots` off a resting order in place: it keeps its place in the queue (as a venue's amend that only
   * reduces quantity does). `lots` must be less than what remains.
   */
  reduce(id: number, lots: number): void {
    const order = this.orders.get(id);
    if (!order || lots <= 0 || lots >= order.remaining)
      throw new Error(`cannot reduce order ${id} by ${lots}`);
    order.remaining -= lots;
    order.level!.totalLots -= lots;
  }

  /** Top `n` levels of a side, best first, as [ticks, lots]. */
  depth(side: Side, n: number): Array<[number, number]> {
    const prices = this.prices[side];
    const out: Array<[number, number]> = [];
    for (let i = prices.length - 1; i >= 0 && out.length < n; i--) {
      const price = prices[i]!;
      out.push([price, this.levels[side].get(price)!.totalLots]);
    }
    return out;
  }

  /** Ids of a side's resting orders in priority order: best price first, FIFO within a price. */
  restingIds(side: Side): number[] {
    const ids: number[] = [];
    const prices = this.prices[side];
    for (let i = prices.length - 1; i >= 0; i--)
      for (let o = this.levels[side].get(prices[i]!)!.head; o; o = o.next) ids.push(o.id);
    return ids;
  }

  /**
   * Puts back an order as it rested before (restoring a snapshot, in `restingIds` order): it joins the
   * back of its level without matching. Returns false, changing nothing, if it would cross the other
   * side or its id is already resting.
   */
  restoreResting(order: BookOrder): boolean {
    if (this.orders.has(order.id) || order.remaining <= 0 || this.wouldCross(order.side, order.price))
      return false;
    this.rest(order);
    return true;
  }

  /** Resting orders of a level in FIFO order (tests and diagnostics). */
  queueAt(side: Side, price: number): number[] {
    const ids: number[] = [];
    for (let o = this.levels[side].get(price)?.head ?? null; o; o = o.next) ids.push(o.id);
    return ids;
  }

  private match(taker: BookOrder): void {
    const opp = (taker.side ^ 1) as Side;
    const prices = this.prices[opp];
    const levels = this.levels[opp];
    const isBuy = taker.side === BUY;
    const limit = taker.price;
    while (taker.remaining > 0 && prices.length > 0) {
      const best = prices[prices.length - 1]!;
      if (isBuy ? best > limit : best < limit) break;
      const level = levels.get(best)!;
      let maker = level.head;
      while (maker !== null && taker.remaining > 0) {
        const lots = maker.remaining < taker.remaining ? maker.remaining : taker.remaining;
        maker.remaining -= lots;
        taker.remaining -= lots;
        level.totalLots -= lots;
        const nextMaker: BookOrder | null = maker.next;
        if (maker.remaining === 0) {
          level.head = nextMaker;
          if (nextMaker) nextMaker.prev = null;
          else level.tail = null;
          level.count--;
          maker.next = null;
          maker.level = null;
          this.orders.delete(maker.id);
        }
        this.sink.onFill(maker, taker, best, lots);
        maker = nextMaker;
      }
      if (level.count === 0) {
        prices.pop();
        levels.delete(best);
      }
    }
  }

  private rest(order: BookOrder): void {
    const side = order.side;
    const levels = this.levels[side];
    let level = levels.get(order.price);
    if (!level) {
      level = new PriceLevel(order.price);
      levels.set(order.price, level);
      insertSorted(this.prices[side], order.price, side === BUY);
    }
    order.level = level;
    order.prev = level.tail;
    order.next = null;
    if (level.tail) level.tail.next = order;
    else level.head = order;
    level.tail = order;
    level.count++;
    level.totalLots += order.remaining;
    this.orders.set(order.id, order);
  }

  private unlink(order: BookOrder): void {
    const level = order.level!;
    if (order.prev) order.prev.next = order.next;
    else level.head = order.next;
    if (order.next) order.next.prev = order.prev;
    else level.tail = order.prev;
    level.count--;
    level.totalLots -= order.remaining;
    order.prev = order.next = null;
    order.level = null;
    this.orders.delete(order.id);
    if (level.count === 0) {
      this.levels[order.side].delete(level.price);
      removeSorted(this.prices[order.side], level.price, order.side === BUY);
    }
  }
}

/** Position in `arr` where `price` belongs; ascending for bids, descending for asks. */
function lowerBound(arr: number[], price: number, ascending: boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = arr[mid]!;
    if (ascending ? v < price : v > price) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(arr: number[], price: number, ascending: boolean): void {
  const last = arr[arr.length - 1];
  if (last === undefined || (ascending ? price > last : price < last)) {
    arr.push(price);
    return;
  }
  arr.splice(lowerBound(arr, price, ascending), 0, price);
}

function removeSorted(arr: number[], price: number, ascending: boolean): void {
  if (arr[arr.length - 1] === price) {
    arr.pop();
    return;
  }
  const i = lowerBound(arr, price, ascending);
  if (arr[i] === price) arr.splice(i, 1);
}
