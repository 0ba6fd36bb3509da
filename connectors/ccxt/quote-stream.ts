import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { BestBidAsk, ConnectorError } from '../exchange-connector';
import { toConnectorError } from './errors';
import { quoteFromTouch, quoteKey } from './quote-mapping';
import { sharedProExchange } from './registry';
import { fetchBestBidAsk, pollBestBidAsk } from './rest-quotes';
import {
  aborted,
  forgetCached,
  resolveStreamMethod,
  SlotAllocator,
  unwatch,
  watchOnce,
  watchRequests,
} from './stream';
import type { RawTouch } from './stream';
import type { CcxtVenueMarket } from './venue-market';
import type { StreamMethod } from './venues';

export interface QuoteFeedOptions {
  /** Polling period of watchBestBidAsk when the venue market has no WS method (REST; default 1000 ms). */
  pollIntervalMs?: number;
  /** Forces a streaming method (tests; default `VENUE_SPECS[venue].stream[market]`, checked against `has`). */
  streamMethod?: StreamMethod;
}

/** Symbol placement on ccxt.pro connections, per venue market and URL set, shared in the process. */
const allocators = new Map<string, SlotAllocator>();

function allocatorFor({ venue, market, exchangeOptions }: CcxtVenueMarket): SlotAllocator {
  const key = `${venue} ${market} ${JSON.stringify(exchangeOptions.apiUrls ?? {})} ${JSON.stringify(exchangeOptions.wsUrls ?? {})}`;
  let alloc = allocators.get(key);
  if (!alloc) {
    alloc = SlotAllocator.for(venue, market);
    allocators.set(key, alloc);
  }
  return alloc;
}

const UNWATCH_TIMEOUT_MS = 2000;

/** The current touch of every symbol, then every change, until the signal aborts or the feed fails. */
export async function watchBestBidAsk(
  vm: CcxtVenueMarket,
  options: QuoteFeedOptions,
  symbols: string[],
  onQuote: (q: BestBidAsk) => void,
  signal: AbortSignal,
): Promise<void> {
  const markets = new Map<string, Market>();
  for (const s of symbols) markets.set(s, await vm.marketOf(s));
  if (signal.aborted) return;
  const pro0 = sharedProExchange(vm.venue, vm.exchangeOptions, 0);
  const method = resolveStreamMethod(pro0.exchange.has, options.streamMethod ?? vm.spec.stream[vm.market]);
  if (method === 'poll') return pollBestBidAsk(vm, symbols, onQuote, signal, options.pollIntervalMs ?? 1000);
  return streamBestBidAsk(vm, method, markets, onQuote, signal);
}

/**
 * ccxt.pro feed: symbols are placed on connections within the venue's per-connection limit (one
 * shared ccxt.pro instance per connection slot, slot 0 being the venue's instance), each connection's
 * symbols are watched in subscribe-request-sized batches. A failing watch call (socket dropped,
 * venue error) ends the whole feed with a ConnectorError; ccxt reconnects on the next watch call,
 * which is the caller's resubscribe (the market-data hub backs off and resubscribes).
 */
async function streamBestBidAsk(
  vm: CcxtVenueMarket,
  method: StreamMethod,
  markets: Map<string, Market>,
  onQuote: (q: BestBidAsk) => void,
  signal: AbortSignal,
): Promise<void> {
  const byCcxt = new Map<string, string>();
  for (const [s, m] of markets) byCcxt.set(m.symbol, s);
  const alloc = allocatorFor(vm);
  const placement = alloc.assign([...byCcxt.keys()]);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const sent = new Map<string, string>();
  const emit = (t: RawTouch): void => {
    const symbol = byCcxt.get(t.symbol);
    const m = symbol === undefined ? undefined : markets.get(symbol);
    if (symbol === undefined || !m || stop.signal.aborted) return;
    const q = quoteFromTouch(t, m, symbol);
    if (!q || sent.get(symbol) === quoteKey(q)) return;
    sent.set(symbol, quoteKey(q));
    onQuote(q);
  };
  const slots = [...placement].map(([slot, ccxtSymbols]) => ({
    slot,
    pro: sharedProExchange(vm.venue, vm.exchangeOptions, slot),
    requests: watchRequests(vm.venue, vm.market, method, ccxtSymbols),
  }));
  let failure: ConnectorError | undefined;
  const pump = async (ex: Exchange, request: string[]): Promise<void> => {
    while (!stop.signal.aborted) {
      const call = watchOnce(ex, method, request);
      // A watch still pending at abort is rejected by unWatch/close: nobody awaits it any more.
      call.catch(() => undefined);
      const touches = await Promise.race([call, aborted(stop.signal).then(() => undefined)]);
      if (!touches) return;
      for (const t of touches) emit(t);
    }
  };
  try {
    for (const s of slots) {
      await s.pro.acquire();
      forgetCached(s.pro.exchange, method, placement.get(s.slot) ?? []);
    }
    const pumps = slots.flatMap((s) =>
      s.requests.map((r) =>
        pump(s.pro.exchange, r).catch((e: unknown) => {
          if (stop.signal.aborted) return;
          failure ??= toConnectorError(e, vm.spec, 'read', s.pro.secrets);
          stop.abort();
        }),
      ),
    );
    // Current quote first: a quiet book may not tick for a while, so the REST touch stands in until
    // the stream delivers one (dropped once the stream has spoken for that symbol).
    for (const s of markets.keys())
      void fetchBestBidAsk(vm, s).then(
        (q) => {
          if (!sent.has(s) && !stop.signal.aborted) {
            sent.set(s, quoteKey(q));
            onQuote(q);
          }
        },
        () => undefined,
      );
    await Promise.all(pumps);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    for (const s of slots) {
      const gone = new Set(alloc.release(s.slot, placement.get(s.slot) ?? []));
      // Unsubscribe what nobody follows any more while others keep the connection; the last
      // watcher closes the instance's sockets instead.
      if (s.pro.users > 1 && failure === undefined)
        for (const r of s.requests)
          if (r.every((x) => gone.has(x)))
            await Promise.race([
              unwatch(s.pro.exchange, method, r).catch(() => undefined),
              new Promise((resolve) => setTimeout(resolve, UNWATCH_TIMEOUT_MS).unref()),
            ]);
      await s.pro.release();
    }
  }
  if (failure) throw failure;
}
