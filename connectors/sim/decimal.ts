/**
 * Decimal strings <-> exact integers. Amounts held by accounts are bigint "atoms" of 1e-8 of an
 * asset, so every balance, fee and PnL is exact.
 */
export const ATOM_DECIMALS = 8;
export const ATOMS_PER_UNIT = 10n ** BigInt(ATOM_DECIMALS);

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string to an integer scaled by 10^scale; undefined if malformed or too precise. */
export function parseScaled(text: string, scale: number): bigint | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const intPart = m[1] ?? '0';
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > scale) return undefined;
  return BigInt(intPart + frac.padEnd(scale, '0'));
}

export function isDecimalString(text: string): boolean {
  return DECIMAL_RE.test(text);
}

export function decimalPlaces(text: string): number {
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  return (m[2] ?? '').replace(/0+$/, '').length;
}

/** Formats an integer scaled by 10^scale as a decimal string, trimming trailing zeros. */
export function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const intPart = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return (negative ? '-' : '') + intPart + (frac ? `.${frac}` : '');
}

export const formatAtoms = (atoms: bigint): string => formatScaled(atoms, ATOM_DECIMALS);

export function parseAtoms(text: string): bigint | undefined {
  return parseScaled(text, ATOM_DECIMALS);
}

/** Divides rounding toward +infinity (for fees and margin: the venue never rounds in the client's favour). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a || a < 0n !== b < 0n ? q : q + 1n;
}
