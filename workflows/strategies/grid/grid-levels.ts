import {
  FIXED_ONE,
  divideFixed,
  fromFixed,
  multiplyFixed,
  roundToStep,
  toFixed,
} from '../../../domain/decimal';
import type { GridParams, TradingRules } from './grid-params';

const multiply = (a: bigint, b: bigint) => multiplyFixed(a, b, 'down');
const divide = (a: bigint, b: bigint) => divideFixed(a, b, 'down');

function power(base: bigint, exponent: number): bigint {
  let result = FIXED_ONE;
  for (let i = 0; i < exponent; i += 1) result = multiply(result, base);
  return result;
}

/** Largest fixed-point r with r^n <= x, by bisection: exact integer arithmetic, so replays agree bit for bit. */
function nthRoot(x: bigint, n: number): bigint {
  let low = FIXED_ONE;
  let high = x > FIXED_ONE ? x : FIXED_ONE;
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (power(middle, n) <= x) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * The grid's prices, ascending, each on the tick. Geometric spacing keeps a constant ratio between
 * neighbours, arithmetic a constant difference. Throws when two levels round to the same tick.
 */
export function gridLevelPrices(params: GridParams, rules: TradingRules): string[] {
  const lower = toFixed(params.lowerPrice);
  const upper = toFixed(params.upperPrice);
  const tick = toFixed(rules.tickSize);
  const steps = params.levels - 1;
  const raw: bigint[] = [];
  if (params.spacing === 'arithmetic') {
    for (let i = 0; i <= steps; i += 1) raw.push(lower + ((upper - lower) * BigInt(i)) / BigInt(steps));
  } else {
    const ratio = nthRoot(divide(upper, lower), steps);
    let price = lower;
    for (let i = 0; i < steps; i += 1) {
      raw.push(price);
      price = multiply(price, ratio);
    }
    raw.push(upper);
  }
  const onTick = raw.map((price) => roundToStep(price, tick, 'half-up'));
  for (let i = 1; i < onTick.length; i += 1) {
    if ((onTick[i] ?? 0n) <= (onTick[i - 1] ?? 0n)) {
      throw new RangeError(
        `levels ${i - 1} and ${i} fall on the same tick ${rules.tickSize}: use fewer levels or a wider range`,
      );
    }
  }
  return onTick.map(fromFixed);
}

/** The order quantity at a level: the configured base size, or quote size / price, rounded down to the lot. */
export function levelQuantity(params: GridParams, rules: TradingRules, price: string): string {
  const amount = toFixed(params.orderSize.amount);
  const base = params.orderSize.unit === 'base' ? amount : divide(amount, toFixed(price));
  return fromFixed(roundToStep(base, toFixed(rules.lotSize), 'down'));
}

/** Why an order at this level would be refused by the venue, or undefined when it is fine. */
export function levelViolation(rules: TradingRules, price: string, quantity: string): string | undefined {
  const qty = toFixed(quantity);
  if (qty < toFixed(rules.minQuantity) || qty === 0n) {
    return `quantity ${quantity} at ${price} is below the minimum ${rules.minQuantity}`;
  }
  const notional = multiply(qty, toFixed(price));
  if (notional < toFixed(rules.minNotional)) {
    return `notional ${fromFixed(notional)} at ${price} is below the minimum ${rules.minNotional}`;
  }
  return undefined;
}

/** Every problem the configuration has on this venue; empty when the grid can run. Used to refuse updates. */
export function validateGrid(params: GridParams, rules: TradingRules): string[] {
  let prices: string[];
  try {
    prices = gridLevelPrices(params, rules);
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  return prices.flatMap((price) => levelViolation(rules, price, levelQuantity(params, rules, price)) ?? []);
}
