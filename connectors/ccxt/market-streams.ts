import type { Exchange, MarketInterface as Market, Trade as CcxtTrade } from 'ccxt';
import { ConnectorError } from '../exchange-connector';
import type { OrderBookUpdate, PublicTrade } from '../exchange-connector';
import { bookFromCcxt, STREAMED_BOOK_LEVELS } from './book-mapping';
import { toConnectorError } from './errors';
import { proHas, sharedProExchange } from './registry';
import type { SharedProExchange } from './registry';
import { aborted } from './stream';
import { publicTradeFromCcxt } from './trade-mapping';
import type { CcxtVenueMarket } from './venue-market';

/**
 * The ccxt.pro instance (a named slot of the venue's) that public books and trades stream on: apart from
 * the touch feed's connections, whose per-connection subscription limits it would eat into.
 */
const SLOT = 'books-and-trades';
const UNWATCH_TIMEOUT_MS = 2000;

export const canWatchOrderBook = (vm: CcxtVenueMarket): boolean =>
  vm.capabilities.canStream && proHas(vm.venue, 'watchOrderBook');

export const canWatchTrades = (vm: CcxtVenueMarket): boolean =>
  vm.capabilities.canStream && proHas(vm.venue, 'watchTrades');

/** One ccxt.pro watch, called again after each resolution. */
interface Watch<T> {
  /** Names the stream among the instance's others: the last of its watchers to leave unsubscribes it. */
  key: string;
  /** Runs once the instance is held, before the first call. */
  start?(ex: Exchange): void;
  call(ex: Exchange): Promise<T>;
  onResolved(value: T, ex: Exchange): void;
  unwatch(ex: Exchange): Promise<unknown>;
}

/** Watchers per stream key on each instance. */
const watchers = new WeakMap<SharedProExchange, Map<string, number>>();

function countWatchers(pro: SharedProExchange, key: string, d: number): number {
  let counts = watchers.get(pro);
  if (!counts) watchers.set(pro, (counts = new Map<string, number>()));
  const n = (counts.get(key) ?? 0) + d;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
  return n;
}

/**
 * Runs a watch until the signal aborts (resolves) or ccxt rejects it (a dropped socket, a sequence gap
 * ccxt found in a book): a redacted ConnectorError, `auth` when the venue refused the credentials,
 * otherwise `retryable` (ccxt resubscribes on the caller's next watch). A watch still pending at abort
 * is rejected by the unsubscribe or by the instance's close: nobody awaits it any more.
 */
async function follow<T>(vm: CcxtVenueMarket, w: Watch<T>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const pro = sharedProExchange(vm.venue, vm.exchangeOptions, SLOT);
  const ex = pro.exchange;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const stopped = aborted(stop.signal).then(() => undefined);
  let failure: ConnectorError | undefined;
  await pro.acquire();
  countWatchers(pro, w.key, 1);
  try {
    // The markets the REST instance loaded: no second market listing for the stream.
    if (ex.markets === undefined) ex.setMarkets(Object.values(vm.loadedMarkets()));
    w.start?.(ex);
    while (!stop.signal.aborted) {
      const call = w.call(ex);
      call.catch(() => undefined);
      const got = await Promise.race([call.then((value) => ({ value })), stopped]);
      if (!got || stop.signal.aborted) break;
      w.onResolved(got.value, ex);
    }
  } catch (e) {
    if (!stop.signal.aborted) {
      const err = toConnectorError(e, vm.spec, 'read', pro.secrets);
      failure = err.kind === 'auth' ? err : new ConnectorError('retryable', err.message, err.venueCode);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    const left = countWatchers(pro, w.key, -1);
    // Others keep the connection: unsubscribe what nobody follows any more. The instance's last watcher
    // closes its sockets instead.
    if (left === 0 && pro.users > 1 && failure === undefined)
      await Promise.race([
        w.unwatch(ex).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, UNWATCH_TIMEOUT_MS).unref()),
      ]);
    await pro.release();
  }
  if (failure) throw failure;
}

/**
 * A symbol's L2 book through ccxt.pro `watchOrderBook`. ccxt keeps the book itself (a REST snapshot, then
 * the venue's diffs, their sequence checked), so each change comes out as the whole book, its best
 * STREAMED_BOOK_LEVELS levels a side. `onLive` comes with the first book, before it.
 */
export async function watchOrderBook(
  vm: CcxtVenueMarket,
  symbol: string,
  onUpdate: (update: OrderBookUpdate) => void,
  signal: AbortSignal,
  onLive?: () => void,
): Promise<void> {
  const m = await vm.marketOf(symbol);
  let live = false;
  await follow(
    vm,
    {
      key: `book ${m.symbol}`,
      call: (ex) => ex.watchOrderBook(m.symbol),
      onResolved: (book) => {
        if (!live) {
          live = true;
          onLive?.();
        }
        onUpdate({ kind: 'snapshot', ...bookFromCcxt(book, m, symbol, STREAMED_BOOK_LEVELS) });
      },
      unwatch: (ex) =>
        ex.has['unWatchOrderBook'] === true ? ex.unWatchOrderBook(m.symbol) : Promise.resolve(),
    },
    signal,
  );
}

/** ccxt's cache of a symbol's public trades on the instance, oldest first. */
const cachedTrades = (ex: Exchange, m: Market): readonly CcxtTrade[] =>
  ((ex.trades as Record<string, unknown> | undefined)?.[m.symbol] ?? []) as readonly CcxtTrade[];

/**
 * A symbol's public trades through ccxt.pro `watchTrades`, each once, from the watch's start. Read from
 * ccxt's trade cache after each resolution rather than from the slice ccxt returns: that slice is sized by
 * a "new trades" count kept per instance and reset by whichever caller reads it.
 */
export async function watchTrades(
  vm: CcxtVenueMarket,
  symbol: string,
  onTrade: (trade: PublicTrade) => void,
  signal: AbortSignal,
): Promise<void> {
  const m = await vm.marketOf(symbol);
  let last: CcxtTrade | undefined;
  await follow(
    vm,
    {
      key: `trades ${m.symbol}`,
      start: (ex) => {
        last = cachedTrades(ex, m).at(-1);
      },
      call: (ex) => ex.watchTrades(m.symbol),
      onResolved: (_, ex) => {
        const cache = cachedTrades(ex, m);
        // Not found: ccxt started a new cache, or dropped the last one seen (bounded): all of it is new.
        const from = last === undefined ? 0 : cache.lastIndexOf(last) + 1;
        for (const t of cache.slice(from)) {
          const trade = publicTradeFromCcxt(t, m, symbol);
          if (trade) onTrade(trade);
        }
        last = cache.at(-1) ?? last;
      },
      unwatch: (ex) => (ex.has['unWatchTrades'] === true ? ex.unWatchTrades(m.symbol) : Promise.resolve()),
    },
    signal,
  );
}
