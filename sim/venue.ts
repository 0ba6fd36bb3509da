import { fromScaled, toScaledExact } from '../domain/decimal';
import { PerpLedger } from './accounts/perp-ledger';
import type { FundingPayment, Liquidation } from './accounts/perp-ledger';
import { SpotWallets } from './accounts/spot-wallets';
import type { Clock } from './clock';
import { SimError } from './errors';
import type { MarketKind, SymbolId, VenueName } from './ids';
import { asAccountId, asSymbolId } from './ids';
import { formatAtoms, parseAtoms } from './instruments';
import type { InstrumentSpec } from './instruments';
import { PerpSettlement, SpotSettlement } from './settlement';
import { atoms } from './snapshot';
import type { VenueConfigSnapshot, VenueSnapshot } from './snapshot';
import { VenueMarket } from './venue-market';
import type { ClientIdReuse, MarketConfig, VenueConfig } from './venues-config';

export interface BalanceView {
  asset: string;
  total: string;
  locked: string;
  available: string;
}

export interface PositionView {
  symbol: SymbolId;
  side: 'long' | 'short' | 'flat';
  quantity: string;
  entryPrice: string | null;
  markPrice: string;
  unrealizedPnl: string;
  realizedPnl: string;
  leverage: number;
  initialMargin: string;
  maintenanceMargin: string;
}

export interface PerpAccountView {
  asset: string;
  walletBalance: string;
  orderMargin: string;
  unrealizedPnl: string;
  equity: string;
  availableMargin: string;
  positions: PositionView[];
}

export interface FundingView {
  symbol: SymbolId;
  rate: string;
  nextFundingTime: number;
  intervalMs: number;
}

const E8 = 100_000_000n;

/** One simulated exchange: spot and perp markets, spot wallets, perp margin ledger, funding clock. */
export class SimVenue {
  readonly name: VenueName;
  readonly spot: VenueMarket;
  readonly perp: VenueMarket;
  readonly wallets = new SpotWallets();
  readonly ledger = new PerpLedger();
  readonly fundingHistory: FundingPayment[] = [];
  readonly liquidations: Liquidation[] = [];
  private readonly fundingRatesE8 = new Map<SymbolId, number>();
  /** Symbols whose funding rate was set explicitly; the synthetic market leaves them alone. */
  private readonly manualFunding = new Set<SymbolId>();
  private readonly fundingIntervalMs: number;
  nextFundingAt: number;

  constructor(
    readonly config: VenueConfig,
    private readonly clock: Clock,
  ) {
    this.name = config.name;
    this.spot = new VenueMarket({
      venue: config.name,
      kind: 'spot',
      config: config.spot,
      clientIdReuse: config.clientIdReuse,
      clock,
      settlement: () => new SpotSettlement(this.wallets),
    });
    this.perp = new VenueMarket({
      venue: config.name,
      kind: 'perp',
      config: config.perp,
      clientIdReuse: config.clientIdReuse,
      clock,
      settlement: (m) =>
        new PerpSettlement(
          this.ledger,
          (s) => m.instrument(s),
          (s) => m.markTicks(s),
        ),
    });
    this.fundingIntervalMs = config.fundingIntervalMs;
    this.nextFundingAt = (Math.floor(clock.now() / this.fundingIntervalMs) + 1) * this.fundingIntervalMs;
    for (const s of this.perp.symbolIds()) this.fundingRatesE8.set(s, 10_000); // 0.01 % per interval, the usual baseline
  }

  market(kind: string): VenueMarket {
    if (kind === 'spot') return this.spot;
    if (kind === 'perp') return this.perp;
    throw new SimError('UNKNOWN_VENUE', `market=${kind}`);
  }

  setClientIdReuse(mode: ClientIdReuse): void {
    this.spot.clientIds.mode = mode;
    this.perp.clientIds.mode = mode;
  }

  get clientIdReuse(): ClientIdReuse {
    return this.spot.clientIds.mode;
  }

  /** Credits an account. `wallet` 'spot' takes any asset; 'perp' is the quote-asset margin wallet. */
  deposit(wallet: MarketKind, account: string, asset: string, amount: string): void {
    const atoms = parseAtoms(amount);
    if (atoms === undefined) throw new SimError('INVALID_NUMBER', `amount=${amount}`);
    if (wallet === 'spot') this.wallets.credit(asAccountId(account), asset, atoms);
    else this.ledger.account(asAccountId(account)).walletAtoms += atoms;
  }

  balances(account: string): BalanceView[] {
    return [...this.wallets.all(asAccountId(account))].map(([asset, b]) => ({
      asset,
      total: formatAtoms(b.total),
      locked: formatAtoms(b.locked),
      available: formatAtoms(b.total - b.locked),
    }));
  }

