import { divideRounded } from '../../domain/decimal';
import type { AccountId, SymbolId } from '../ids';
import { asAccountId, asSymbolId } from '../ids';
import type { Instrument } from '../instruments';
import { atoms } from '../snapshot';
import type { PerpLedgerSnapshot } from '../snapshot';

export interface Position {
  symbol: SymbolId;
  /** Signed: > 0 long, < 0 short. */
  lots: number;
  /** Entry notional of the open lots, atoms; entry price = cost / |lots|. */
  costAtoms: bigint;
  realizedPnlAtoms: bigint;
}

export interface PerpAccount {
  /** Collateral (quote asset) including realized PnL, fees and funding. */
  walletAtoms: bigint;
  /** Initial margin held by open orders. */
  orderMarginAtoms: bigint;
  positions: Map<SymbolId, Position>;
  leverage: Map<SymbolId, number>;
}

export interface FundingPayment {
  ts: number;
  account: AccountId;
  symbol: SymbolId;
  /** Rate times 1e8. */
  rateE8: number;
  /** Signed from the account's view: negative = paid. */
  amountAtoms: bigint;
}

export interface Liquidation {
  ts: number;
  account: AccountId;
  symbol: SymbolId;
  lots: number;
  markTicks: number;
  realizedPnlAtoms: bigint;
  /** Loss beyond the wallet, absorbed by the venue's insurance fund. */
  shortfallAtoms: bigint;
}

export const DEFAULT_LEVERAGE = 10;
const PPM = 1_000_000n;
const E8 = 100_000_000n;

/** USDT-margined perpetual accounts of one venue: cross margin over all of an account's positions. */
export class PerpLedger {
  readonly accounts = new Map<AccountId, PerpAccount>();
  insuranceFundAtoms = 0n;

  account(id: AccountId): PerpAccount {
    let a = this.accounts.get(id);
    if (!a) {
      a = { walletAtoms: 0n, orderMarginAtoms: 0n, positions: new Map(), leverage: new Map() };
      this.accounts.set(id, a);
    }
    return a;
  }

  leverageOf(id: AccountId, symbol: SymbolId): number {
    return this.accounts.get(id)?.leverage.get(symbol) ?? DEFAULT_LEVERAGE;
  }

  position(id: AccountId, symbol: SymbolId): Position {
    const a = this.account(id);
    let p = a.positions.get(symbol);
    if (!p) {
      p = { symbol, lots: 0, costAtoms: 0n, realizedPnlAtoms: 0n };
      a.positions.set(symbol, p);
    }
    return p;
  }

  /** Lots of an order that would open or increase exposure (the rest only reduces the position). */
  openingLots(id: AccountId, symbol: SymbolId, sign: 1 | -1, lots: number): number {
    const pos = this.accounts.get(id)?.positions.get(symbol)?.lots ?? 0;
    if (pos === 0 || Math.sign(pos) === sign) return lots;
    return Math.max(0, lots - Math.abs(pos));
  }

  initialMargin(notionalAtoms: bigint, leverage: number): bigint {
    return divideRounded(notionalAtoms, BigInt(leverage), 'ceil');
  }

  unrealizedPnl(p: Position, inst: Instrument, markTicks: number): bigint {
    if (p.lots === 0) return 0n;
    const markNotional = inst.notionalAtoms(markTicks, Math.abs(p.lots));
    return p.lots > 0 ? markNotional - p.costAtoms : p.costAtoms - markNotional;
  }

  /** Wallet + unrealized PnL - position initial margin - order margin. */
  availableMargin(
    id: AccountId,
    instOf: (s: SymbolId) => Instrument,
    markOf: (s: SymbolId) => number,
  ): bigint {
    const a = this.account(id);
    let avail = a.walletAtoms - a.orderMarginAtoms;
    for (const p of a.positions.values()) {
      if (p.lots === 0) continue;
      const inst = instOf(p.symbol);
      const mark = markOf(p.symbol);
      avail += this.unrealizedPnl(p, inst, mark);
      avail -= this.initialMargin(inst.notionalAtoms(mark, Math.abs(p.lots)), this.leverageOf(id, p.symbol));
    }
    return avail;
  }

  /** Applies one execution to the position; returns realized PnL. Fees are charged separately. */
  applyFill(id: AccountId, inst: Instrument, sign: 1 | -1, ticks: number, lots: number): bigint {
    const p = this.position(id, inst.symbol);
    const a = this.account(id);
    let realized = 0n;
    let rest = lots;
    if (p.lots !== 0 && Math.sign(p.lots) !== sign) {
      const held = Math.abs(p.lots);
      const closing = Math.min(held, rest);
      const costClosed = closing === held ? p.costAtoms : (p.costAtoms * BigInt(closing)) / BigInt(held);
      const exitNotional = inst.notionalAtoms(ticks, closing);
      realized = p.lots > 0 ? exitNotional - costClosed : costClosed - exitNotional;
      p.costAtoms -= costClosed;
      p.lots += sign * closing;
      rest -= closing;
    }
    if (rest > 0) {
      p.lots += sign * rest;
      p.costAtoms += inst.notionalAtoms(ticks, rest);
    }
    p.realizedPnlAtoms += realized;
    a.walletAtoms += realized;
    return realized;
  }

