import type { Exchange, Ticker } from 'ccxt';
import type { MarketKind } from '../../domain/venues';
import { planSubscriptions, SUBSCRIPTION_LIMITS } from '../subscription-limits';
import type { StreamMethod, CcxtVenue } from './venues';

/** The touch as one ccxt.pro watch call delivered it (ccxt symbol; sizes in ccxt amount units). */
export interface RawTouch {
  symbol: string;
  bid: number | undefined;
  bidVolume: number | undefined;
  ask: number | undefined;
  askVolume: number | undefined;
  timestamp: number | undefined;
}

/** Resolves when the signal aborts (never rejects). */
export const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/** The first method of `preferred`, watchBidsAsks, watchTicker, watchOrderBook the instance has. */
export function resolveStreamMethod(has: Record<string, unknown>, preferred: StreamMethod): StreamMethod {
  const order: StreamMethod[] = ['watchBidsAsks', 'watchTicker', 'watchOrderBook'];
  const candidates = preferred === 'poll' ? [] : order.slice(order.indexOf(preferred));
  return candidates.find((m) => has[m] === true) ?? 'poll';
}

/**
 * The watch calls for one connection: `watchBidsAsks` takes a subscribe request's worth of symbols per
 * call (batched by `planSubscriptions`), the per-symbol methods one symbol per call.
 */
export function watchRequests(
  venue: CcxtVenue,
  market: MarketKind,
  method: StreamMethod,
  symbols: readonly string[],
): string[][] {
  if (method !== 'watchBidsAsks') return [...new Set(symbols)].map((s) => [s]);
  return planSubscriptions(venue, market, symbols).flat(1);
}

const touchOf = (t: Ticker): RawTouch => ({
  symbol: t.symbol ?? '',
  bid: t.bid,
  bidVolume: t.bidVolume,
  ask: t.ask,
  askVolume: t.askVolume,
  timestamp: t.timestamp,
});

/** ccxt's per-instance caches of the last ticker / bid-ask per symbol. */
function cacheOf(ex: Exchange, method: StreamMethod): Record<string, Ticker | undefined> {
  const cache: Record<string, Ticker> | undefined = method === 'watchBidsAsks' ? ex.bidsasks : ex.tickers;
  // Undefined on an instance that never streamed, whatever the typings say.
  return cache ?? {};
}

/** Drops cached touches of `request` (left from an earlier, possibly dropped, connection). */
export function forgetCached(ex: Exchange, method: StreamMethod, request: readonly string[]): void {
  if (method !== 'watchBidsAsks' && method !== 'watchTicker') return;
  const cache = cacheOf(ex, method);
  for (const s of request) delete cache[s];
}

/**
 * One watch call: resolves with the latest touch of every symbol of the request that ccxt has seen.
 * ccxt resolves a pending watch with the first matching message and drops later messages that arrive
 * before the next call (several frames in one TCP read), but keeps them in its cache: reading the cache
 * after each resolution loses no symbol's latest touch.
 */
export async function watchOnce(ex: Exchange, method: StreamMethod, request: string[]): Promise<RawTouch[]> {
  const [first] = request;
  switch (method) {
    case 'watchBidsAsks':
    case 'watchTicker': {
      const got: Record<string, Ticker | undefined> =
        method === 'watchBidsAsks'
          ? await ex.watchBidsAsks(request)
          : first === undefined
            ? {}
            : { [first]: await ex.watchTicker(first) };
      const cache = cacheOf(ex, method);
      return request.flatMap((s) => {
        const t = cache[s] ?? got[s];
        return t ? [touchOf(t)] : [];
      });
    }
    case 'watchOrderBook': {
      if (first === undefined) return [];
      const ob = await ex.watchOrderBook(first);
      const bid = ob.bids[0];
      const ask = ob.asks[0];
      return [
        {
          symbol: first,
          bid: bid?.[0],
          bidVolume: bid?.[1],
          ask: ask?.[0],
          askVolume: ask?.[1],
          timestamp: ob.timestamp,
        },
      ];
    }
    case 'poll':
      return [];
  }
}

/** `unWatch` counterpart of a watch call, where ccxt has one. */
export async function unwatch(ex: Exchange, method: StreamMethod, request: string[]): Promise<void> {
  const [first] = request;
  if (method === 'watchBidsAsks' && ex.has['unWatchBidsAsks'] === true) await ex.unWatchBidsAsks(request);
  else if (method === 'watchTicker' && first !== undefined && ex.has['unWatchTicker'] === true)
    await ex.unWatchTicker(first);
  else if (method === 'watchOrderBook' && first !== undefined && ex.has['unWatchOrderBook'] === true)
    await ex.unWatchOrderBook(first);
}

/**
 * Which connection (ccxt.pro instance slot) carries which symbol of one venue market, within the
 * venue's per-connection subscription limit. Reference-counted: a symbol watched twice is subscribed
 * once per watcher call but counted against the connection once.
 */
export class SlotAllocator {
  private readonly slots: Map<string, number>[] = [];

  constructor(private readonly perConnection: number) {}

  static for(venue: CcxtVenue, market: MarketKind): SlotAllocator {
    return new SlotAllocator(SUBSCRIPTION_LIMITS[`${venue}/${market}`]?.perConnection ?? Infinity);
  }

  /** Slot index -> symbols placed there (existing placement first, then the first slot with room). */
  assign(symbols: readonly string[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const s of new Set(symbols)) {
      let slot = this.slots.findIndex((m) => m.has(s));
      if (slot < 0) {
        slot = this.slots.findIndex((m) => m.size < this.perConnection);
        if (slot < 0) {
          this.slots.push(new Map());
          slot = this.slots.length - 1;
        }
      }
      const m = this.slots[slot];
      if (!m) continue;
      m.set(s, (m.get(s) ?? 0) + 1);
      out.set(slot, [...(out.get(slot) ?? []), s]);
    }
    return out;
  }

  /** Drops one reference per symbol; returns the symbols no watcher follows any more. */
  release(slot: number, symbols: readonly string[]): string[] {
    const m = this.slots[slot];
    if (!m) return [];
    const gone: string[] = [];
    for (const s of symbols) {
      const n = (m.get(s) ?? 0) - 1;
      if (n > 0) m.set(s, n);
      else if (m.delete(s)) gone.push(s);
    }
    return gone;
  }

  /** Symbols per slot (tests and status). */
  sizes(): number[] {
    return this.slots.map((m) => m.size);
  }
}
