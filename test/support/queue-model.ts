import type { ReplayEvent } from '../../sim/replay';

/**
 * The same model written a second way, with no matching engine, for a client buy of `lots` at `price`
 * placed after event `from`: the recorded bid levels as plain quantities, the client's place at its level
 * as `ahead` / `behind`, and the recorded asks that come down to its price selling into it. Returns the
 * client's filled lots after each event from `from` on.
 */
export function independentFills(
  events: ReplayEvent[],
  from: number,
  order: { price: number; lots: number },
  toTicks: (price: string) => number,
  toLots: (qty: string) => number,
) {
  const bids = new Map<number, number>();
  /** Recorded asks at or below the client's price: what of them did not trade with it. */
  const crossing = new Map<number, number>();
  let touch: { bid?: number; ask?: number } = {};
  let ahead = 0;
  let behind = 0;
  let filled = 0;
  let placed = false;
  const setBid = (at: number, qty: number) => {
    if (!placed || at !== order.price) return void (qty > 0 ? bids.set(at, qty) : bids.delete(at));
    if (qty > ahead + behind) behind = qty - ahead;
    else {
      const cut = ahead + behind - qty;
      const fromBehind = Math.min(cut, behind);
      behind -= fromBehind;
      ahead -= cut - fromBehind;
    }
  };
  const setAsk = (at: number, qty: number) => {
    if (!placed || at > order.price) return;
    const held = crossing.get(at) ?? 0;
    if (qty > held) {
      const sold = Math.min(qty - held, order.lots - filled);
      filled += sold;
      crossing.set(at, qty - sold);
    } else crossing.set(at, qty);
  };
  const sell = (limit: number, qty: number) => {
    let volume = qty;
    const levelsBefore = [...bids.keys()].filter((at) => at >= limit && (!placed || at > order.price));
    for (const at of levelsBefore.sort((a, b) => b - a)) {
      const take = Math.min(volume, bids.get(at) ?? 0);
      volume -= take;
      setBid(at, (bids.get(at) ?? 0) - take);
    }
    if (!placed || limit > order.price) return;
    const fromAhead = Math.min(volume, ahead);
    ahead -= fromAhead;
    volume -= fromAhead;
    const mine = Math.min(volume, order.lots - filled);
    filled += mine;
    volume -= mine;
    behind -= Math.min(volume, behind);
  };
  const out: number[] = [];
  events.forEach((event, index) => {
    if (index === from) {
      placed = true;
      ahead = bids.get(order.price) ?? 0;
    }
    if (event.kind === 'bbo') {
      touch = { bid: toTicks(event.bid), ask: toTicks(event.ask) };
      for (const at of [...bids.keys()]) if (at > touch.bid!) setBid(at, 0);
      if (placed && order.price > touch.bid!) setBid(order.price, 0);
      for (const at of [...crossing.keys()]) if (at < touch.ask!) setAsk(at, 0);
      setBid(touch.bid!, toLots(event.bidQty));
      setAsk(touch.ask!, toLots(event.askQty));
    } else if (event.kind === 'depth') {
      for (const [p, q] of event.bids)
        if (touch.bid === undefined || toTicks(p) <= touch.bid) setBid(toTicks(p), toLots(q));
      for (const [p, q] of event.asks)
        if (touch.ask === undefined || toTicks(p) >= touch.ask) setAsk(toTicks(p), toLots(q));
    } else if (event.takerSide === 'sell') sell(toTicks(event.price), toLots(event.qty));
    if (index >= from) out.push(filled);
  });
  return out;
}
