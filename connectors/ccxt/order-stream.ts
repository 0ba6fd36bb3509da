import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { ConnectorError } from '../exchange-connector';
import type { Order } from '../exchange-connector';
import { toConnectorError } from './errors';
import { canonicalMarket } from './markets';
import { orderFromCcxt } from './order-mapping';
import { proHas, sharedProExchange } from './registry';
import { aborted } from './stream';
import type { CcxtVenueMarket } from './venue-market';

/** How often the first subscription is looked for until it is up (see `subscribed`). */
const SUBSCRIBED_POLL_MS = 10;

/**
 * Whether the connector offers `watchOrders`: a tradable venue market with streaming, whose ccxt.pro
 * class has `watchOrders`, and the credentials ccxt needs to log in to the private stream.
 */
export function canWatchOrders(vm: CcxtVenueMarket): boolean {
  return (
    vm.capabilities.canStream &&
    vm.capabilities.canTrade &&
    vm.exchange.checkRequiredCredentials(false) &&
    proHas(vm.venue, 'watchOrders')
  );
}

/** ccxt's order cache of the instance, oldest update first (undefined until its first order). */
const cachedOrders = (ex: Exchange): readonly CcxtOrder[] => (ex.orders ?? []) as readonly CcxtOrder[];
const idOf = (o: CcxtOrder): string => `${o.symbol} ${o.id}`;
const stateOf = (o: CcxtOrder): string =>
  `${o.status} ${o.amount} ${o.filled} ${o.average} ${o.fee?.cost} ${o.lastUpdateTimestamp}`;

/**
 * The subscription is up: a socket of the instance is open and holds the pending symbol-less watch
 * (ccxt's `orders` message hash, binance, bybit and mexc alike in 4.5.84).
 */
const subscribed = (ex: Exchange): boolean =>
  Object.values(ex.clients).some((c) => c.isConnected === true && 'orders' in c.futures);

/**
 * The account's private order stream on the venue market through ccxt.pro `watchOrders`, every symbol.
 *
 * The watch runs on a ccxt.pro instance of its own per market (a named slot of the venue's instances):
 * ccxt keeps one order cache and one `orders` message hash per instance, which spot and perp streams
 * would otherwise share.
 *
 * Each resolution of ccxt's watch is read from ccxt's order cache, not from the returned slice: ccxt
 * merges every update of an order into its cached row, and its new-updates count is reset by any
 * caller, so the cache scanned against the last state emitted per order loses no change to another
 * watcher or to several frames arriving in one read. Orders cached before the watch began are not
 * replayed.
 *
 * `onLive`: ccxt has no hook for "subscribed". Binance spot subscribes in `authenticate`
 * (`userDataStream.subscribe.signature`, awaited to its response) before ccxt registers the pending
 * `orders` watch on the socket; binance USD-M fetches the listenKey first and the stream is live as soon
 * as the socket to it is open. So the subscription counts as up once an open socket of the instance
 * holds that pending watch (looked for every few ms until then), or at the latest when the watch first
 * resolves; onLive always comes before the first order. On venues whose subscribe request is sent after
 * the socket opens without being awaited by ccxt (bybit), it may come a round trip early.
 *
 * Resolves when the signal aborts; a failing watch (socket dropped, login refused) rejects with a
 * redacted ConnectorError: `auth` when the venue refused the credentials, otherwise `retryable`. The
 * last watcher on the instance closes its sockets and ccxt's keepalive timers (`SharedProExchange`).
 */
export async function watchOrders(
  vm: CcxtVenueMarket,
  onOrder: (order: Order) => void,
  signal: AbortSignal,
  onLive?: () => void,
): Promise<void> {
  await vm.loadMarkets();
  if (signal.aborted) return;
  const pro = sharedProExchange(vm.venue, vm.exchangeOptions, `orders/${vm.market}`);
  const ex = pro.exchange;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const stopped = aborted(stop.signal).then(() => undefined);

  let live = false;
  let poll: NodeJS.Timeout | undefined;
  const goLive = (): void => {
    clearInterval(poll);
    if (live || stop.signal.aborted) return;
    live = true;
    onLive?.();
  };

  const emitted = new Map<string, string>();
  const emitChanges = (): void => {
    const list = cachedOrders(ex);
    for (const o of list) {
      const id = idOf(o);
      const state = stateOf(o);
      if (emitted.get(id) === state) continue;
      emitted.set(id, state);
      const known = canonicalMarket(vm.loadedMarkets(), vm.market, o.symbol);
      if (known && !stop.signal.aborted) onOrder(orderFromCcxt(o, known.ccxtMarket, vm.market));
    }
    // ccxt's cache is bounded (ordersLimit): forget what it dropped.
    if (emitted.size > 2 * list.length + 100) {
      const kept = new Set(list.map(idOf));
      for (const id of emitted.keys()) if (!kept.has(id)) emitted.delete(id);
    }
  };

  await pro.acquire();
  try {
    // The markets the REST instance loaded: no second exchangeInfo round trip for the stream.
    if (ex.markets === undefined) ex.setMarkets(Object.values(vm.loadedMarkets()));
    for (const o of cachedOrders(ex)) emitted.set(idOf(o), stateOf(o));
    while (!stop.signal.aborted) {
      const call = ex.watchOrders(undefined, undefined, undefined, { ...vm.marketParams });
      // A watch still pending at abort is rejected by the instance's close: nobody awaits it any more.
      call.catch(() => undefined);
      if (!live && poll === undefined)
        poll = setInterval(() => {
          if (subscribed(ex)) goLive();
        }, SUBSCRIBED_POLL_MS);
      const got = await Promise.race([call, stopped]);
      if (got === undefined) break;
      goLive();
      emitChanges();
    }
  } catch (e) {
    if (!stop.signal.aborted) {
      const err = toConnectorError(e, vm.spec, 'read', pro.secrets);
      // A stream carries no order: whatever is not a refused login is a drop, and a new watch may pass.
      throw err.kind === 'auth' ? err : new ConnectorError('retryable', err.message, err.venueCode);
    }
  } finally {
    clearInterval(poll);
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    await pro.release();
  }
}
