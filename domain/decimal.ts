/**
 * Exact decimal arithmetic, the one implementation every layer uses. Values travel as plain decimal
 * strings (`"-0.001"`, never exponent notation or binary floats); inside, they are bigint integers scaled
 * by a power of ten. Exact where the result is exact (add, subtract, multiply, midpoint); everything that
 * can lose digits takes an explicit rounding mode. Pure and deterministic, so workflow code can use it.
 */

/**
 * How a result that does not fit is rounded: `down` toward zero, `up` away from zero, `floor` toward −∞,
 * `ceil` toward +∞, `half-up` to the nearest with ties away from zero.
 */
export type Rounding = 'down' | 'up' | 'floor' | 'ceil' | 'half-up';

const SIGNED = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Scaled {
  units: bigint;
  places: number;
}

/** `"-1.50"` → { units: -150n, places: 2 }; undefined when not a plain decimal (or signed where unsigned is asked). */
function parse(text: string, unsigned = false): Scaled | undefined {
  const match = SIGNED.exec(text);
  if (!match || (unsigned && match[1] === '-')) return undefined;
  const fraction = match[3] ?? '';
  const magnitude = BigInt((match[2] ?? '0') + fraction);
  return { units: match[1] === '-' ? -magnitude : magnitude, places: fraction.length };
}

function parseOrThrow(text: string): Scaled {
  const scaled = parse(text);
  if (!scaled) throw new RangeError(`not a plain decimal: ${JSON.stringify(text)}`);
  return scaled;
}

const pow10 = (places: number) => 10n ** BigInt(places);

/** True for a plain decimal string such as `"0.01"` (and `"-2"` unless `unsigned`). */
export function isDecimal(text: string, options: { unsigned?: boolean } = {}): boolean {
  return parse(text, options.unsigned) !== undefined;
}

/** Decimal places that carry a digit: `"0.0100"` → 2. */
export function decimalPlaces(text: string): number {
  const fraction = parseOrThrow(text).places > 0 ? text.slice(text.indexOf('.') + 1) : '';
  return fraction.replace(/0+$/, '').length;
}

/** a / b as an integer, rounded as asked (b ≠ 0). */
export function divideRounded(a: bigint, b: bigint, rounding: Rounding): bigint {
  if (b === 0n) throw new RangeError('division by zero');
  const quotient = a / b;
  const remainder = a % b;
  if (remainder === 0n) return quotient;
  const negative = a < 0n !== b < 0n;
  const awayFromZero = negative ? quotient - 1n : quotient + 1n;
  switch (rounding) {
    case 'down':
      return quotient;
    case 'up':
      return awayFromZero;
    case 'floor':
      return negative ? awayFromZero : quotient;
    case 'ceil':
      return negative ? quotient : awayFromZero;
    case 'half-up': {
      const twice = 2n * (remainder < 0n ? -remainder : remainder);
      return twice >= (b < 0n ? -b : b) ? awayFromZero : quotient;
    }
  }
}

/** The multiple of `step` (> 0) that `value` rounds to. */
export function roundToStep(value: bigint, step: bigint, rounding: Rounding): bigint {
  return divideRounded(value, step, rounding) * step;
}

/**
 * The decimal as an integer scaled by 10^scale (`("1.5", 2)` → 150n), rounded as asked when it has more
 * places. Throws RangeError when `text` is not a plain decimal.
 */
export function toScaled(text: string, scale: number, rounding: Rounding): bigint {
  const { units, places } = parseOrThrow(text);
  return places <= scale
    ? units * pow10(scale - places)
    : divideRounded(units, pow10(places - scale), rounding);
}

/**
 * The decimal scaled by 10^scale only when that is exact: undefined when `text` is malformed, has more
 * significant places than `scale`, or (with `unsigned`) is negative. For parsing what a client sent.
 */
export function toScaledExact(
  text: string,
  scale: number,
  options: { unsigned?: boolean } = {},
): bigint | undefined {
  const parsed = parse(text, options.unsigned);
  if (!parsed) return undefined;
  if (parsed.places <= scale) return parsed.units * pow10(scale - parsed.places);
  const divisor = pow10(parsed.places - scale);
  return parsed.units % divisor === 0n ? parsed.units / divisor : undefined;
}

