import { divideRounded } from '../domain/decimal';
import type { Side } from '../domain/trading';
import type { PerpLedger } from './accounts/perp-ledger';
import type { SpotWallets } from './accounts/spot-wallets';
import { SimError } from './errors';
import type { SymbolId } from './ids';
import type { Instrument } from './instruments';
import type { VenueOrder } from './orders';

const PPM = 1_000_000n;

/** Fee on an amount, rounded up so the venue never under-charges. */
export const feeOf = (atoms: bigint, ppm: number): bigint => divideRounded(atoms * BigInt(ppm), PPM, 'ceil');

/** How a market holds funds for orders and settles executions. */
export interface Settlement {
  /** Checks and holds funds for a new order. `sweepTickLots` prices a market order from the book. */
  reserve(order: VenueOrder, sweepTickLots: bigint): SimError | undefined;
  /** Settles one execution of `order`; returns the fee charged (atoms of order.feeAsset). */
  fill(order: VenueOrder, ticks: number, lots: number, feePpm: number, remainingBefore: number): bigint;
  /** Releases whatever is still held once the order is closed. */
  release(order: VenueOrder): void;
  feeAsset(inst: Instrument, side: Side): string;
}

/**
 * Spot: buys lock quote at the limit price (market buys: the book's sweep cost), sells lock base.
 * Fees are taken from what the account receives, as spot venues do by default.
 */
export class SpotSettlement implements Settlement {
  constructor(private readonly wallets: SpotWallets) {}

  feeAsset(inst: Instrument, side: Side): string {
    return side === 'buy' ? inst.base : inst.quote;
  }

  reserve(o: VenueOrder, sweepTickLots: bigint): SimError | undefined {
    const inst = o.inst;
    const [asset, atoms] =
      o.side === 'buy'
        ? [
            inst.quote,
            o.priceTicks === undefined
              ? sweepTickLots * inst.tickLotAtoms
              : inst.notionalAtoms(o.priceTicks, o.lots),
          ]
        : [inst.base, inst.baseAtoms(o.lots)];
    if (!this.wallets.lock(o.account, asset, atoms)) {
      return new SimError('INSUFFICIENT_BALANCE', `needs ${asset}`);
    }
    o.reservedAtoms = atoms;
    return undefined;
  }

  fill(o: VenueOrder, ticks: number, lots: number, feePpm: number): bigint {
    const inst = o.inst;
    const notional = inst.notionalAtoms(ticks, lots);
    if (o.side === 'buy') {
      const atLimit = o.priceTicks === undefined ? notional : inst.notionalAtoms(o.priceTicks, lots);
      const unlock = atLimit < o.reservedAtoms ? atLimit : o.reservedAtoms;
      this.wallets.spendLocked(o.account, inst.quote, notional, unlock);
      o.reservedAtoms -= unlock;
      const received = inst.baseAtoms(lots);
      const fee = feeOf(received, feePpm);
      this.wallets.credit(o.account, inst.base, received - fee);
      return fee;
    }
    const baseAtoms = inst.baseAtoms(lots);
    this.wallets.spendLocked(o.account, inst.base, baseAtoms, baseAtoms);
    o.reservedAtoms -= baseAtoms;
    const fee = feeOf(notional, feePpm);
    this.wallets.credit(o.account, inst.quote, notional - fee);
    return fee;
  }

  release(o: VenueOrder): void {
    if (o.reservedAtoms === 0n) return;
    this.wallets.unlock(o.account, o.side === 'buy' ? o.inst.quote : o.inst.base, o.reservedAtoms);
    o.reservedAtoms = 0n;
  }
}

/**
 * USDT-margined perpetual: an order holds initial margin (notional / leverage) for the lots that
 * would open or increase the position; executions update the position and charge fees in quote.
 */
export class PerpSettlement implements Settlement {
  constructor(
    private readonly ledger: PerpLedger,
    private readonly instOf: (s: SymbolId) => Instrument,
    private readonly markOf: (s: SymbolId) => number,
  ) {}

  feeAsset(inst: Instrument): string {
    return inst.quote;
  }

  reserve(o: VenueOrder, sweepTickLots: bigint): SimError | undefined {
    const sign = o.side === 'buy' ? 1 : -1;
    const pos = this.ledger.accounts.get(o.account)?.positions.get(o.inst.symbol)?.lots ?? 0;
    if (o.reduceOnly && (pos === 0 || Math.sign(pos) === sign || o.lots > Math.abs(pos))) {
      return new SimError('REDUCE_ONLY_REJECTED', `position=${o.inst.formatQty(Math.abs(pos))}`);
    }
    const opening = this.ledger.openingLots(o.account, o.inst.symbol, sign, o.lots);
    if (opening === 0) return undefined;
    const notional =
      o.priceTicks === undefined
        ? (sweepTickLots * o.inst.tickLotAtoms * BigInt(opening)) / BigInt(o.lots)
        : o.inst.notionalAtoms(o.priceTicks, opening);
    const margin = this.ledger.initialMargin(notional, this.ledger.leverageOf(o.account, o.inst.symbol));
    const available = this.ledger.availableMargin(o.account, this.instOf, this.markOf);
    if (available < margin) {
      return new SimError('INSUFFICIENT_MARGIN', `required=${margin} available=${available} (atoms)`);
    }
    this.ledger.account(o.account).orderMarginAtoms += margin;
    o.reservedAtoms = margin;
    return undefined;
  }

  fill(o: VenueOrder, ticks: number, lots: number, feePpm: number, remainingBefore: number): bigint {
    if (o.reservedAtoms > 0n) {
      const release =
        lots === remainingBefore
          ? o.reservedAtoms
          : (o.reservedAtoms * BigInt(lots)) / BigInt(remainingBefore);
      this.ledger.account(o.account).orderMarginAtoms -= release;
      o.reservedAtoms -= release;
    }
    this.ledger.applyFill(o.account, o.inst, o.side === 'buy' ? 1 : -1, ticks, lots);
    const fee = feeOf(o.inst.notionalAtoms(ticks, lots), feePpm);
    this.ledger.chargeFee(o.account, fee);
    return fee;
  }

  release(o: VenueOrder): void {
    if (o.reservedAtoms === 0n) return;
    this.ledger.account(o.account).orderMarginAtoms -= o.reservedAtoms;
    o.reservedAtoms = 0n;
  }
}