  setLeverage(account: string, symbol: string, leverage: number): void {
    const inst = this.perp.instrument(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > inst.maxLeverage) {
      throw new SimError('MALFORMED_REQUEST', `leverage must be an integer in [1, ${inst.maxLeverage}]`);
    }
    this.ledger.account(asAccountId(account)).leverage.set(inst.symbol, leverage);
  }

  perpAccount(account: string): PerpAccountView {
    const id = asAccountId(account);
    const a = this.ledger.account(id);
    const positions: PositionView[] = [];
    let upnlTotal = 0n;
    for (const p of a.positions.values()) {
      const inst = this.perp.instrument(p.symbol);
      const mark = this.perp.markTicks(p.symbol);
      const upnl = this.ledger.unrealizedPnl(p, inst, mark);
      upnlTotal += upnl;
      const leverage = this.ledger.leverageOf(id, p.symbol);
      const absLots = Math.abs(p.lots);
      positions.push({
        symbol: p.symbol,
        side: p.lots > 0 ? 'long' : p.lots < 0 ? 'short' : 'flat',
        quantity: inst.formatQty(absLots),
        entryPrice: absLots === 0 ? null : formatAtoms((p.costAtoms * E8) / inst.baseAtoms(absLots)),
        markPrice: inst.formatPrice(mark),
        unrealizedPnl: formatAtoms(upnl),
        realizedPnl: formatAtoms(p.realizedPnlAtoms),
        leverage,
        initialMargin: formatAtoms(this.ledger.initialMargin(inst.notionalAtoms(mark, absLots), leverage)),
        maintenanceMargin: formatAtoms(this.ledger.maintenanceMargin(p, inst, mark)),
      });
    }
    const available = this.ledger.availableMargin(
      id,
      (s) => this.perp.instrument(s),
      (s) => this.perp.markTicks(s),
    );
    return {
      asset: 'USDT',
      walletBalance: formatAtoms(a.walletAtoms),
      orderMargin: formatAtoms(a.orderMarginAtoms),
      unrealizedPnl: formatAtoms(upnlTotal),
      equity: formatAtoms(a.walletAtoms + upnlTotal),
      availableMargin: formatAtoms(available),
      positions,
    };
  }

  /** Rate per funding interval as a decimal string, may be negative (shorts pay longs). */
  setFundingRate(symbol: string, rate: string): void {
    const inst = this.perp.instrument(symbol);
    const negative = rate.startsWith('-');
    const scaled = toScaledExact(negative ? rate.slice(1) : rate, 8, { unsigned: true });
    if (scaled === undefined) throw new SimError('INVALID_NUMBER', `rate=${rate}`);
    this.fundingRatesE8.set(inst.symbol, Number(negative ? -scaled : scaled));
    this.manualFunding.add(inst.symbol);
  }

  /** Used by the synthetic market; ignored for symbols whose rate was set explicitly. */
  setSyntheticFundingRateE8(symbol: SymbolId, rateE8: number): void {
    if (!this.manualFunding.has(symbol)) this.fundingRatesE8.set(symbol, Math.round(rateE8));
  }

  funding(symbol: string): FundingView {
    const inst = this.perp.instrument(symbol);
    return {
      symbol: inst.symbol,
      rate: fromScaled(BigInt(this.fundingRatesE8.get(inst.symbol) ?? 0), 8),
      nextFundingTime: this.nextFundingAt,
      intervalMs: this.fundingIntervalMs,
    };
  }

  fundingPayments(account: string): Array<{ ts: number; symbol: SymbolId; rate: string; amount: string }> {
    return this.fundingHistory
      .filter((f) => f.account === account)
      .map((f) => ({
        ts: f.ts,
        symbol: f.symbol,
        rate: fromScaled(BigInt(f.rateE8), 8),
        amount: formatAtoms(f.amountAtoms),
      }));
  }

  /** Settles funding for every perp symbol now, at the current mark. */
  settleFunding(): FundingPayment[] {
    const now = this.clock.now();
    const out: FundingPayment[] = [];
    for (const symbol of this.perp.symbolIds()) {
      const mark = this.perp.markTicks(symbol);
      if (mark === 0) continue;
      out.push(
        ...this.ledger.applyFunding(
          symbol,
          this.perp.instrument(symbol),
          mark,
          this.fundingRatesE8.get(symbol) ?? 0,
          now,
        ),
      );
    }
    this.fundingHistory.push(...out);
    if (this.fundingHistory.length > 100_000)
      this.fundingHistory.splice(0, this.fundingHistory.length - 50_000);
    return out;
  }

  /** Liquidates every account below maintenance margin: cancels its perp orders, closes positions at mark. */
  runLiquidations(): Liquidation[] {
    const instOf = (s: SymbolId): ReturnType<VenueMarket['instrument']> => this.perp.instrument(s);
    const markOf = (s: SymbolId): number => this.perp.markTicks(s);
    const out: Liquidation[] = [];
    for (const id of this.ledger.breachedAccounts(instOf, markOf)) {
      this.perp.cancelAll(id);
      out.push(...this.ledger.liquidate(id, instOf, markOf, this.clock.now()));
    }
    this.liquidations.push(...out);
    return out;
  }