  chargeFee(id: AccountId, feeAtoms: bigint): void {
    this.account(id).walletAtoms -= feeAtoms;
  }

  maintenanceMargin(p: Position, inst: Instrument, markTicks: number): bigint {
    return divideRounded(
      inst.notionalAtoms(markTicks, Math.abs(p.lots)) * BigInt(inst.maintenanceMarginPpm),
      PPM,
      'ceil',
    );
  }

  /** Accounts whose equity (wallet + unrealized PnL) is below their maintenance margin. */
  breachedAccounts(instOf: (s: SymbolId) => Instrument, markOf: (s: SymbolId) => number): AccountId[] {
    const out: AccountId[] = [];
    for (const [id, a] of this.accounts) {
      let equity = a.walletAtoms;
      let maintenance = 0n;
      let open = false;
      for (const p of a.positions.values()) {
        if (p.lots === 0) continue;
        open = true;
        const inst = instOf(p.symbol);
        const mark = markOf(p.symbol);
        equity += this.unrealizedPnl(p, inst, mark);
        maintenance += this.maintenanceMargin(p, inst, mark);
      }
      if (open && equity < maintenance) out.push(id);
    }
    return out;
  }

  /** Closes every position of the account at mark, realizing the loss; a negative wallet goes to the insurance fund. */
  liquidate(
    id: AccountId,
    instOf: (s: SymbolId) => Instrument,
    markOf: (s: SymbolId) => number,
    ts: number,
  ): Liquidation[] {
    const a = this.account(id);
    const events: Liquidation[] = [];
    for (const p of a.positions.values()) {
      if (p.lots === 0) continue;
      const lots = p.lots;
      const mark = markOf(p.symbol);
      const pnl = this.applyFill(id, instOf(p.symbol), lots > 0 ? -1 : 1, mark, Math.abs(lots));
      events.push({
        ts,
        account: id,
        symbol: p.symbol,
        lots,
        markTicks: mark,
        realizedPnlAtoms: pnl,
        shortfallAtoms: 0n,
      });
    }
    if (a.walletAtoms < 0n) {
      const last = events[events.length - 1];
      if (last) last.shortfallAtoms = -a.walletAtoms;
      this.insuranceFundAtoms -= -a.walletAtoms;
      a.walletAtoms = 0n;
    }
    return events;
  }

  /** Long pays short when rate > 0: amount = mark notional * rate. */
  applyFunding(
    symbol: SymbolId,
    inst: Instrument,
    markTicks: number,
    rateE8: number,
    ts: number,
  ): FundingPayment[] {
    const out: FundingPayment[] = [];
    for (const [id, a] of this.accounts) {
      const p = a.positions.get(symbol);
      if (!p || p.lots === 0) continue;
      const notional = inst.notionalAtoms(markTicks, Math.abs(p.lots));
      const payment = (notional * BigInt(Math.abs(rateE8))) / E8;
      const paysOut = p.lots > 0 === rateE8 > 0;
      const amount = paysOut ? -payment : payment;
      a.walletAtoms += amount;
      out.push({ ts, account: id, symbol, rateE8, amountAtoms: amount });
    }
    return out;
  }

  snapshot(): PerpLedgerSnapshot {
    return {
      insuranceFundAtoms: String(this.insuranceFundAtoms),
      accounts: [...this.accounts].map(([account, a]) => ({
        account,
        walletAtoms: String(a.walletAtoms),
        orderMarginAtoms: String(a.orderMarginAtoms),
        positions: [...a.positions.values()].map((p) => ({
          symbol: p.symbol,
          lots: p.lots,
          costAtoms: String(p.costAtoms),
          realizedPnlAtoms: String(p.realizedPnlAtoms),
        })),
        leverage: [...a.leverage].map(([symbol, leverage]) => ({ symbol, leverage })),
      })),
    };
  }

  restore(s: PerpLedgerSnapshot): void {
    this.insuranceFundAtoms = atoms(s.insuranceFundAtoms);
    this.accounts.clear();
    for (const a of s.accounts) {
      const account = this.account(asAccountId(a.account));
      account.walletAtoms = atoms(a.walletAtoms);
      account.orderMarginAtoms = atoms(a.orderMarginAtoms);
      for (const p of a.positions) {
        const symbol = asSymbolId(p.symbol);
        account.positions.set(symbol, {
          symbol,
          lots: p.lots,
          costAtoms: atoms(p.costAtoms),
          realizedPnlAtoms: atoms(p.realizedPnlAtoms),
        });
      }
      for (const l of a.leverage) account.leverage.set(asSymbolId(l.symbol), l.leverage);
    }
  }
}
