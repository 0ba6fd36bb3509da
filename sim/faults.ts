import { z } from 'zod';
import type { Prng } from './prng';
import type { FaultsSnapshot } from './snapshot';

export const FAULT_OPS = [
  'createOrder',
  'cancelOrder',
  'getOrder',
  'openOrders',
  'balances',
  'positions',
  'marketData',
  'query',
  '*',
] as const;
export const FAULT_KINDS = [
  'latency',
  'lose-response',
  'rate-limit',
  'server-error',
  'reject',
  'disconnect',
  'stale',
  'depth-gap',
] as const;

const MARKET_DATA_FAULTS: ReadonlyArray<(typeof FAULT_KINDS)[number]> = ['disconnect', 'stale', 'depth-gap'];

export const FaultRuleSchema = z
  .object({
    /** Venue name or '*' (default). */
    venue: z.string().default('*'),
    /** 'spot', 'perp' or '*' (default). */
    market: z.enum(['spot', 'perp', '*']).default('*'),
    op: z.enum(FAULT_OPS),
    fault: z.enum(FAULT_KINDS),
    /** Fire on the nth matching call only (1-based, counted from when the rule was added). */
    nth: z.int().positive().optional(),
    /** Fire on every kth matching call. */
    every: z.int().positive().optional(),
    /** Fire with this probability, drawn from the seeded generator. */
    probability: z.number().min(0).max(1).optional(),
    /** Stop after firing this many times. */
    times: z.int().positive().optional(),
    latencyMs: z.number().nonnegative().optional(),
    /** For 'stale': how long quotes stop updating (simulated ms). */
    durationMs: z.number().nonnegative().optional(),
  })
  .refine((r) => MARKET_DATA_FAULTS.includes(r.fault) === (r.op === 'marketData'), {
    message:
      "'disconnect', 'stale' and 'depth-gap' apply to op 'marketData' only, and marketData takes only those",
  })
  .refine((r) => r.fault !== 'reject' || r.op === 'createOrder', {
    message: "'reject' applies to op 'createOrder' only",
  });

export type FaultRuleInput = z.input<typeof FaultRuleSchema>;
export type FaultRule = z.infer<typeof FaultRuleSchema>;

export interface InstalledFault extends FaultRule {
  id: string;
  seen: number;
  fired: number;
}

/** Outcome for one request: wait, then maybe fail before executing, or execute and lose the reply. */
export interface RequestFault {
  latencyMs: number;
  /** reject: refused as for want of funds (a margin another program took), nothing executed. */
  failBefore: 'rate-limit' | 'server-error' | 'reject' | undefined;
  loseResponse: boolean;
}

export interface MarketDataFault {
  disconnect: boolean;
  staleForMs: number;
  /** The next diff of each followed depth stream is lost (its followers must see the gap and resync). */
  depthGap: boolean;
}

const NO_FAULT: RequestFault = Object.freeze({ latencyMs: 0, failBefore: undefined, loseResponse: false });

/** Seeded, scriptable faults per venue/market/operation; rules can be changed at runtime. */
export class FaultInjector {
  private rules: InstalledFault[] = [];
  private nextId = 1;

  constructor(private readonly prng: Prng) {}

  add(input: FaultRuleInput): InstalledFault {
    const rule: InstalledFault = {
      ...FaultRuleSchema.parse(input),
      id: `f${this.nextId++}`,
      seen: 0,
      fired: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(venue?: string): void {
    this.rules = venue === undefined ? [] : this.rules.filter((r) => r.venue !== venue);
  }

  list(): InstalledFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The rules with their counters, the next id and the PRNG drawing `probability` rules. */
  snapshot(): FaultsSnapshot {
    return {
      nextId: this.nextId,
      prng: this.prng.getState(),
      rules: this.rules.map(({ id, seen, fired, ...rule }) => ({ id, seen, fired, rule })),
    };
  }

  restore(s: FaultsSnapshot): void {
    this.nextId = s.nextId;
    this.prng.setState(s.prng);
    this.rules = s.rules.map(({ id, seen, fired, rule }) => ({ ...rule, id, seen, fired }));
  }

  private matching(venue: string, market: string, op: string): InstalledFault[] {
    if (this.rules.length === 0) return [];
    return this.rules.filter(
      (r) =>
        (r.venue === '*' || r.venue === venue) &&
        (r.market === '*' || r.market === market) &&
        (r.op === '*' ||
          r.op === op ||
          (r.op === 'query' && op !== 'createOrder' && op !== 'cancelOrder' && op !== 'marketData')),
    );
  }

  private fires(r: InstalledFault): boolean {
    r.seen++;
    if (r.times !== undefined && r.fired >= r.times) return false;
    let hit: boolean;
    if (r.nth !== undefined) hit = r.seen === r.nth;
    else if (r.every !== undefined) hit = r.seen % r.every === 0;
    else if (r.probability !== undefined) hit = this.prng.next() < r.probability;
    else hit = true;
    if (hit) r.fired++;
    return hit;
  }

  /** Consulted once per API request. */
  forRequest(venue: string, market: string, op: string): RequestFault {
    const rules = this.matching(venue, market, op);
    if (rules.length === 0) return NO_FAULT;
    const out: RequestFault = { latencyMs: 0, failBefore: undefined, loseResponse: false };
    for (const r of rules) {
      if (r.op === 'marketData' || !this.fires(r)) continue;
      if (r.fault === 'latency') out.latencyMs += r.latencyMs ?? 0;
      else if (r.fault === 'rate-limit' || r.fault === 'server-error' || r.fault === 'reject')
        out.failBefore ??= r.fault;
      else if (r.fault === 'lose-response') out.loseResponse = true;
    }
    return out;
  }

  /** Consulted once per venue market per simulation step. */
  forMarketData(venue: string, market: string): MarketDataFault {
    const out: MarketDataFault = { disconnect: false, staleForMs: 0, depthGap: false };
    for (const r of this.matching(venue, market, 'marketData')) {
      if (r.op !== 'marketData' || !this.fires(r)) continue;
      if (r.fault === 'disconnect') out.disconnect = true;
      else if (r.fault === 'depth-gap') out.depthGap = true;
      else out.staleForMs = Math.max(out.staleForMs, r.durationMs ?? 5_000);
    }
    return out;
  }
}