  liquidationViews(account?: string): Array<{
    ts: number;
    account: string;
    symbol: SymbolId;
    quantity: string;
    side: string;
    markPrice: string;
    realizedPnl: string;
    shortfall: string;
  }> {
    return this.liquidations
      .filter((l) => account === undefined || l.account === account)
      .map((l) => {
        const inst = this.perp.instrument(l.symbol);
        return {
          ts: l.ts,
          account: l.account,
          symbol: l.symbol,
          quantity: inst.formatQty(Math.abs(l.lots)),
          side: l.lots > 0 ? 'long' : 'short',
          markPrice: inst.formatPrice(l.markTicks),
          realizedPnl: formatAtoms(l.realizedPnlAtoms),
          shortfall: formatAtoms(l.shortfallAtoms),
        };
      });
  }

  /** Called after the clock moved: funding when due, then liquidations. */
  onClock(): void {
    const now = this.clock.now();
    while (now >= this.nextFundingAt) {
      this.settleFunding();
      this.nextFundingAt += this.fundingIntervalMs;
    }
    this.runLiquidations();
  }

  /**
   * Its whole state: configuration, spot wallets with their locks, perp ledger (positions, margin,
   * leverage, insurance fund), funding rates, schedule and history, liquidations, and both markets.
   */
  snapshot(tapeLimit?: number): VenueSnapshot {
    return {
      config: configSnapshot(this.config),
      wallets: this.wallets.snapshot(),
      ledger: this.ledger.snapshot(),
      funding: {
        nextFundingAt: this.nextFundingAt,
        rates: [...this.fundingRatesE8].map(([symbol, rateE8]) => ({
          symbol,
          rateE8,
          manual: this.manualFunding.has(symbol),
        })),
        history: this.fundingHistory.map((f) => ({ ...f, amountAtoms: String(f.amountAtoms) })),
      },
      liquidations: this.liquidations.map((l) => ({
        ...l,
        realizedPnlAtoms: String(l.realizedPnlAtoms),
        shortfallAtoms: String(l.shortfallAtoms),
      })),
      spot: this.spot.snapshot(tapeLimit),
      perp: this.perp.snapshot(tapeLimit),
    };
  }

  /** Loads a snapshot into this venue, freshly built from the snapshot's own config. */
  restore(s: VenueSnapshot): void {
    this.wallets.restore(s.wallets);
    this.ledger.restore(s.ledger);
    this.nextFundingAt = s.funding.nextFundingAt;
    this.fundingRatesE8.clear();
    this.manualFunding.clear();
    for (const r of s.funding.rates) {
      const symbol = asSymbolId(r.symbol);
      this.fundingRatesE8.set(symbol, r.rateE8);
      if (r.manual) this.manualFunding.add(symbol);
    }
    this.fundingHistory.length = 0;
    for (const f of s.funding.history)
      this.fundingHistory.push({
        ...f,
        account: asAccountId(f.account),
        symbol: asSymbolId(f.symbol),
        amountAtoms: atoms(f.amountAtoms),
      });
    this.liquidations.length = 0;
    for (const l of s.liquidations)
      this.liquidations.push({
        ...l,
        account: asAccountId(l.account),
        symbol: asSymbolId(l.symbol),
        realizedPnlAtoms: atoms(l.realizedPnlAtoms),
        shortfallAtoms: atoms(l.shortfallAtoms),
      });
    this.spot.restore(s.spot);
    this.perp.restore(s.perp);
  }

  /** Convenience for tests/UIs: funding rate of a symbol by id. */
  fundingRateE8(symbol: SymbolId): number {
    return this.fundingRatesE8.get(asSymbolId(symbol)) ?? 0;
  }
}

/** A venue's configuration with only the fields a snapshot knows (and no undefined ones). */
function configSnapshot(c: VenueConfig): VenueConfigSnapshot {
  const market = (m: MarketConfig) => ({ fees: { ...m.fees }, instruments: m.instruments.map(specSnapshot) });
  return {
    name: c.name,
    clientIdReuse: c.clientIdReuse,
    fundingIntervalMs: c.fundingIntervalMs,
    spot: market(c.spot),
    perp: market(c.perp),
  };
}

function specSnapshot(spec: InstrumentSpec): InstrumentSpec {
  const { symbol, tickSize, lotSize, minQty, maxQty, minNotional, maintenanceMarginPpm, maxLeverage } = spec;
  return {
    symbol,
    tickSize,
    lotSize,
    minQty,
    maxQty,
    minNotional,
    ...(maintenanceMarginPpm === undefined ? {} : { maintenanceMarginPpm }),
    ...(maxLeverage === undefined ? {} : { maxLeverage }),
  };
}