/** An integer scaled by 10^scale as a decimal string without trailing zeros: (-150n, 2) → `"-1.5"`. */
export function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return (negative ? '-' : '') + whole + (fraction ? `.${fraction}` : '');
}

/** The same number written without trailing zeros, as PostgreSQL's numeric division may give it: `"95.000"` → `"95"`. */
export function normalize(text: string): string {
  const x = parseOrThrow(text);
  return fromScaled(x.units, x.places);
}

function aligned(a: string, b: string): [bigint, bigint, number] {
  const x = parseOrThrow(a);
  const y = parseOrThrow(b);
  const places = Math.max(x.places, y.places);
  return [x.units * pow10(places - x.places), y.units * pow10(places - y.places), places];
}

export function add(a: string, b: string): string {
  const [x, y, places] = aligned(a, b);
  return fromScaled(x + y, places);
}

export function subtract(a: string, b: string): string {
  const [x, y, places] = aligned(a, b);
  return fromScaled(x - y, places);
}

export function multiply(a: string, b: string): string {
  const x = parseOrThrow(a);
  const y = parseOrThrow(b);
  return fromScaled(x.units * y.units, x.places + y.places);
}

/** a / b to `places` decimals, rounded as asked (b ≠ 0). */
export function divide(a: string, b: string, places: number, rounding: Rounding): string {
  const [x, y] = aligned(a, b);
  return fromScaled(divideRounded(x * pow10(places), y, rounding), places);
}

/** a / b when the quotient is an exact decimal of at most `maxPlaces` places, else undefined. */
export function divideExact(a: string, b: string, maxPlaces = 18): string | undefined {
  const [x, y] = aligned(a, b);
  if (y === 0n) return undefined;
  const numerator = x * pow10(maxPlaces);
  return numerator % y === 0n ? fromScaled(numerator / y, maxPlaces) : undefined;
}

/** (a + b) / 2, exactly: halving adds at most one decimal place. */
export function midpoint(a: string, b: string): string {
  const [x, y, places] = aligned(a, b);
  return fromScaled((x + y) * 5n, places + 1);
}

export function negate(a: string): string {
  const { units, places } = parseOrThrow(a);
  return fromScaled(-units, places);
}

export function abs(a: string): string {
  const { units, places } = parseOrThrow(a);
  return fromScaled(units < 0n ? -units : units, places);
}

/** -1, 0 or 1. */
export function sign(a: string): number {
  const { units } = parseOrThrow(a);
  return units < 0n ? -1 : units > 0n ? 1 : 0;
}

export function compare(a: string, b: string): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True when `value` is a whole multiple of `step` (step > 0). */
export function isMultipleOf(value: string, step: string): boolean {
  const [v, s] = aligned(value, step);
  return s > 0n && v % s === 0n;
}

/**
 * Fixed point for strategy math: bigints scaled by 10^12, so loops of multiplications and comparisons
 * stay in integers. Converted from and to decimal strings at the edges.
 */
export const FIXED_SCALE = 12;
export const FIXED_ONE = pow10(FIXED_SCALE);

/** `"60000.5"` → 60000.5 × 10^12; digits beyond 12 places are rounded as asked (default toward zero). */
export function toFixed(text: string, rounding: Rounding = 'down'): bigint {
  return toScaled(text, FIXED_SCALE, rounding);
}

/** The inverse of `toFixed`, without trailing zeros: 60000500000000000n → `"60000.5"`. */
export function fromFixed(value: bigint): string {
  return fromScaled(value, FIXED_SCALE);
}

/** a × b of two fixed-point values, back to fixed point. */
export function multiplyFixed(a: bigint, b: bigint, rounding: Rounding): bigint {
  return divideRounded(a * b, FIXED_ONE, rounding);
}

/** a / b of two fixed-point values, in fixed point (b ≠ 0). */
export function divideFixed(a: bigint, b: bigint, rounding: Rounding): bigint {
  return divideRounded(a * FIXED_ONE, b, rounding);
}
