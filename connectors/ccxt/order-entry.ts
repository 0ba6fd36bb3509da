import { ConnectorError, parseCreateOrder } from '../exchange-connector';
import type { CreateOrder, Order, SendOptions } from '../exchange-connector';
import { withSendDeadline } from '../send-deadline';
import { ccxtOrderArgs, orderFromCcxt, ordersFromCcxt } from './order-mapping';
import { requireTrading } from './venue-market';
import type { CcxtVenueMarket } from './venue-market';

/** fetchOrder / cancelOrder params selecting an order of this market by our client id. */
const byClientId = (
  vm: CcxtVenueMarket,
  clientOrderId: string,
  extra?: Record<string, unknown>,
): Record<string, unknown> => ({
  ...vm.marketParams,
  ...extra,
  [vm.spec.lookupClientIdParam]: clientOrderId,
});

export async function fetchOrderByClientId(
  vm: CcxtVenueMarket,
  symbol: string,
  clientOrderId: string,
): Promise<Order | undefined> {
  const m = await vm.marketOf(symbol);
  try {
    const o = vm.spec.lookupByList
      ? (
          await vm.call('read', () =>
            vm.exchange.fetchOpenOrders(m.symbol, undefined, undefined, byClientId(vm, clientOrderId)),
          )
        ).find((x) => x.clientOrderId === clientOrderId)
      : await vm.call('read', () =>
          vm.exchange.fetchOrder(
            undefined as unknown as string,
            m.symbol,
            byClientId(vm, clientOrderId, vm.spec.fetchOrderParams),
          ),
        );
    if (!o) return undefined;
    return orderFromCcxt(o, m, vm.market, clientOrderId);
  } catch (e) {
    if (e instanceof ConnectorError && e.kind === 'order-not-found') return undefined;
    throw e;
  }
}

export async function createOrder(
  vm: CcxtVenueMarket,
  input: CreateOrder,
  send?: SendOptions,
): Promise<Order> {
  const o = parseCreateOrder(input);
  requireTrading(vm);
  if (o.clientOrderId.length > vm.spec.clientIdMaxLength)
    throw new ConnectorError(
      'invalid-order',
      `${vm.venue} client order ids are at most ${vm.spec.clientIdMaxLength} chars`,
    );
  const m = await vm.marketOf(o.symbol);
  const { amount, price, params } = ccxtOrderArgs(vm.spec, m, o);
  // ccxt queues requests behind its rate limiter; the deadline is checked when the request finally leaves.
  const created = await withSendDeadline(send?.sendBy, () =>
    vm.call('createOrder', () => vm.exchange.createOrder(m.symbol, o.type, o.side, amount, price, params)),
  );
  // Some venues acknowledge with the id only; the full state comes from a lookup.
  if (created.status === undefined || created.amount === undefined) {
    const full = await fetchOrderByClientId(vm, o.symbol, o.clientOrderId);
    if (full) return full;
  }
  return orderFromCcxt(created, m, vm.market, o.clientOrderId);
}

export async function cancelOrder(
  vm: CcxtVenueMarket,
  symbol: string,
  clientOrderId: string,
): Promise<Order> {
  requireTrading(vm);
  const m = await vm.marketOf(symbol);
  try {
    const o = await vm.call('cancelOrder', () =>
      vm.exchange.cancelOrder(undefined as unknown as string, m.symbol, byClientId(vm, clientOrderId)),
    );
    if (o.status !== undefined && o.amount !== undefined)
      return orderFromCcxt(o, m, vm.market, clientOrderId);
  } catch (e) {
    // Venues answer "unknown order" for orders already closed: idempotent cancel returns it as it is.
    if (!(e instanceof ConnectorError && e.kind === 'order-not-found')) throw e;
  }
  const found = await fetchOrderByClientId(vm, symbol, clientOrderId);
  if (!found)
    throw new ConnectorError('order-not-found', `${vm.venue}/${vm.market}: no order ${clientOrderId}`);
  return found;
}

export async function openOrders(vm: CcxtVenueMarket, symbol?: string): Promise<Order[]> {
  const m = symbol === undefined ? undefined : await vm.marketOf(symbol);
  if (!m) await vm.loadMarkets();
  const list = await vm.call('read', () =>
    vm.exchange.fetchOpenOrders(m?.symbol, undefined, undefined, vm.marketParams),
  );
  return ordersFromCcxt(list, vm.loadedMarkets(), vm.market);
}
