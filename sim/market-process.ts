import type { Prng } from './prng';
import type { MarketProcessSnapshot } from './snapshot';

export interface MarketProcessOptions {
  /** Starting fair value per base asset. */
  initialPrices: Record<string, number>;
  /** Keys of the basis processes, e.g. `binance/perp`. */
  venueMarkets: string[];
  /** GBM volatility per sqrt(second) (0.0002 ≈ 60 %/yr-ish intraday wiggle). */
  volPerSqrtSec?: number;
  /** OU basis: long-run mean in bps for keys ending in /perp and /spot. */
  perpBasisMeanBps?: number;
  spotBasisMeanBps?: number;
  /** OU speed of mean reversion, per second. */
  basisReversionPerSec?: number;
  /** OU noise, bps per sqrt(second). */
  basisVolBpsPerSqrtSec?: number;
  /** Poisson rate of dislocations per venue-market-asset, per second. */
  dislocationRatePerSec?: number;
  /** Size of a dislocation's shift of the basis target, bps (sign random, size 1-2x). */
  dislocationBps?: number;
  dislocationDurationMs?: number;
}

interface BasisState {
  bps: number;
  dislocationBps: number;
  dislocationUntil: number;
}

export interface Dislocation {
  venueMarket: string;
  asset: string;
  offsetBps: number;
  untilMs: number;
}

/**
 * Synthetic fair values: one geometric Brownian motion per base asset, shared by every venue, times
 * (1 + basis) where each venue/market/asset has its own Ornstein–Uhlenbeck basis. A dislocation
 * temporarily moves the OU target so the basis drifts away and later reverts: the signal a
 * cross-venue spread scanner should find.
 */
export class MarketProcess {
  private readonly fair = new Map<string, number>();
  private readonly basis = new Map<string, BasisState>();
  private elapsedMs = 0;
  private readonly o: Required<Omit<MarketProcessOptions, 'initialPrices' | 'venueMarkets'>>;

  constructor(
    private readonly prng: Prng,
    opts: MarketProcessOptions,
  ) {
    this.o = {
      volPerSqrtSec: opts.volPerSqrtSec ?? 0.0002,
      perpBasisMeanBps: opts.perpBasisMeanBps ?? 2,
      spotBasisMeanBps: opts.spotBasisMeanBps ?? 0,
      basisReversionPerSec: opts.basisReversionPerSec ?? 0.1,
      basisVolBpsPerSqrtSec: opts.basisVolBpsPerSqrtSec ?? 0.5,
      dislocationRatePerSec: opts.dislocationRatePerSec ?? 1 / 120,
      dislocationBps: opts.dislocationBps ?? 25,
      dislocationDurationMs: opts.dislocationDurationMs ?? 20_000,
    };
    for (const [asset, price] of Object.entries(opts.initialPrices)) {
      this.fair.set(asset, price);
      for (const vm of opts.venueMarkets) {
        this.basis.set(`${vm}/${asset}`, { bps: this.meanFor(vm), dislocationBps: 0, dislocationUntil: 0 });
      }
    }
  }

  private meanFor(venueMarket: string): number {
    return venueMarket.endsWith('/perp') ? this.o.perpBasisMeanBps : this.o.spotBasisMeanBps;
  }

  advance(dtMs: number): void {
    if (dtMs <= 0) return;
    this.elapsedMs += dtMs;
    const dt = dtMs / 1000;
    const sigma = this.o.volPerSqrtSec;
    for (const [asset, price] of this.fair) {
      this.fair.set(
        asset,
        price * Math.exp(-0.5 * sigma * sigma * dt + sigma * Math.sqrt(dt) * this.prng.normal()),
      );
    }
    const theta = this.o.basisReversionPerSec;
    const decay = Math.exp(-theta * dt);
    const noise = this.o.basisVolBpsPerSqrtSec * Math.sqrt((1 - decay * decay) / (2 * theta));
    for (const [key, b] of this.basis) {
      if (b.dislocationUntil <= this.elapsedMs) {
        b.dislocationBps = 0;
        if (this.prng.next() < this.o.dislocationRatePerSec * dt) {
          const sign = this.prng.next() < 0.5 ? -1 : 1;
          b.dislocationBps = sign * this.o.dislocationBps * (1 + this.prng.next());
          b.dislocationUntil = this.elapsedMs + this.o.dislocationDurationMs;
        }
      }
      const target = this.meanFor(key.slice(0, key.lastIndexOf('/'))) + b.dislocationBps;
      b.bps = target + (b.bps - target) * decay + noise * this.prng.normal();
    }
  }

  /** Its options, elapsed time, PRNG, fair values and basis processes (in the order they are drawn). */
  snapshot(): MarketProcessSnapshot {
    return {
      options: { ...this.o },
      elapsedMs: this.elapsedMs,
      prng: this.prng.getState(),
      fair: [...this.fair].map(([asset, price]) => ({ asset, price })),
      basis: [...this.basis].map(([key, b]) => ({ key, ...b })),
    };
  }

  /** The process a snapshot describes, drawing from `prng` (set to the snapshot's state). */
  static restore(prng: Prng, s: MarketProcessSnapshot): MarketProcess {
    const p = new MarketProcess(prng, { ...s.options, initialPrices: {}, venueMarkets: [] });
    prng.setState(s.prng);
    p.elapsedMs = s.elapsedMs;
    for (const { asset, price } of s.fair) p.fair.set(asset, price);
    for (const { key, bps, dislocationBps, dislocationUntil } of s.basis)
      p.basis.set(key, { bps, dislocationBps, dislocationUntil });
    return p;
  }

  fairValue(asset: string): number | undefined {
    return this.fair.get(asset);
  }

  /** Fair value of an asset on one venue market, including its basis. */
  price(venueMarket: string, asset: string): number | undefined {
    const f = this.fair.get(asset);
    const b = this.basis.get(`${venueMarket}/${asset}`);
    if (f === undefined || b === undefined) return undefined;
    return f * (1 + b.bps / 10_000);
  }

  basisBps(venueMarket: string, asset: string): number | undefined {
    return this.basis.get(`${venueMarket}/${asset}`)?.bps;
  }

  activeDislocations(): Dislocation[] {
    const out: Dislocation[] = [];
    for (const [key, b] of this.basis) {
      if (b.dislocationBps === 0 || b.dislocationUntil <= this.elapsedMs) continue;
      const i = key.lastIndexOf('/');
      out.push({
        venueMarket: key.slice(0, i),
        asset: key.slice(i + 1),
        offsetBps: b.dislocationBps,
        untilMs: b.dislocationUntil - this.elapsedMs,
      });
    }
    return out;
  }
}
