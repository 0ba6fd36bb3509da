import { ConnectorError } from '../exchange-connector';
import type { BestBidAsk, OrderBookSnapshot } from '../exchange-connector';
import { bookFromCcxt } from './book-mapping';
import { quoteFromTouch, quoteKey } from './quote-mapping';
import type { CcxtVenueMarket } from './venue-market';

/** The touch over REST: the venue's best bid/ask endpoint where ccxt has one, else the ticker. */
export async function fetchBestBidAsk(vm: CcxtVenueMarket, symbol: string): Promise<BestBidAsk> {
  const m = await vm.marketOf(symbol);
  const t = await vm.call('read', async () => {
    if (vm.exchange.has['fetchBidsAsks'] === true) {
      const all = await vm.exchange.fetchBidsAsks([m.symbol], vm.marketParams);
      const one = all[m.symbol];
      if (one) return one;
    }
    return vm.exchange.fetchTicker(m.symbol);
  });
  const quote = quoteFromTouch(t, m, symbol);
  if (!quote) throw new ConnectorError('no-quote', `${vm.venue}/${vm.market} ${symbol}: no two-sided quote`);
  return quote;
}

/** The best `levels` levels a side of a symbol's book over REST, as of the venue's update id where it gives one. */
export async function fetchOrderBookSnapshot(
  vm: CcxtVenueMarket,
  symbol: string,
  levels: number,
): Promise<OrderBookSnapshot> {
  const m = await vm.marketOf(symbol);
  const book = await vm.call('read', () => vm.exchange.fetchOrderBook(m.symbol, levels));
  return bookFromCcxt(book, m, symbol, levels);
}

/** REST polling: the explicit fallback for a venue market without a WS method. */
export async function pollBestBidAsk(
  vm: CcxtVenueMarket,
  symbols: string[],
  onQuote: (q: BestBidAsk) => void,
  signal: AbortSignal,
  periodMs: number,
): Promise<void> {
  const sent = new Map<string, string>();
  while (!signal.aborted) {
    for (const s of symbols) {
      const q = await fetchBestBidAsk(vm, s).catch((e: unknown) => {
        // An empty book side is not a feed failure.
        if (e instanceof ConnectorError && e.kind === 'no-quote') return undefined;
        throw e;
      });
      if (!q || signal.aborted) continue;
      if (sent.get(s) !== quoteKey(q)) {
        sent.set(s, quoteKey(q));
        onQuote(q);
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, periodMs);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
