import { add } from '../../../domain/decimal';
import type { TradeView } from '../../orders';
import type { AggregateTrade } from './format';

/**
 * Folds one market's public trades into aggregate trades as they print, grouped as the REST `aggTrades`
 * groups them: consecutive fills of one taker order at one price and time. The simulator prints all the
 * fills of an order within the call that executes it, so an aggregate is complete, and sent, a microtask
 * after it opened (or as soon as a trade that does not belong to it prints).
 */
export function tradeAggregator(send: (a: AggregateTrade) => void): (t: TradeView) => void {
  const open = new Map<string, { agg: AggregateTrade; takerOrderId: string }>();
  const close = (symbol: string): void => {
    const entry = open.get(symbol);
    if (!entry) return;
    open.delete(symbol);
    send(entry.agg);
  };
  return (t) => {
    const cur = open.get(t.symbol);
    if (cur && cur.takerOrderId === t.takerOrderId && cur.agg.price === t.price && cur.agg.ts === t.ts) {
      cur.agg.quantity = add(cur.agg.quantity, t.quantity);
      cur.agg.lastTradeId = t.tradeId;
      return;
    }
    close(t.symbol);
    const entry = {
      takerOrderId: t.takerOrderId,
      agg: {
        symbol: t.symbol,
        firstTradeId: t.tradeId,
        lastTradeId: t.tradeId,
        price: t.price,
        quantity: t.quantity,
        ts: t.ts,
        takerSide: t.takerSide,
      },
    };
    open.set(t.symbol, entry);
    queueMicrotask(() => {
      if (open.get(t.symbol) === entry) close(t.symbol);
    });
  };
}
