import type { SnapshotRecord, TradeRecord } from './features';

/** One update of the hot loop: the touch as it stands, and the trade that printed with it, if any. */
export interface MarketUpdate {
  snapshot: SnapshotRecord;
  trade: TradeRecord | undefined;
}

/** A recorded best bid/ask or trade (the Binance capture's, as `sim/replay.ts` parses it). */
export type RecordedEvent =
  | { kind: 'bbo'; ts: number; bid: string; bidQty: string; ask: string; askQty: string }
  | { kind: 'trade'; ts: number; price: string; qty: string; takerSide: 'buy' | 'sell' }
  | { kind: 'depth' };

/**
 * A recording's touches and trades as hot-loop updates, in order: each trade rides with the touch standing
 * when it printed (trades before the first touch are dropped). Depth diffs are left to the order book.
 */
export function recordedUpdates(
  events: Iterable<RecordedEvent>,
  limit = Number.POSITIVE_INFINITY,
): MarketUpdate[] {
  const out: MarketUpdate[] = [];
  let touch: SnapshotRecord | undefined;
  for (const event of events) {
    if (out.length >= limit) break;
    if (event.kind === 'bbo') {
      const bidSize = Number(event.bidQty);
      const askSize = Number(event.askQty);
      touch = {
        time: event.ts,
        bid: Number(event.bid),
        ask: Number(event.ask),
        bidSize,
        askSize,
        bidDepth: bidSize,
        askDepth: askSize,
      };
      out.push({ snapshot: touch, trade: undefined });
    } else if (event.kind === 'trade' && touch) {
      const trade = {
        time: event.ts,
        price: Number(event.price),
        quantity: Number(event.qty),
        side: event.takerSide === 'buy' ? 1 : -1,
      };
      out.push({ snapshot: { ...touch, time: event.ts }, trade });
    }
  }
  return out;
}
