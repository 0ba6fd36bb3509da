/** Exact arithmetic on plain decimal strings (`"0.001"`), enough for grid checks and contract sizes. */

interface Scaled {
  value: bigint;
  scale: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function scaled(text: string): Scaled {
  const m = DECIMAL.exec(text);
  if (!m) throw new RangeError(`not a plain decimal: ${text}`);
  const frac = m[3] ?? '';
  const value = BigInt((m[2] ?? '0') + frac);
  return { value: m[1] === '-' ? -value : value, scale: frac.length };
}

function format(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return (negative ? '-' : '') + int + (frac ? `.${frac}` : '');
}

function aligned(a: string, b: string): [bigint, bigint, number] {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return [x.value * 10n ** BigInt(scale - x.scale), y.value * 10n ** BigInt(scale - y.scale), scale];
}

/** True when `value` is a whole multiple of `step` (step > 0). */
export function isMultipleOf(value: string, step: string): boolean {
  const [v, s] = aligned(value, step);
  return s > 0n && v % s === 0n;
}

export function multiply(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  return format(x.value * y.value, x.scale + y.scale);
}

/** a / b when the quotient is an exact decimal of at most 18 places, else undefined. */
export function divideExact(a: string, b: string): string | undefined {
  const [x, y] = aligned(a, b);
  if (y === 0n) return undefined;
  const scale = 18;
  const num = x * 10n ** BigInt(scale);
  if (num % y !== 0n) return undefined;
  return format(num / y, scale);
}

export function compare(a: string, b: string): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** (a + b) / 2, exactly: halving adds at most one decimal place. */
export function midpoint(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  return format((x + y) * 5n, scale + 1);
}

export function add(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  return format(x + y, scale);
}

export function subtract(a: string, b: string): string {
  const [x, y, scale] = aligned(a, b);
  return format(x - y, scale);
}

/** a / b truncated toward zero to `places` decimals (b ≠ 0). */
export function divide(a: string, b: string, places = 12): string {
  const [x, y] = aligned(a, b);
  if (y === 0n) throw new RangeError('division by zero');
  return format((x * 10n ** BigInt(places)) / y, places);
}
