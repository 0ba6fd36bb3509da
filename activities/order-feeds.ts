import { ConnectorError, type ExchangeConnector, type Order } from '../connectors/exchange-connector';
import { compare } from '../domain/decimal';
import { CLOSED_ORDER_STATUSES } from '../domain/trading';

export interface OrderFeedOptions {
  /** How long a symbol settled against the stream is trusted before REST checks it again (lost messages). */
  auditMs: number;
  /** Orders remembered; the oldest are forgotten first, and their symbols settled again by REST. */
  maxOrders: number;
  now: () => number;
}

export const DEFAULT_ORDER_FEED_OPTIONS: OrderFeedOptions = {
  auditMs: 5 * 60_000,
  maxOrders: 20_000,
  now: Date.now,
};

/** Whether `next` says more about the order than `known`: closed beats open, then more filled wins. */
export function isNewer(known: Order, next: Order): boolean {
  const closed = (order: Order) => CLOSED_ORDER_STATUSES.has(order.status);
  if (closed(known) !== closed(next)) return closed(next);
  return compare(next.filledQuantity, known.filledQuantity) >= 0;
}

/**
 * What one account's private order stream on one venue market has said, shared by every symbol watched
 * there. A symbol is *settled* once REST has been asked about its orders while the stream was up: from
 * then on, until the stream reconnects (it may have missed changes) or the audit interval passes, an
 * order the stream has said nothing new about has not changed. Pure: the stream is fed in from outside.
 */
export class OrderFeed {
  #epoch = 0;
  #live = false;
  readonly #latest = new Map<string, Order>();
  readonly #settled = new Map<string, { epoch: number; at: number }>();
  readonly #waiters = new Set<{ symbol: string; wake: () => void }>();

  constructor(private readonly options: OrderFeedOptions = DEFAULT_ORDER_FEED_OPTIONS) {}

  /** Changes each time the stream is (re)subscribed. */
  get epoch(): number {
    return this.#epoch;
  }

  get live(): boolean {
    return this.#live;
  }

  /** The stream is subscribed again: what it missed meanwhile must be settled by REST. */
  connected(): void {
    this.#epoch += 1;
    this.#live = true;
    this.#wake();
  }

  disconnected(): void {
    this.#live = false;
    this.#wake();
  }

  update(order: Order): void {
    const known = this.#latest.get(order.clientOrderId);
    if (known && !isNewer(known, order)) return;
    this.#latest.delete(order.clientOrderId);
    this.#latest.set(order.clientOrderId, order);
    if (this.#latest.size > this.options.maxOrders) {
      const [oldest] = this.#latest.values();
      if (oldest) {
        this.#latest.delete(oldest.clientOrderId);
        this.#settled.delete(oldest.symbol);
      }
    }
    this.#wake(order.symbol);
  }

  /** The order as the stream last told it, if it did since this process started. */
  latest(clientOrderId: string): Order | undefined {
    return this.#latest.get(clientOrderId);
  }

  /** Whether the stream alone can say what changed on `symbol` now. */
  isSettled(symbol: string): boolean {
    const settled = this.#settled.get(symbol);
    return (
      this.#live &&
      settled !== undefined &&
      settled.epoch === this.#epoch &&
      this.options.now() - settled.at < this.options.auditMs
    );
  }

  /** When the settlement of `symbol` lapses (for the waits); undefined when it is not settled. */
  settledUntil(symbol: string): number | undefined {
    const settled = this.#settled.get(symbol);
    return this.isSettled(symbol) && settled ? settled.at + this.options.auditMs : undefined;
  }

