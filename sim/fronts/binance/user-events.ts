import { multiply } from '../../../domain/decimal';
import type { Execution } from './executions';
import { futuresOrder, spotOrder } from './format';

/**
 * Execution reports in the user-data payloads of Binance spot (`executionReport`, WebSocket API) and
 * USD-M futures (`ORDER_TRADE_UPDATE`, listenKey stream). The order fields come from the REST formatters
 * (`spotOrder`, `futuresOrder`), so a stream and a REST read of the same order agree.
 */

const isOnBook = (x: Execution): boolean =>
  x.order.type === 'limit' && (x.order.status === 'NEW' || x.order.status === 'PARTIALLY_FILLED');

/** The fill's own numbers (`l`, `L`, `n`, `N`, `t`, `m`): zeros when the report carries none. */
function lastFill(x: Execution) {
  const f = x.fill;
  return {
    qty: f?.quantity ?? '0',
    price: f?.price ?? '0',
    quote: f ? multiply(f.price, f.quantity) : '0',
    commission: f?.fee ?? '0',
    commissionAsset: f?.feeAsset ?? null,
    tradeId: f?.tradeId,
    maker: f?.liquidity === 'maker',
  };
}

export function spotExecutionReport(x: Execution, now: number): Record<string, unknown> {
  const o = spotOrder(x.order);
  const f = lastFill(x);
  return {
    e: 'executionReport',
    E: now,
    s: o['symbol'],
    c: o['clientOrderId'],
    S: o['side'],
    o: o['type'],
    f: o['timeInForce'],
    q: o['origQty'],
    p: o['price'],
    P: '0',
    F: '0',
    g: -1,
    // The original client order id of a canceled order (the simulator's cancels carry no id of their own).
    C: x.type === 'CANCELED' ? o['clientOrderId'] : '',
    x: x.type,
    X: o['status'],
    r: 'NONE',
    i: o['orderId'],
    l: f.qty,
    z: o['executedQty'],
    L: f.price,
    n: f.commission,
    N: f.commissionAsset,
    T: o['updateTime'],
    t: f.tradeId ?? -1,
    I: 0,
    w: isOnBook(x),
    m: f.maker,
    M: false,
    O: o['time'],
    Z: o['cummulativeQuoteQty'],
    Y: f.quote,
    Q: '0',
    W: o['workingTime'],
    V: o['selfTradePreventionMode'],
  };
}

export function futuresOrderTradeUpdate(x: Execution, now: number): Record<string, unknown> {
  const o = futuresOrder(x.order);
  const f = lastFill(x);
  return {
    e: 'ORDER_TRADE_UPDATE',
    E: now,
    T: o['updateTime'],
    o: {
      s: o['symbol'],
      c: o['clientOrderId'],
      S: o['side'],
      o: o['type'],
      f: o['timeInForce'],
      q: o['origQty'],
      p: o['price'],
      ap: o['avgPrice'],
      sp: '0',
      x: x.type,
      X: o['status'],
      i: o['orderId'],
      l: f.qty,
      z: o['executedQty'],
      L: f.price,
      // Binance pushes the commission only with a fill.
      ...(x.fill ? { N: f.commissionAsset, n: f.commission } : {}),
      T: o['updateTime'],
      t: f.tradeId ?? 0,
      b: '0',
      a: '0',
      m: f.maker,
      R: o['reduceOnly'],
      wt: o['workingType'],
      ot: o['origType'],
      ps: o['positionSide'],
      cp: false,
      rp: '0',
      pP: false,
      si: 0,
      ss: 0,
      V: o['selfTradePreventionMode'],
      pm: o['priceMatch'],
      gtd: 0,
    },
  };
}
