import type { MarketInterface as Market, Order as CcxtOrder } from 'ccxt';
import { compare, divideExact, isMultipleOf, multiply } from '../../domain/decimal';
import type { OrderStatus } from '../../domain/trading';
import type { MarketKind } from '../../domain/venues';
import { ConnectorError, OrderSchema } from '../exchange-connector';
import type { Order, parseCreateOrder } from '../exchange-connector';
import { canonicalMarket, ccxtToCanonical } from './markets';
import type { CcxtMarkets } from './markets';
import { contractUnit, decimalOf } from './numbers';
import type { CcxtVenueSpec } from './venues';

const STATUS: Record<string, OrderStatus> = {
  open: 'open',
  closed: 'filled',
  canceled: 'canceled',
  cancelled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
};

/** A ccxt order on market `m` as a port order, quantities in base units. */
export function orderFromCcxt(o: CcxtOrder, m: Market, market: MarketKind, clientOrderId?: string): Order {
  const unit = contractUnit(m);
  const filled = decimalOf(o.filled) ?? '0';
  let status = STATUS[o.status ?? ''] ?? 'open';
  if (status === 'open' && compare(filled, '0') > 0) status = 'partially-filled';
  return OrderSchema.parse({
    venueOrderId: String(o.id),
    clientOrderId: o.clientOrderId ?? clientOrderId ?? '',
    symbol: ccxtToCanonical(market, o.symbol ?? m.symbol),
    side: o.side,
    type: o.type === 'market' ? 'market' : 'limit',
    price: o.type === 'market' ? null : (decimalOf(o.price) ?? null),
    quantity: multiply(decimalOf(o.amount) ?? '0', unit),
    filledQuantity: multiply(filled, unit),
    averagePrice: o.average ? (decimalOf(o.average) ?? null) : null,
    fee: decimalOf(o.fee?.cost) ?? '0',
    feeAsset: o.fee?.currency ?? m.quote,
    status,
    createdAt: o.timestamp ?? Date.now(),
    updatedAt: o.lastUpdateTimestamp ?? o.timestamp ?? Date.now(),
  });
}

/** The orders of a ccxt order list whose market is known and canonical; the others are not Keel's. */
export function ordersFromCcxt(
  list: readonly CcxtOrder[],
  markets: CcxtMarkets,
  market: MarketKind,
): Order[] {
  return list.flatMap((o) => {
    const known = canonicalMarket(markets, market, o.symbol);
    return known ? [orderFromCcxt(o, known.ccxtMarket, market)] : [];
  });
}

export interface CcxtOrderArgs {
  /** In ccxt amount units (contracts where the market counts them). */
  amount: number;
  price: number | undefined;
  params: Record<string, unknown>;
}

/**
 * The ccxt createOrder arguments of a port order on market `m`. ccxt would silently round an off-grid
 * price or amount to precision; this refuses it instead (`invalid-order`).
 */
export function ccxtOrderArgs(
  spec: CcxtVenueSpec,
  m: Market,
  o: ReturnType<typeof parseCreateOrder>,
): CcxtOrderArgs {
  const tick = decimalOf(m.precision.price);
  if (o.price !== undefined && tick && !isMultipleOf(o.price, tick))
    throw new ConnectorError('invalid-order', `price ${o.price} is not a multiple of tick ${tick}`);
  const amount = divideExact(o.quantity, contractUnit(m));
  const step = decimalOf(m.precision.amount);
  if (amount === undefined || (step && !isMultipleOf(amount, step)))
    throw new ConnectorError('invalid-order', `quantity ${o.quantity} is not a multiple of the lot size`);
  if (o.type === 'limit' && o.price === undefined)
    throw new ConnectorError('invalid-order', 'limit order without price');
  const params: Record<string, unknown> = { [spec.createClientIdParam]: o.clientOrderId };
  if (o.type === 'limit') params['timeInForce'] = o.timeInForce;
  if (o.postOnly) params['postOnly'] = true;
  if (o.reduceOnly) params['reduceOnly'] = true;
  return { amount: Number(amount), price: o.price === undefined ? undefined : Number(o.price), params };
}