  /**
   * REST was asked about `symbol` from `startedAt`, in stream epoch `epoch`: settled if the stream was
   * up all along, so everything after the answer reaches the stream.
   */
  markSettled(symbol: string, epoch: number, startedAt: number): void {
    if (this.#live && epoch === this.#epoch) this.#settled.set(symbol, { epoch, at: startedAt });
  }

  /** Resolves on news about `symbol` (or the stream going up or down), after `ms`, or on abort. */
  waitForNews(symbol: string, ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(waiter);
        resolve();
      };
      const waiter = { symbol, wake: done };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.#waiters.add(waiter);
    });
  }

  #wake(symbol?: string): void {
    for (const waiter of [...this.#waiters])
      if (symbol === undefined || waiter.symbol === symbol) waiter.wake();
  }
}

/** A stream went up or down: what an operator is told. */
export interface OrderStreamChange {
  venue: string;
  market: string;
  account: string;
  live: boolean;
  /** `subscribed`, or why it ended: a ConnectorError kind, `error`, or `closed`. */
  detail: string;
}

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** One feed's subscription: at most one stream at a time, retried with backoff when a watch asks again. */
interface Subscription {
  feed: OrderFeed;
  streaming: boolean;
  retryAt: number;
  backoffMs: number;
}

/**
 * The worker's order feeds, one per account and venue market, each subscribed the first time a watch asks
 * for it. A stream that drops is subscribed again only when a watch next asks (after a backoff): nothing
 * runs in the background that no watch needs, and a closed connector is not reopened behind its owner's
 * back. A connector without a private order stream has no feed: its watches poll.
 */
export function createOrderFeeds(
  options: Partial<OrderFeedOptions> & { onChange?: (change: OrderStreamChange) => void } = {},
) {
  const settings = { ...DEFAULT_ORDER_FEED_OPTIONS, ...options };
  const tell = options.onChange ?? (() => undefined);
  const subscriptions = new Map<string, Subscription>();
  const stopping = new AbortController();

  function subscribe(connector: ExchangeConnector, account: string, entry: Subscription): void {
    const watch = connector.watchOrders?.bind(connector);
    if (!watch) return;
    const stream = { venue: connector.venue, market: connector.market, account };
    entry.streaming = true;
    let liveSince: number | undefined;
    const ended = (why: string) => {
      entry.streaming = false;
      entry.feed.disconnected();
      if (liveSince !== undefined && !stopping.signal.aborted) tell({ ...stream, live: false, detail: why });
      // A stream that stayed up a while starts its backoff again; one that keeps dropping waits longer.
      if (liveSince !== undefined && settings.now() - liveSince > RECONNECT_MAX_MS)
        entry.backoffMs = RECONNECT_FIRST_MS;
      entry.retryAt = settings.now() + entry.backoffMs;
      entry.backoffMs = Math.min(entry.backoffMs * 2, RECONNECT_MAX_MS);
    };
    watch(
      (order) => entry.feed.update(order),
      stopping.signal,
      () => {
        liveSince = settings.now();
        entry.feed.connected();
        tell({ ...stream, live: true, detail: 'subscribed' });
      },
    ).then(
      () => ended('closed'),
      (error: unknown) => ended(error instanceof ConnectorError ? error.kind : 'error'),
    );
  }

  return {
    /**
     * The feed of `account` on the connector's venue market, subscribing (again) if it is not streaming
     * and its backoff has passed; undefined when the connector has no order stream.
     */
    feedFor(connector: ExchangeConnector, account: string): OrderFeed | undefined {
      if (!connector.watchOrders || stopping.signal.aborted) return undefined;
      const key = `${connector.venue}/${connector.market}/${account}`;
      let entry = subscriptions.get(key);
      if (!entry) {
        entry = {
          feed: new OrderFeed(settings),
          streaming: false,
          retryAt: 0,
          backoffMs: RECONNECT_FIRST_MS,
        };
        subscriptions.set(key, entry);
      }
      if (!entry.streaming && settings.now() >= entry.retryAt) subscribe(connector, account, entry);
      return entry.feed;
    },
    close(): void {
      stopping.abort();
      subscriptions.clear();
    },
  };
}

export type OrderFeeds = ReturnType<typeof createOrderFeeds>;
