/**
 * Exact decimal arithmetic for strategy math: decimal strings in and out, bigint fixed-point inside.
 * Pure and deterministic (workflow code): never a binary float.
 */

export const SCALE = 12;
const FACTOR = 10n ** BigInt(SCALE);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** `"60000.5"` → 60000.5 × 10^12 as a bigint; extra digits beyond 12 decimals are truncated. */
export function toFixed(value: string): bigint {
  const match = DECIMAL.exec(value);
  if (!match) throw new RangeError(`not a non-negative decimal string: ${JSON.stringify(value)}`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').slice(0, SCALE).padEnd(SCALE, '0');
  return BigInt(whole) * FACTOR + BigInt(fraction);
}

/** The inverse of `toFixed`, without trailing zeros: 60000500000000000n → `"60000.5"`. */
export function fromFixed(value: bigint): string {
  if (value < 0n) throw new RangeError('negative decimal');
  const whole = value / FACTOR;
  const fraction = (value % FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** a × b, both fixed-point, truncated back to fixed-point. */
export function multiplyFixed(a: bigint, b: bigint): bigint {
  return (a * b) / FACTOR;
}
