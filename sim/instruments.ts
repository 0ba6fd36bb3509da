import { decimalPlaces, fromScaled, toScaledExact } from '../domain/decimal';
import { SimError } from './errors';
import type { SymbolId } from './ids';
import { asSymbolId } from './ids';

/** Money in the simulator is bigint atoms of 1e-8 of an asset, so every balance, fee and PnL is exact. */
export const ATOM_DECIMALS = 8;
export const ATOMS_PER_UNIT = 10n ** BigInt(ATOM_DECIMALS);
export const formatAtoms = (atoms: bigint): string => fromScaled(atoms, ATOM_DECIMALS);
/** Undefined when malformed, negative or finer than one atom. */
export const parseAtoms = (text: string): bigint | undefined =>
  toScaledExact(text, ATOM_DECIMALS, { unsigned: true });

export interface InstrumentSpec {
  /** Canonical `BASE-QUOTE`, e.g. `BTC-USDT`. */
  symbol: string;
  tickSize: string;
  lotSize: string;
  minQty: string;
  maxQty: string;
  minNotional: string;
  /** Perpetuals only: maintenance margin as a fraction of position notional, in parts per million. */
  maintenanceMarginPpm?: number;
  /** Perpetuals only. */
  maxLeverage?: number;
}

/**
 * An instrument compiled to integer units. Prices are integer ticks, quantities integer lots; money
 * is bigint atoms (1e-8). Every conversion from text rejects off-grid values with the venue's error.
 */
export class Instrument {
  readonly symbol: SymbolId;
  readonly base: string;
  readonly quote: string;
  readonly tickDecimals: number;
  readonly lotDecimals: number;
  readonly minLots: number;
  readonly maxLots: number;
  readonly minNotionalAtoms: bigint;
  /** Quote atoms for one tick times one lot; notional = ticks * lots * this. */
  readonly tickLotAtoms: bigint;
  /** Base atoms in one lot. */
  readonly lotAtoms: bigint;
  readonly maintenanceMarginPpm: number;
  readonly maxLeverage: number;
  private readonly tickScaled: bigint;
  private readonly lotScaled: bigint;

  constructor(readonly spec: InstrumentSpec) {
    const [base, quote] = spec.symbol.split('-');
    if (!base || !quote) throw new Error(`instrument symbol must be BASE-QUOTE: ${spec.symbol}`);
    this.symbol = asSymbolId(spec.symbol);
    this.base = base;
    this.quote = quote;
    this.tickDecimals = decimalPlaces(spec.tickSize);
    this.lotDecimals = decimalPlaces(spec.lotSize);
    this.tickScaled = toScaledExact(spec.tickSize, this.tickDecimals, { unsigned: true })!;
    this.lotScaled = toScaledExact(spec.lotSize, this.lotDecimals, { unsigned: true })!;
    const atomsScale = 10n ** BigInt(this.tickDecimals + this.lotDecimals);
    const tickLot = this.tickScaled * this.lotScaled * ATOMS_PER_UNIT;
    if (tickLot % atomsScale !== 0n) throw new Error(`${spec.symbol}: tick*lot is finer than 1e-8`);
    this.tickLotAtoms = tickLot / atomsScale;
    this.lotAtoms = (this.lotScaled * ATOMS_PER_UNIT) / 10n ** BigInt(this.lotDecimals);
    this.minLots = this.lotsOrThrow(spec.minQty);
    this.maxLots = this.lotsOrThrow(spec.maxQty);
    this.minNotionalAtoms = toScaledExact(spec.minNotional, 8, { unsigned: true }) ?? 0n;
    this.maintenanceMarginPpm = spec.maintenanceMarginPpm ?? 5000;
    this.maxLeverage = spec.maxLeverage ?? 100;
  }

  private lotsOrThrow(text: string): number {
    const r = this.parseQty(text);
    if (typeof r !== 'number') throw new Error(`${this.spec.symbol}: bad qty ${text}`);
    return r;
  }

  /** Price text -> ticks, or the rejection reason. */
  parsePrice(text: string): number | SimError {
    const d = Math.max(this.tickDecimals, fractionDigits(text));
    const scaled = toScaledExact(text, d, { unsigned: true });
    if (scaled === undefined || d > 18) return new SimError('INVALID_NUMBER', `price=${text}`);
    if (scaled <= 0n) return new SimError('INVALID_NUMBER', `price must be positive: ${text}`);
    const tick = this.tickScaled * 10n ** BigInt(d - this.tickDecimals);
    if (scaled % tick !== 0n)
      return new SimError('PRICE_OFF_TICK', `price=${text} tickSize=${this.spec.tickSize}`);
    const ticks = scaled / tick;
    if (ticks > BigInt(Number.MAX_SAFE_INTEGER))
      return new SimError('INVALID_NUMBER', `price too large: ${text}`);
    return Number(ticks);
  }

  /** Quantity text -> lots, or the rejection reason. */
  parseQty(text: string): number | SimError {
    const d = Math.max(this.lotDecimals, fractionDigits(text));
    const scaled = toScaledExact(text, d, { unsigned: true });
    if (scaled === undefined || d > 18) return new SimError('INVALID_NUMBER', `quantity=${text}`);
    if (scaled <= 0n) return new SimError('INVALID_NUMBER', `quantity must be positive: ${text}`);
    const lot = this.lotScaled * 10n ** BigInt(d - this.lotDecimals);
    if (scaled % lot !== 0n)
      return new SimError('QTY_OFF_STEP', `quantity=${text} stepSize=${this.spec.lotSize}`);
    const lots = scaled / lot;
    if (lots > BigInt(Number.MAX_SAFE_INTEGER)) return new SimError('QTY_ABOVE_MAX', `quantity=${text}`);
    return Number(lots);
  }

  /** Size and notional filters; `refTicks` is the limit price, or for market orders a reference price. */
  checkFilters(lots: number, refTicks: number | undefined): SimError | undefined {
    if (lots < this.minLots) return new SimError('QTY_BELOW_MIN', `minQty=${this.spec.minQty}`);
    if (lots > this.maxLots) return new SimError('QTY_ABOVE_MAX', `maxQty=${this.spec.maxQty}`);
    if (refTicks !== undefined && this.notionalAtoms(refTicks, lots) < this.minNotionalAtoms) {
      return new SimError('NOTIONAL_BELOW_MIN', `minNotional=${this.spec.minNotional}`);
    }
    return undefined;
  }

  notionalAtoms(ticks: number, lots: number): bigint {
    return BigInt(ticks) * BigInt(lots) * this.tickLotAtoms;
  }
  baseAtoms(lots: number): bigint {
    return BigInt(lots) * this.lotAtoms;
  }
  formatPrice(ticks: number): string {
    return fromScaled(BigInt(ticks) * this.tickScaled, this.tickDecimals);
  }
  formatQty(lots: number): string {
    return fromScaled(BigInt(lots) * this.lotScaled, this.lotDecimals);
  }
  /** Nearest tick to a floating price (for synthetic price processes only, never for client input). */
  ticksFromFloat(price: number): number {
    return Math.max(1, Math.round(price / Number(this.spec.tickSize)));
  }
  lotsFromFloat(qty: number): number {
    return Math.max(0, Math.round(qty / Number(this.spec.lotSize)));
  }
  ticksToFloat(ticks: number): number {
    return ticks * Number(this.spec.tickSize);
  }
}

function fractionDigits(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
