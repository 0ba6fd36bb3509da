import { add, divideRounded, fromFixed, negate, roundToStep, toFixed } from '../../../domain/decimal';
import type { Side } from '../../../domain/trading';

export interface SignalOrderPlan {
  side: Side;
  price: string;
  quantity: string;
  timeInForce: 'GTC' | 'IOC';
  postOnly: boolean;
}

export interface Touch {
  bid: string;
  ask: string;
}

/**
 * The order for a decision: a maker entry joins the near touch (post-only, resting); anything else takes,
 * as an IOC limit at the far touch moved `maxSlippageBps` further (rounded away from the touch to the tick),
 * so a touch that moved a little still fills and one that ran away does not chase. Quantity on the lot grid
 * (down); undefined when less than a lot remains. Pure.
 */
export function planSignalOrder(
  decision: { side: Side; quantity: number; reason: string },
  touch: Touch,
  rules: { tickSize: string; lotSize: string },
  execution: 'taker' | 'maker',
  maxSlippageBps: number,
): SignalOrderPlan | undefined {
  const lot = toFixed(rules.lotSize);
  const tick = toFixed(rules.tickSize);
  const quantity = roundToStep(toFixed(decision.quantity.toFixed(12)), lot, 'down');
  if (quantity <= 0n || tick <= 0n) return undefined;
  const buy = decision.side === 'buy';
  if (execution === 'maker' && decision.reason === 'entry')
    return {
      side: decision.side,
      price: buy ? touch.bid : touch.ask,
      quantity: fromFixed(quantity),
      timeInForce: 'GTC',
      postOnly: true,
    };
  const far = toFixed(buy ? touch.ask : touch.bid);
  const slip = divideRounded(far * BigInt(maxSlippageBps), 10_000n, 'down');
  const price = roundToStep(buy ? far + slip : far - slip, tick, buy ? 'up' : 'down');
  if (price <= 0n) return undefined;
  return {
    side: decision.side,
    price: fromFixed(price),
    quantity: fromFixed(quantity),
    timeInForce: 'IOC',
    postOnly: false,
  };
}

/** The position after `filled` of an order on `side` (signed: a sell takes away). */
export const positionAfter = (position: string, side: Side, filled: string): string =>
  add(position, side === 'buy' ? filled : negate(filled));
